extension TaskBatch {
    /// The examples of the schema's tasks in `reader` (examples of other tasks
    /// are skipped) as a batch, the same as `TaskBatch(_:schema:file:)` of
    /// them, and their fingerprint (`Fingerprint.of`). The examples are never
    /// all held: each batch of text is parsed, checked and copied into a block
    /// of rows in input order, and once the task counts are known the blocks
    /// are moved into the task-ordered (N, D) matrix one by one, each freed and
    /// returned to the system as soon as its rows are in place. So reading
    /// peaks near one copy of the matrix instead of the examples plus the
    /// matrix (at 4× the HAR-shaped bench, ~150 + 132 MB).
    package static func read(
        tasksOf schema: TaskSchema, from reader: inout ExampleReader, file: String
    ) throws -> (batch: TaskBatch, fingerprint: String) {
        let d = schema.features
        var taskIndex: [String: Int] = [:]
        for (k, task) in schema.tasks.enumerated() { taskIndex[task.name] = k }
        var fingerprint = Fingerprint()
        var counts = [Int](repeating: 0, count: schema.tasks.count)
        var blocks: [(rows: UnsafeMutablePointer<Double>?, tasks: [Int], targets: [Double])] = []
        defer { for block in blocks { block.rows?.deallocate() } }
        while true {
            let examples = try reader.nextBatch(maxExamples: .max)
            if examples.isEmpty { break }
            let kept = examples.filter { taskIndex[$0.task] != nil }
            guard !kept.isEmpty else { continue }
            let rows = UnsafeMutablePointer<Double>.allocate(capacity: kept.count * d)
            blocks.append((rows, [], []))
            var tasks: [Int] = [], targets: [Double] = []
            for (j, example) in kept.enumerated() {
                fingerprint.add(example)
                let k = taskIndex[example.task]!
                try checkFeatures(example, schema: schema, file: file)
                targets.append(try encode(example, task: schema.tasks[k], loss: schema.loss, file: file))
                example.x.withUnsafeBufferPointer { (rows + j * d).initialize(from: $0.baseAddress!, count: d) }
                tasks.append(k)
                counts[k] += 1
            }
            blocks[blocks.count - 1] = (rows, tasks, targets)
        }

        let n = counts.reduce(0, +)
        var ranges: [Range<Int>] = []
        for count in counts { ranges.append((ranges.last?.upperBound ?? 0) ..< (ranges.last?.upperBound ?? 0) + count) }
        var next = ranges.map(\.lowerBound)
        var targets = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        var sourceIndex = [Int](repeating: 0, count: n)
        let x = [Double](unsafeUninitializedCapacity: n * d) { matrix, initialized in
            var input = 0
            for b in blocks.indices {
                let rows = blocks[b].rows!
                for (j, k) in blocks[b].tasks.enumerated() {
                    let row = next[k]
                    next[k] += 1
                    (matrix.baseAddress! + row * d).initialize(from: rows + j * d, count: d)
                    targets[row] = blocks[b].targets[j]
                    weights[row] = 1 / Double(counts[k])
                    sourceIndex[row] = input
                    input += 1
                }
                rows.deallocate()
                blocks[b].rows = nil
                releaseFreedMemory()
            }
            initialized = n * d
        }
        let batch = TaskBatch(features: d, x: x, taskRanges: ranges, targets: targets, weights: weights, sourceIndex: sourceIndex)
        return (batch, fingerprint.hex)
    }
}
