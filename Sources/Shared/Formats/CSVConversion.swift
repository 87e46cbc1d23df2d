/// How a CSV table becomes examples: one row per example, a task column, a
/// label column, optionally an id column, and feature columns (by default every
/// other column, in file order).
///
/// Labels (`labelKind` `.auto`): class indices when every label is an integer,
/// regression values when every label is a number, class names otherwise.
/// Tasks: when every task value is a non-negative integer they are zero-padded
/// to the widest (`7` → `07` when tasks go up to 30), then `taskPrefix` is put
/// in front (`s07`). Ids: the id column, or `<task>-<0000>` numbered from 0
/// within each task in file order.
package struct CSVConversion: Sendable {
    package enum LabelKind: String, Sendable, CaseIterable {
        case auto, index, value, name
    }

    package var taskColumn: String
    package var labelColumn: String
    package var idColumn: String?
    /// nil: every column other than task, label and id.
    package var featureColumns: [String]?
    package var labelKind: LabelKind
    package var taskPrefix: String

    package init(
        taskColumn: String, labelColumn: String, idColumn: String? = nil, featureColumns: [String]? = nil,
        labelKind: LabelKind = .auto, taskPrefix: String = ""
    ) {
        self.taskColumn = taskColumn
        self.labelColumn = labelColumn
        self.idColumn = idColumn
        self.featureColumns = featureColumns
        self.labelKind = labelKind
        self.taskPrefix = taskPrefix
    }

    /// Reads the CSV at `path` (`-` = standard input) into examples, in file order.
    package func convert(path: String) throws -> [Example] {
        let csv = try CSVReader(path: path)
        let file = csv.file
        let taskIndex = try csv.column(taskColumn, role: "task")
        let labelIndex = try csv.column(labelColumn, role: "label")
        let idIndex = try idColumn.map { try csv.column($0, role: "id") }
        let featureIndices: [Int]
        if let featureColumns {
            featureIndices = try featureColumns.map { try csv.column($0, role: "features") }
        } else {
            featureIndices = csv.header.indices.filter { $0 != taskIndex && $0 != labelIndex && $0 != idIndex }
        }
        guard !featureIndices.isEmpty else {
            throw MTIFError.input("no feature columns", file: file, line: 1, hint: "name them, or give a CSV with more columns")
        }
        var rows: [(line: Int, task: String, label: String, id: String?, x: [Double])] = []
        while try csv.next() {
            let line = csv.lineNumber
            let task = try csv.text(taskIndex, field: taskColumn)
            if task.isEmpty { throw MTIFError.input("empty task", file: file, line: line, field: taskColumn) }
            let label = try csv.text(labelIndex, field: labelColumn)
            if label.isEmpty { throw MTIFError.input("empty label", file: file, line: line, field: labelColumn) }
            let id = try idIndex.map { try csv.text($0, field: idColumn!) }
            if let id, id.isEmpty { throw MTIFError.input("empty id", file: file, line: line, field: idColumn) }
            var x = [Double](repeating: 0, count: featureIndices.count)
            for (j, column) in featureIndices.enumerated() {
                let parsed: Result<Double, NumberSyntaxError> = csv.withField(column) { bytes in
                    do throws(NumberSyntaxError) { return .success(try NumberParsing.parseLenient(bytes)) } catch {
                        return .failure(error)
                    }
                }
                switch parsed {
                case .success(let v): x[j] = v
                case .failure(let error):
                    throw MTIFError.input("\(error.message), found \(JSONValue.quoted(csv.field(column)))",
                                          file: file, line: line, field: csv.header[column])
                }
            }
            rows.append((line, task, label, id, x))
        }
        guard !rows.isEmpty else { throw MTIFError.input("no data rows after the header", file: file) }

        let labels = try resolveLabels(rows.map { ($0.line, $0.label) }, file: file)
        let taskNames = resolveTasks(rows.map(\.task))
        var examples: [Example] = []
        examples.reserveCapacity(rows.count)
        var perTask: [String: Int] = [:]
        var idLines: [String: Int] = [:]
        for (k, row) in rows.enumerated() {
            let task = taskNames[k]
            let id: String
            if let given = row.id {
                id = given
            } else {
                let n = perTask[task, default: 0]
                perTask[task] = n + 1
                id = task + "-" + zeroPadded(n, width: 4)
            }
            if let previous = idLines.updateValue(row.line, forKey: id) {
                throw MTIFError.input("duplicate id \(JSONValue.quoted(id)), also on line \(previous)",
                                      file: file, line: row.line, field: idColumn ?? taskColumn)
            }
            examples.append(Example(id: id, task: task, x: row.x, y: labels[k]))
        }
        return examples
    }

    private func resolveLabels(_ labels: [(Int, String)], file: String) throws -> [Label] {
        var kind = labelKind
        if kind == .auto {
            if labels.allSatisfy({ Int($0.1) != nil }) {
                kind = .index
            } else if labels.allSatisfy({ (try? NumberParsing.parse($0.1)) != nil }) {
                kind = .value
            } else {
                kind = .name
            }
        }
        return try labels.map { line, text in
            switch kind {
            case .index:
                guard let k = Int(text) else {
                    throw MTIFError.input("expected an integer class index, found \(JSONValue.quoted(text))",
                                          file: file, line: line, field: labelColumn)
                }
                return .index(k)
            case .value:
                var text = text
                let parsed: Result<Double, NumberSyntaxError> = text.withUTF8 { bytes in
                    do throws(NumberSyntaxError) { return .success(try NumberParsing.parseLenient(UnsafeRawBufferPointer(bytes))) } catch {
                        return .failure(error)
                    }
                }
                switch parsed {
                case .success(let v): return .value(v)
                case .failure(let error):
                    throw MTIFError.input("\(error.message), found \(JSONValue.quoted(text))", file: file, line: line, field: labelColumn)
                }
            case .name, .auto:
                return .name(text)
            }
        }
    }

    private func resolveTasks(_ tasks: [String]) -> [String] {
        let isDigits = { (s: String) in !s.isEmpty && s.utf8.allSatisfy { $0 &- 0x30 < 10 } && s.utf8.count <= 18 }
        guard tasks.allSatisfy(isDigits) else { return tasks.map { taskPrefix + $0 } }
        let values = tasks.map { Int($0)! }
        let width = String(values.max()!).count
        var cache: [Int: String] = [:]
        return values.map { v in
            if let s = cache[v] { return s }
            let s = taskPrefix + zeroPadded(v, width: width)
            cache[v] = s
            return s
        }
    }
}

/// `n` in decimal with leading zeros up to `width` digits.
package func zeroPadded(_ n: Int, width: Int) -> String {
    let digits = String(n)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
