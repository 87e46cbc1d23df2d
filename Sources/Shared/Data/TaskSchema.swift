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

    /// True for a number that is a class index written as a real (0.0, 3.0):
    /// integral and within the class limit.
    package static func isClassIndex(_ v: Double) -> Bool {
        v == v.rounded() && abs(v) < Double(maximumClasses)
    }

    /// One line per task on how its labels were read (classification: the
    /// classes; regression), for the training log.
    package var labelSummary: String {
        tasks.map { task in
            loss == .squaredError
                ? "\(task.name) regression"
                : "\(task.name) classification (\(task.labels.map { "\($0.count) class names" } ?? "\(task.outputs) classes, integral labels"))"
        }.joined(separator: ", ")
    }

    /// Takes `model`'s classes for every classification task whose training
    /// labels are a proper subset of them (same loss, same task name): the
    /// class names, or the larger count of integral classes. Returns each such
    /// task with the model's and the training set's class counts. A task with
    /// a class the model lacks is left as it is (the warm start then refuses it).
    package mutating func adoptClasses(of model: TaskSchema) -> [(task: String, model: Int, training: Int)] {
        guard loss == .crossEntropy, model.loss == .crossEntropy else { return [] }
        var adopted: [(task: String, model: Int, training: Int)] = []
        for k in tasks.indices {
            guard let other = model.tasks.first(where: { $0.name == tasks[k].name }) else { continue }
            switch (tasks[k].labels, other.labels) {
            case let (mine?, theirs?):
                guard mine != theirs, Set(mine).isSubset(of: Set(theirs)) else { continue }
                adopted.append((tasks[k].name, theirs.count, mine.count))
                tasks[k].labels = theirs
                tasks[k].outputs = other.outputs
            case (nil, nil):
                guard tasks[k].outputs < other.outputs else { continue }
                adopted.append((tasks[k].name, other.outputs, tasks[k].outputs))
                tasks[k].outputs = other.outputs
            default:
                continue
            }
        }
        return adopted
    }

    /// Derives the schema of a training set. Tasks appear in sorted name order
    /// unless `taskOrder` is given (then only those tasks are kept and it is an
    /// error if one has no examples). Each task's labels decide its kind: class
    /// names, or numbers all integral (`3` or `3.0`), are classification; a
    /// number with a fraction makes the task regression. The loss is
    /// cross-entropy when every task is classification, squared error when
    /// every task is regression, and an error naming the tasks when they
    /// differ (one model has one loss), unless `loss` forces one.
    package static func derive(
        from examples: [Example], file: String, loss forced: LossKind? = nil, taskOrder: [String]? = nil
    ) throws -> TaskSchema {
        guard let first = examples.first else {
            throw MTIFError.input("\(file): no examples", hint: "check the file is the training set and not empty")
        }
        let features = first.x.count
        var byTask: [String: [Int]] = [:]
        for (i, example) in examples.enumerated() { byTask[example.task, default: []].append(i) }
        // The kind of each task's labels, decided per task: class names, or
        // numbers that are all integral (3 or 3.0: classification), or a
        // number with a fraction (regression). One "0.0" in a classification
        // task must not turn the data set into regression.
        var realTasks: [(name: String, line: Int?, value: Double)] = []
        var namedTasks: [String] = []
        var sawName = false, sawNumber = false
        for name in byTask.keys.sorted() {
            var real: (line: Int?, value: Double)? = nil
            var named = false
            for i in byTask[name]! {
                switch examples[i].y {
                case .value(let v):
                    sawNumber = true
                    if real == nil && !TaskSchema.isClassIndex(v) { real = (examples[i].nonzeroLine, v) }
                case .name: named = true; sawName = true
                case .index: sawNumber = true
                }
            }
            if let real { realTasks.append((name, real.line, real.value)) }
            if named { namedTasks.append(name) }
        }
        let loss: LossKind
        if let forced {
            loss = forced
        } else if realTasks.isEmpty {
            loss = .crossEntropy
        } else if realTasks.count == byTask.count {
            loss = .squaredError
        } else {
            let integral = byTask.keys.sorted().filter { name in !realTasks.contains { $0.name == name } }
            let first = realTasks[0]
            throw MTIFError.input(
                "task \(JSONValue.quoted(first.name)) has a real-valued label (\(first.value)) and is regression, but the labels of task\(integral.count == 1 ? "" : "s") \(integral.prefix(4).map(JSONValue.quoted).joined(separator: ", "))\(integral.count > 4 ? ", …" : "") are all integral (classification); one model has one loss",
                file: file, line: first.line, field: "y",
                hint: "give --loss squared_error to treat every task as regression, or --tasks to train the two kinds apart")
        }
        if loss == .squaredError && sawName {
            throw MTIFError.input("\(file): regression needs numeric labels, but task \(JSONValue.quoted(namedTasks[0])) has class names")
        }
        if loss == .crossEntropy, let first = realTasks.first {
            throw MTIFError.input(
                "classification needs class indices or names, but task \(JSONValue.quoted(first.name)) has the real-valued label \(first.value)",
                file: file, line: first.line, field: "y")
        }
        if sawName && sawNumber {
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
                        var index: Int? = nil
                        switch examples[i].y {
                        case .index(let c): index = c
                        case .value(let v): index = Int(exactly: v)
                        case .name: break
                        }
                        if let c = index {
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
