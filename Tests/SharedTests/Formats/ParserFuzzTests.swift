import Foundation
import Testing
import Shared

/// Seeded random mutations of valid inputs through every reader (ParserHarness):
/// each must accept the input or throw MTIFError — never trap, never throw
/// anything else. Deterministic (SplitMix64, fixed seeds and counts) and a few
/// seconds long; the open-ended search is libFuzzer's (Fuzz/, scripts/fuzz.sh).
///
/// A trap kills the test process, so the input under test is kept in
/// $TMPDIR/mtif-parser-fuzz.<format>: after a crash that file is the reproducer.
@Suite(.serialized) struct ParserFuzzTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLITests/Corpus")

    static func seeds(_ format: ParserHarness.Format) throws -> [[UInt8]] {
        let names: [String]
        switch format {
        case .ndjson:
            names = ["good/train.ndjson", "good/val.ndjson", "good/scores.ndjson", "ndjson/crlf.ndjson",
                     "records/matrix-extreme.ndjson", "records/pairs-extreme.ndjson"]
        case .csv: names = ["good/good.csv", "csv/crlf.csv", "csv/bom.csv"]
        case .safetensors:
            names = ["good/params.safetensors", "good/grads.safetensors", "good/rhs.safetensors", "good/ihvp.safetensors"]
        }
        return try names.map { [UInt8](try Data(contentsOf: corpus.appendingPathComponent($0))) }
    }

    /// Byte strings that tend to sit on a parser's edges.
    static let tokens: [[UInt8]] = [
        "NaN", "-Infinity", "1e400", "-1e-400", "99999999999999999999", "-0", "0x10", "1.", ".5", "+1",
        "\"", "\\", "\\u", "\\ud800", "\\u0000", "[", "]", "{", "}", ",", ":", "\"\"", "null", "true",
        "\r\n", "\n", "\r", "\n\n", "\t", " ", "\u{FEFF}", "\"x\":[]", "\"y\":-1", "\"y\":1000000000000",
        "\"task\":\"\"", "\"id\":\"t01-0000\"", ",,", "\"\"\"", "F16", "F32", "I64", "[0,18446744073709551616]",
        "[4611686018427387904,4]", "\"shape\":[]", "__metadata__", "\"schema\":\"mtif/2\"",
    ].map { Array($0.utf8) } + [[0xFF], [0x00], [0xC3], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF]]

    static func mutate(_ input: [UInt8], seeds: [[UInt8]], rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0 ..< 1 + rng.below(4) {
            let at = bytes.isEmpty ? 0 : rng.below(bytes.count + 1)
            switch rng.below(9) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let i = min(at, bytes.count - 1)
                bytes[i] ^= UInt8(1) << UInt8(rng.below(8))
            case 1:  // insert a random byte
                bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            case 2 where !bytes.isEmpty:  // delete a short range
                let i = min(at, bytes.count - 1)
                let n = min(1 + rng.below(16), bytes.count - i)
                bytes.removeSubrange(i ..< i + n)
            case 3:  // truncate
                bytes.removeLast(bytes.count - at)
            case 4:  // splice: our head, another seed's tail
                let other = seeds[rng.below(seeds.count)]
                let from = other.isEmpty ? 0 : rng.below(other.count)
                bytes = Array(bytes[..<at]) + other[from...]
            case 5, 6:  // a special token
                bytes.insert(contentsOf: tokens[rng.below(tokens.count)], at: at)
            case 7 where bytes.count >= 8:  // a safetensors header length: random or extreme
                let choices: [UInt64] = [0, 1, 7, UInt64.max, UInt64(Int64.max), 1 << 32, rng.next() % 4096]
                let v = choices[rng.below(choices.count)]
                for k in 0 ..< 8 { bytes[k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
            default:  // change a digit, where numbers live
                if let i = bytes.indices.dropFirst(at).first(where: { bytes[$0] &- 0x30 < 10 }) {
                    bytes[i] = UInt8(0x30 + rng.below(10))
                }
            }
        }
        return bytes
    }

    /// Runs `count` mutations of the seeds of `format` through the harness.
    func fuzz(_ format: ParserHarness.Format, seed: UInt64, count: Int) throws {
        let seeds = try ParserFuzzTests.seeds(format)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mtif-parser-fuzz.\(format.rawValue)").path
        var rng = SplitMix64(seed: seed)
        var accepted = 0
        for _ in 0 ..< count {
            let input = ParserFuzzTests.mutate(seeds[rng.below(seeds.count)], seeds: seeds, rng: &rng)
            FileManager.default.createFile(atPath: path, contents: Data(input))
            accepted += try ParserHarness.run(format, path: path)
        }
        // Some mutants stay valid (a flipped digit); if none did, the harness is not reaching the readers' ends.
        #expect(accepted > 0)
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test func ndjsonMutations() throws { try fuzz(.ndjson, seed: 0x6E646A73, count: 1500) }

    @Test func csvMutations() throws { try fuzz(.csv, seed: 0x637376, count: 1000) }

    @Test func safetensorsMutations() throws { try fuzz(.safetensors, seed: 0x7374, count: 1000) }

    /// Every file of the bad-input corpus goes through its readers too.
    @Test func corpusFiles() throws {
        for (group, format) in [("ndjson", ParserHarness.Format.ndjson), ("records", .ndjson), ("csv", .csv),
                                ("safetensors", .safetensors)] {
            let directory = ParserFuzzTests.corpus.appendingPathComponent(group)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() {
                try ParserHarness.run(format, path: directory.appendingPathComponent(name).path)
            }
        }
    }
}
