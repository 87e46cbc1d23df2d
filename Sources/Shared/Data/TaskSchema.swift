/// What a model knows about its tasks, fixed by the training set: task names
/// in order, each task's classes, and n_k. Validation and test examples are
/// encoded against the same schema, never their own.
package struct TaskSchema: Codable, Equatable, Sendable {
    package struct Task: Codable, Equatable, Sendable {
        package var name: String
        /// C_k: number of classes (1 for regression).
        package var outputs: Int
        /// Class names in index order when the labels are strings (sorted), else nil.
        package var labels: [String]?
        /// n_k: training examples of this task.
        package var count: Int
    }

    /// The most classes a task may have: far more than any classification data
    /// set this toolkit is meant for, and small enough that a head is cheap.
    package static let maximumClasses = 1 << 16

    package var loss: LossKind
    /// D.
    package var features: Int
    package var tasks: [Task]

    package var taskNames: [String] { tasks.map(\.name) }

    package func taskIndex(_ name: String) -> Int? {
        tasks.firstIndex { $0.name == name }
    }

    /// Derives the schema of a training set. Tasks appear in sorted name order
    /// unless `taskOrder` is given (then only those tasks are kept and it is an
    /// error if one has no examples). The loss is cross-entropy when every label
    /// is a class index or name, squared error when any is a real number, unless
    /// `loss` forces one.
    package static func derive(
        from examples: [Example], file: String, loss forced: LossKind? = nil, taskOrder: [String]? = nil
    ) throws -> TaskSchema {
        guard let first = examples.first else {
            throw MTIFError.input("\(file): no examples", hint: "check the file is the training set and not empty")
        }
        let features = first.x.count
        var byTask: [String: [Int]] = [:]
        var sawValue = false
        var sawName = false
        var sawIndex = false
        for (i, example) in examples.enumerated() {
            byTask[example.task, default: []].append(i)
            switch example.y {
            case .value: sawValue = true
            case .name: sawName = true
            case .index: sawIndex = true
            }
        }
        let loss = forced ?? (sawValue ? .squaredError : .crossEntropy)
        if loss == .squaredError && sawName {
            throw MTIFError.input("\(file): regression needs numeric labels, but some labels are class names")
        }
        if loss == .crossEntropy && sawValue {
            throw MTIFError.input("\(file): classification needs class indices or names, but some labels are real numbers")
        }
        if sawName && sawIndex {
            throw MTIFError.input("\(file): labels mix class names and class indices", hint: "use one kind of label throughout")
        }
        let names: [String]
        if let taskOrder {
            for name in taskOrder where byTask[name] == nil {
                throw MTIFError.input(
                    "\(file): task \"\(name)\" has no examples",
                    hint: "known tasks: \(byTask.keys.sorted().prefix(10).joined(separator: ", "))")
            }
            names = taskOrder
        } else {
            names = byTask.keys.sorted()
        }
        var tasks: [Task] = []
        for name in names {
            let rows = byTask[name]!
            switch loss {
            case .squaredError:
                tasks.append(Task(name: name, outputs: 1, labels: nil, count: rows.count))
            case .crossEntropy:
                if sawName {
                    var set = Set<String>()
                    for i in rows { if case .name(let s) = examples[i].y { set.insert(s) } }
                    let labels = set.sorted()
                    tasks.append(Task(name: name, outputs: max(labels.count, 2), labels: labels, count: rows.count))
                } else {
                    var largest = 0
                    for i in rows {
                        if case .index(let c) = examples[i].y {
                            guard c >= 0 else {
                                throw MTIFError.input(
                                    "example \(JSONValue.quoted(examples[i].id)) of task \(JSONValue.quoted(name)): negative class index \(c)",
                                    file: file, line: examples[i].nonzeroLine, field: "y", hint: "class indices count from 0")
                            }
                            // The head gets largest + 1 outputs, so one stray large
                            // integer would otherwise allocate without bound.
                            guard c < TaskSchema.maximumClasses else {
                                throw MTIFError.input(
                                    "example \(JSONValue.quoted(examples[i].id)) of task \(JSONValue.quoted(name)): class index \(c) is above the limit of \(TaskSchema.maximumClasses - 1)",
                                    file: file, line: examples[i].nonzeroLine, field: "y",
                                    hint: "class indices are 0, 1, 2, …; for a real-valued target give --loss squared_error")
                            }
                            largest = max(largest, c)
                        }
                    }
                    tasks.append(Task(name: name, outputs: max(largest + 1, 2), labels: nil, count: rows.count))
                }
            }
        }
        return TaskSchema(loss: loss, features: features, tasks: tasks)
    }
}
