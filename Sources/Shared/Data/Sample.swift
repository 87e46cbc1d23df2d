/// How many examples `sampleExamples` draws.
package enum SampleSize: Sendable, Equatable {
    /// N examples: from the whole set, or from each task with `perTask`.
    case count(Int)
    /// round(F · n_k) examples from each task k.
    case fraction(Double)
}

/// Seeded sampling without replacement; returns positions in `examples`, in
/// input order. Per-task draws use the task's own stream (as the split does),
/// so adding a task leaves the other tasks' samples unchanged. Self-validation
/// uses it to pick leave-one-out examples and random 50% subsets.
package func sampleExamples(_ examples: [Example], size: SampleSize, perTask: Bool, seed: UInt64) throws -> [Int] {
    var chosen: [Int] = []
    func draw(_ pool: [Int], _ count: Int, _ rng: inout SplitMix64) {
        var pool = pool
        for i in 0 ..< count {
            pool.swapAt(i, i + rng.below(pool.count - i))
        }
        chosen += pool[0 ..< count]
    }
    switch (size, perTask) {
    case (.count(let n), false):
        guard n >= 0 && n <= examples.count else {
            throw MTIFError.usage("--count \(n): the data set has \(examples.count) examples")
        }
        var rng = SplitMix64(seed: seed)
        draw(Array(examples.indices), n, &rng)
    case (.count, true), (.fraction, _):
        var byTask: [String: [Int]] = [:]
        for (i, e) in examples.enumerated() { byTask[e.task, default: []].append(i) }
        for task in byTask.keys.sorted() {
            let pool = byTask[task]!
            let n: Int
            switch size {
            case .count(let c): n = c
            case .fraction(let f):
                guard f > 0 && f <= 1 else { throw MTIFError.usage("--fraction must be in (0, 1], found \(f)") }
                n = Int((f * Double(pool.count)).rounded())
            }
            guard n >= 0 && n <= pool.count else {
                throw MTIFError.usage("--count \(n): task \"\(task)\" has \(pool.count) examples")
            }
            var rng = SplitMix64(seed: seed, stream: taskStream(task))
            draw(pool, n, &rng)
        }
    }
    return chosen.sorted()
}
