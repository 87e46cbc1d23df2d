/// Examples encoded for the models: features as one (N, D) matrix with the rows
/// grouped by task in schema order, so every head works on a contiguous block.
package struct TaskBatch: Sendable {
    /// D.
    package let features: Int
    /// (N, D) row-major.
    package var x: [Double]
    /// (K) rows of each task; empty for a task absent from the batch.
    package var taskRanges: [Range<Int>]
    /// (N) the class index (as a Double) for cross-entropy, the target for squared error.
    package var targets: [Double]
    /// (N) weight of each row's loss in the objective; 1/n_k by default.
    package var weights: [Double]
    /// (N) the position of each row in the example array it was built from.
    package var sourceIndex: [Int]

    package var count: Int { targets.count }

    /// (N) task index of each row.
    package var taskOfRow: [Int] {
        var result = [Int](repeating: 0, count: count)
        for (k, range) in taskRanges.enumerated() { for i in range { result[i] = k } }
        return result
    }

    package init(
        features: Int, x: [Double], taskRanges: [Range<Int>], targets: [Double], weights: [Double], sourceIndex: [Int]
    ) {
        self.features = features
        self.x = x
        self.taskRanges = taskRanges
        self.targets = targets
        self.weights = weights
        self.sourceIndex = sourceIndex
    }

    /// Encodes `examples` against `schema`. Every row's loss gets weight
    /// 1/(rows of its task in this batch), the per-task mean of the objective.
    /// An example of a task or class the schema does not know is an input error
    /// naming `file` and the example's id.
    package init(_ examples: [Example], schema: TaskSchema, file: String) throws {
        let taskCount = schema.tasks.count
        var rowsOfTask = [[Int]](repeating: [], count: taskCount)
        var taskIndex: [String: Int] = [:]
        for (k, task) in schema.tasks.enumerated() { taskIndex[task.name] = k }
        for (i, example) in examples.enumerated() {
            guard let k = taskIndex[example.task] else {
                throw MTIFError.input(
                    "example \"\(example.id)\": task \"\(example.task)\" is not one the model was trained on",
                    file: file, line: example.nonzeroLine, field: "task",
                    hint: "the model knows \(schema.taskNames.prefix(8).joined(separator: ", "))\(schema.tasks.count > 8 ? ", …" : "")")
            }
            try TaskBatch.checkFeatures(example, schema: schema, file: file)
            rowsOfTask[k].append(i)
        }
        let d = schema.features
        var x = [Double](); x.reserveCapacity(examples.count * d)
        var targets = [Double](); targets.reserveCapacity(examples.count)
        var weights = [Double](); weights.reserveCapacity(examples.count)
        var sourceIndex = [Int](); sourceIndex.reserveCapacity(examples.count)
        var ranges: [Range<Int>] = []
        for k in 0 ..< taskCount {
            let start = targets.count
            let task = schema.tasks[k]
            let weight = rowsOfTask[k].isEmpty ? 0 : 1 / Double(rowsOfTask[k].count)
            for i in rowsOfTask[k] {
                let example = examples[i]
                x.append(contentsOf: example.x)
                targets.append(try TaskBatch.encode(example, task: task, loss: schema.loss, file: file))
                weights.append(weight)
                sourceIndex.append(i)
            }
            ranges.append(start ..< targets.count)
        }
        self.init(features: d, x: x, taskRanges: ranges, targets: targets, weights: weights, sourceIndex: sourceIndex)
    }

    static func checkFeatures(_ example: Example, schema: TaskSchema, file: String) throws {
        guard example.x.count == schema.features else {
            throw MTIFError.input(
                "example \"\(example.id)\": x has \(example.x.count) values, the model expects \(schema.features)",
                file: file, line: example.nonzeroLine, field: "x")
        }
    }

    static func encode(_ example: Example, task: TaskSchema.Task, loss: LossKind, file: String) throws -> Double {
        switch loss {
        case .squaredError:
            guard let value = example.y.numericValue else {
                throw MTIFError.input(
                    "example \"\(example.id)\": regression needs a numeric label", file: file, line: example.nonzeroLine, field: "y")
            }
            return value
        case .crossEntropy:
            switch example.y {
            case .index(let c):
                guard task.labels == nil else {
                    throw MTIFError.input(
                    "example \"\(example.id)\": class index \(c) where the model uses class names",
                        file: file, line: example.nonzeroLine, field: "y")
                }
                guard c >= 0 && c < task.outputs else {
                    throw MTIFError.input(
                    "example \"\(example.id)\": class \(c) is out of range for task \"\(task.name)\" (0..<\(task.outputs))",
                        file: file, line: example.nonzeroLine, field: "y", hint: "a class unseen in training cannot be predicted; check the split")
                }
                return Double(c)
            case .name(let name):
                guard let labels = task.labels, let c = labels.firstIndex(of: name) else {
                    throw MTIFError.input(
                    "example \"\(example.id)\": class \"\(name)\" was not seen in training for task \"\(task.name)\"",
                        file: file, line: example.nonzeroLine, field: "y", hint: "a class unseen in training cannot be predicted; check the split")
                }
                return Double(c)
            case .value(let v):
                // An integral number written with a fraction (0.0) is a class index.
                guard TaskSchema.isClassIndex(v), let c = Int(exactly: v) else {
                    throw MTIFError.input(
                        "example \"\(example.id)\": class label \(v) is not an integer", file: file, line: example.nonzeroLine, field: "y")
                }
                guard task.labels == nil, c >= 0 && c < task.outputs else {
                    throw MTIFError.input(
                        "example \"\(example.id)\": class label \(v) is not a class index of task \"\(task.name)\" (0..<\(task.outputs))",
                        file: file, line: example.nonzeroLine, field: "y")
                }
                return Double(c)
            }
        }
    }

    /// The rows `rows` (a subset of this batch, e.g. a minibatch or one task) as a
    /// batch of their own, keeping each row's weight unless `weights` is given.
    package func subset(_ rows: [Int], weights newWeights: [Double]? = nil) -> TaskBatch {
        let d = features
        var x = [Double](); x.reserveCapacity(rows.count * d)
        var targets = [Double](), weights = [Double](), source = [Int]()
        let taskOf = taskOfRow
        var ranges = [Range<Int>]()
        let sorted = rows.enumerated().sorted { (taskOf[$0.element], $0.offset) < (taskOf[$1.element], $1.offset) }
        var k = 0
        var start = 0
        for (position, (original, row)) in sorted.enumerated() {
            while k < taskOf[row] { ranges.append(start ..< position); start = position; k += 1 }
            x.append(contentsOf: self.x[row * d ..< (row + 1) * d])
            targets.append(self.targets[row])
            weights.append(newWeights?[original] ?? self.weights[row])
            source.append(sourceIndex[row])
        }
        while ranges.count < taskRanges.count { ranges.append(start ..< sorted.count); start = sorted.count }
        return TaskBatch(features: d, x: x, taskRanges: ranges, targets: targets, weights: weights, sourceIndex: source)
    }
}
