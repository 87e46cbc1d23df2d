/// The task×task relatedness matrix R(l→k) as `mtif-influence --by-task`
/// (or `--matrix FILE`) writes it: one `{"type":"relatedness","source":l,
/// "target":k,"value":R}` record per cell; other record types are skipped.
/// Positive R: the source task hurts the target (negative transfer).
///
/// Rows are sources, columns targets, both over the same task list (every task
/// named as a source or a target, in order of first appearance), so that the
/// diagonal is the within-task term. A cell no record gives is nil.
package struct TaskMatrix: Sendable {
    /// (K) task names, the order of rows and of columns.
    package let tasks: [String]
    /// (K, K): values[l][k] = R(tasks[l] → tasks[k]), nil when absent.
    package let values: [[Double?]]

    package init(tasks: [String], values: [[Double?]]) {
        precondition(values.count == tasks.count && values.allSatisfy { $0.count == tasks.count })
        self.tasks = tasks
        self.values = values
    }

    /// The cells no record gave, as (source, target) names in row-major order.
    package var missingCells: [(source: String, target: String)] {
        var missing: [(String, String)] = []
        for l in tasks.indices { for k in tasks.indices where values[l][k] == nil { missing.append((tasks[l], tasks[k])) } }
        return missing
    }

    /// max |R| over the present cells (0 when none is nonzero).
    package var maxMagnitude: Double {
        values.joined().compactMap { $0 }.reduce(0) { max($0, abs($1)) }
    }

    /// max |R| over the present cells off the diagonal (0 when none is nonzero).
    package var maxOffDiagonalMagnitude: Double {
        var largest = 0.0
        for l in tasks.indices { for k in tasks.indices where l != k { if let v = values[l][k] { largest = max(largest, abs(v)) } } }
        return largest
    }

    /// Reads relatedness records from `path` ('-' = stdin). Malformed lines,
    /// missing fields, duplicate cells and a file without relatedness records
    /// are input errors naming the file and line.
    package static func read(path: String) throws -> TaskMatrix {
        let reader = try RecordReader(path: path)
        let file = reader.file
        var tasks: [String] = []
        var index: [String: Int] = [:]
        var cells: [Int: (value: Double, line: Int)] = [:]   // key l·2^32 + k
        func taskIndex(_ name: String) -> Int {
            if let i = index[name] { return i }
            index[name] = tasks.count
            tasks.append(name)
            return tasks.count - 1
        }
        while let record = try reader.next(type: "relatedness") {
            func fail(_ field: String, _ what: String) -> MTIFError {
                MTIFError.input("missing or not \(what)", file: file, line: reader.lineNumber, field: field,
                                hint: "a relatedness record reads {\"type\":\"relatedness\",\"source\":\"t02\",\"target\":\"t01\",\"value\":0.0123}")
            }
            guard let source = record["source"]?.string else { throw fail("source", "a string") }
            guard let target = record["target"]?.string else { throw fail("target", "a string") }
            guard let value = record["value"]?.double else { throw fail("value", "a number") }
            let key = taskIndex(source) << 32 | taskIndex(target)
            if let earlier = cells[key] {
                throw MTIFError.input(
                    "duplicate cell \(source) → \(target) (first given on line \(earlier.line))",
                    file: file, line: reader.lineNumber)
            }
            cells[key] = (value, reader.lineNumber)
        }
        guard !cells.isEmpty else {
            throw MTIFError.input(
                "\(file): no relatedness records",
                hint: "give the task matrix of mtif-influence --by-task (or --matrix FILE)")
        }
        var values = [[Double?]](repeating: [Double?](repeating: nil, count: tasks.count), count: tasks.count)
        for (key, cell) in cells { values[key >> 32][key & 0xFFFF_FFFF] = cell.value }
        return TaskMatrix(tasks: tasks, values: values)
    }
}
