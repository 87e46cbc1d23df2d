/// `--shard i/N`: the i-th of N contiguous, disjoint slices of a data set of n
/// examples, [⌊i·n/N⌋, ⌊(i+1)·n/N⌋). Shards 0..N−1 concatenate, in order, to
/// the whole, so their outputs can be computed by independent processes and
/// joined with `cat`.
package struct Shard: Equatable, Sendable {
    /// i, 0-based.
    package var index: Int
    /// N.
    package var count: Int

    package init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/N` with 0 ≤ i < N.
    package init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n > 0, i >= 0, i < n else {
            throw MTIFError.usage(
                "--shard: expected i/N with 0 ≤ i < N, found '\(text)'", hint: "shards are 0-based: --shard 0/4 … --shard 3/4")
        }
        self.init(index: i, count: n)
    }

    /// The example positions of this shard in a data set of `n` examples.
    package func range(of n: Int) -> Range<Int> {
        (index * n / count) ..< ((index + 1) * n / count)
    }

    /// The `shard` metadata of an artefact computed on this shard of `n` examples:
    /// `{"count":N,"end":…,"examples":n,"first":…,"index":i}`.
    package func metadata(examples n: Int) throws -> String {
        let r = range(of: n)
        return try JSONText.encode(["index": index, "count": count, "first": r.lowerBound, "end": r.upperBound, "examples": n])
    }

    /// The shard recorded in an artefact's metadata, nil when it holds the whole data set.
    package static func recorded(in metadata: [String: String], file: String) throws -> Shard? {
        guard let text = metadata["shard"] else { return nil }
        let values: [String: Int] = try JSONText.decode(text, field: "shard", file: file)
        guard let i = values["index"], let n = values["count"] else {
            throw MTIFError.input("\(file): metadata \"shard\" lacks \"index\" or \"count\"")
        }
        return Shard(index: i, count: n)
    }
}
