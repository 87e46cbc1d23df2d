/// What a data set holds, per task (in sorted name order) and in total: example
/// count, feature count, the classes present with their counts (classification)
/// or the mean and standard deviation of y (regression), and the split sizes
/// when every example names its split. Written as NDJSON records:
///
///     {"type":"task","task":"t01","count":300,"features":10,"classes":{"0":101,"1":99,"2":100}}
///     {"type":"total","tasks":1,"count":300,"features":10,"classes":{"0":101,"1":99,"2":100}}
///
/// The labels are regression targets when any label is a real number (the
/// rule `TaskSchema.derive` uses); the standard deviation divides by n.
package struct DatasetStats: Equatable, Sendable {
    package struct ClassCount: Equatable, Sendable {
        /// The class index as decimal text, or the class name.
        package var label: String
        package var count: Int
    }

    package enum Labels: Equatable, Sendable {
        /// Classes present, sorted (indices numerically, names by text).
        case classes([ClassCount])
        /// Mean and population standard deviation of y.
        case regression(mean: Double, std: Double)
    }

    package struct Group: Equatable, Sendable {
        /// The task's name; "" for the total.
        package var task: String
        package var count: Int
        package var labels: Labels
        /// Examples per split in the order train, val, test; nil unless every
        /// example of the data set carries a valid `"split"` field.
        package var splits: [Int]?
    }

    /// D (0 for an empty data set).
    package var features: Int
    /// Per task, sorted by name.
    package var tasks: [Group]
    package var total: Group

    /// Computes the statistics. Examples with different feature counts, or
    /// labels mixing class names with indices or real numbers, are input errors.
    package init(_ examples: [Example]) throws {
        features = examples.first?.x.count ?? 0
        var sawValue = false, sawName = false, sawIndex = false
        for example in examples {
            guard example.x.count == features else {
                throw MTIFError.input(
                    "example \"\(example.id)\" has \(example.x.count) features, the first example has \(features)",
                    field: "x")
            }
            switch example.y {
            case .value(let v): if TaskSchema.isClassIndex(v) { sawIndex = true } else { sawValue = true }
            case .name: sawName = true
            case .index: sawIndex = true
            }
        }
        if sawName && (sawIndex || sawValue) {
            throw MTIFError.input("labels mix class names with numbers", field: "y",
                                  hint: "use one kind of label throughout")
        }
        let regression = sawValue
        let withSplits = splitMode(of: examples) == .field
            && examples.allSatisfy { DatasetStats.splitIndex($0) != nil }

        var rowsOfTask: [String: [Int]] = [:]
        for (i, example) in examples.enumerated() { rowsOfTask[example.task, default: []].append(i) }

        func group(_ task: String, _ rows: [Int]) -> Group {
            let labels: Labels
            if regression {
                let ys = rows.map { examples[$0].y.numericValue! }
                let mean = ys.isEmpty ? 0 : ys.reduce(0, +) / Double(ys.count)
                let variance = ys.isEmpty ? 0 : ys.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ys.count)
                labels = .regression(mean: mean, std: variance.squareRoot())
            } else {
                var indexCounts: [Int: Int] = [:], nameCounts: [String: Int] = [:]
                for i in rows {
                    switch examples[i].y {
                    case .index(let c): indexCounts[c, default: 0] += 1
                    case .name(let s): nameCounts[s, default: 0] += 1
                    case .value(let v): indexCounts[Int(v), default: 0] += 1
                    }
                }
                labels = .classes(
                    indexCounts.keys.sorted().map { ClassCount(label: String($0), count: indexCounts[$0]!) }
                        + nameCounts.keys.sorted().map { ClassCount(label: $0, count: nameCounts[$0]!) })
            }
            var splits: [Int]? = nil
            if withSplits {
                var counts = [0, 0, 0]
                for i in rows { counts[DatasetStats.splitIndex(examples[i])!] += 1 }
                splits = counts
            }
            return Group(task: task, count: rows.count, labels: labels, splits: splits)
        }

        tasks = rowsOfTask.keys.sorted().map { group($0, rowsOfTask[$0]!) }
        total = group("", Array(examples.indices))
    }

    /// The NDJSON records, one JSON object per string (no newline): a `"task"`
    /// record per task in sorted order, then one `"total"` record. Keys come in
    /// a fixed order. A mean or standard deviation that overflowed (labels near
    /// ±1e154 and beyond) has no JSON form: a computation error.
    package func records() throws -> [String] {
        for (name, group) in tasks.map({ ("task \(JSONValue.quoted($0.task))", $0) }) + [("all tasks", total)] {
            if case .regression(let mean, let std) = group.labels, !(mean.isFinite && std.isFinite) {
                throw MTIFError.computation(
                    "\(name): the mean or standard deviation of y overflows", hint: "scale the labels down")
            }
        }
        return try (tasks.map { record(type: "task", $0) } + [record(type: "total", total)]).map { try $0.serialized() }
    }

    private func record(type: String, _ group: Group) -> JSONValue {
        func count(_ n: Int) -> JSONValue { .number(Double(n)) }
        var fields: [(String, JSONValue)] = [("type", .string(type))]
        if type == "task" {
            fields.append(("task", .string(group.task)))
        } else {
            fields.append(("tasks", count(tasks.count)))
        }
        fields.append(("count", count(group.count)))
        fields.append(("features", count(features)))
        switch group.labels {
        case .classes(let counts):
            fields.append(("classes", .object(counts.map { ($0.label, count($0.count)) })))
        case .regression(let mean, let std):
            fields.append(("mean", .number(mean)))
            fields.append(("std", .number(std)))
        }
        if let splits = group.splits {
            fields.append(("splits", .object(zip(["train", "val", "test"], splits.map(count)).map { ($0, $1) })))
        }
        return .object(fields)
    }

    /// 0, 1, 2 for a `"split"` field of "train", "val", "test"; nil otherwise.
    private static func splitIndex(_ example: Example) -> Int? {
        switch example.extra("split") {
        case "\"train\"": return 0
        case "\"val\"": return 1
        case "\"test\"": return 2
        default: return nil
        }
    }
}
