/// Streams the records of an RFC 4180 CSV file or of standard input (`-`):
/// a header row, then records of exactly as many fields; fields separated by
/// commas, optionally double-quoted (a quoted field may hold commas, line
/// breaks and doubled quotes `""`); lines end in `\n` or `\r\n`. A UTF-8
/// byte-order mark is dropped. Errors name `file:line`.
///
///     let csv = try CSVReader(path: "-")
///     while try csv.next() { csv.field(0) … }
package final class CSVReader {
    /// The column names of the header row.
    package private(set) var header: [String]
    private let input: InputFile
    /// (capacity) bytes read; [position, end) unread.
    private let buffer: UnsafeMutableRawPointer
    private let capacity = 1 << 20
    private var position = 0
    private var end = 0
    private var atEnd = false
    /// The physical line the reader is on (1-based).
    private var physicalLine = 1
    /// The 1-based line on which the current record starts.
    package private(set) var lineNumber = 0
    /// The current record's fields, concatenated, quotes removed.
    private var fieldBytes: [UInt8] = []
    /// The end offset in `fieldBytes` of each field.
    private var fieldEnds: [Int] = []

    package init(path: String) throws {
        input = try InputFile(path: path)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        header = []
        try refill()
        if end - position >= 3 && buffer.load(fromByteOffset: 0, as: UInt8.self) == 0xEF
            && buffer.load(fromByteOffset: 1, as: UInt8.self) == 0xBB
            && buffer.load(fromByteOffset: 2, as: UInt8.self) == 0xBF {
            position = 3
        }
        guard try readRecord() else {
            throw MTIFError.input("empty CSV: no header row", file: input.displayName, line: 1)
        }
        var names: [String] = []
        var seen: [String: Int] = [:]
        for i in 0..<fieldEnds.count {
            let name = field(i)
            if let previous = seen.updateValue(i + 1, forKey: name) {
                throw MTIFError.input("header names column \(JSONValue.quoted(name)) twice (columns \(previous) and \(i + 1))",
                                      file: input.displayName, line: lineNumber)
            }
            names.append(name)
        }
        header = names
    }

    deinit { buffer.deallocate() }

    /// How errors name the input.
    package var file: String { input.displayName }

    /// Number of fields of the current record (the header's count after `next()`).
    package var count: Int { fieldEnds.count }

    /// The index of a header column, or an input error naming the column.
    package func column(_ name: String, role: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw MTIFError.input(
                "no column \(JSONValue.quoted(name)) for the \(role) (the header has \(header.prefix(8).map { JSONValue.quoted($0) }.joined(separator: ", "))\(header.count > 8 ? ", …" : ""))",
                file: file, line: 1)
        }
        return i
    }

    /// Field `i` of the current record.
    package func field(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// Field `i` of the current record as bytes, valid during `body`.
    package func withField<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = i == 0 ? 0 : fieldEnds[i - 1]
        let stop = fieldEnds[i]
        return try fieldBytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<stop])) }
    }

    /// Moves to the next record; false at the end of the input.
    package func next() throws -> Bool {
        guard try readRecord() else { return false }
        if fieldEnds.count != header.count {
            throw MTIFError.input("record has \(fieldEnds.count) fields, but the header has \(header.count)",
                                  file: file, line: lineNumber, hint: "every row needs one value per header column")
        }
        return true
    }

    private func refill() throws {
        position = 0
        end = try input.read(into: buffer, count: capacity)
        if end == 0 { atEnd = true }
    }

    /// The next byte, or -1 at the end of the input.
    @inline(__always)
    private func nextByte() throws -> Int {
        if position == end {
            if atEnd { return -1 }
            try refill()
            if atEnd { return -1 }
        }
        let b = buffer.load(fromByteOffset: position, as: UInt8.self)
        position += 1
        return Int(b)
    }

    private func readRecord() throws -> Bool {
        fieldBytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        lineNumber = physicalLine
        var c = try nextByte()
        if c == -1 { return false }
        let quote = Int(UInt8(ascii: "\"")), comma = Int(UInt8(ascii: ",")), newline = 0x0A, carriage = 0x0D
        while true {
            if c == quote {
                let openLine = physicalLine
                while true {
                    c = try nextByte()
                    if c == -1 {
                        throw MTIFError.input("unterminated quoted field (opened on line \(openLine))",
                                              file: file, line: lineNumber, hint: "a quote inside a quoted field is written as two quotes \"\"")
                    }
                    if c == quote {
                        c = try nextByte()
                        if c == quote { fieldBytes.append(UInt8(ascii: "\"")); continue }
                        break
                    }
                    if c == newline { physicalLine += 1 }
                    fieldBytes.append(UInt8(truncatingIfNeeded: c))
                }
                if c != comma && c != newline && c != carriage && c != -1 {
                    throw MTIFError.input("field \(fieldEnds.count + 1): unexpected character after a closing quote",
                                          file: file, line: physicalLine, hint: "a quote inside a quoted field is written as two quotes \"\"")
                }
            } else if c != comma && c != newline && c != carriage && c != -1 {
                // An unquoted field: copy runs of ordinary bytes straight from the buffer.
                fieldBytes.append(UInt8(truncatingIfNeeded: c))
                c = -1
                while true {
                    if position == end {
                        if atEnd { break }
                        try refill()
                        if atEnd { break }
                    }
                    var j = position
                    while j < end {
                        let b = buffer.load(fromByteOffset: j, as: UInt8.self)
                        if b == 0x2C || b == 0x0A || b == 0x0D || b == 0x22 { break }
                        j += 1
                    }
                    fieldBytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer + position, count: j - position))
                    position = j
                    if j < end {
                        c = Int(buffer.load(fromByteOffset: j, as: UInt8.self))
                        position = j + 1
                        break
                    }
                }
            }
            if c == quote {
                throw MTIFError.input("field \(fieldEnds.count + 1): quote inside an unquoted field",
                                      file: file, line: physicalLine, hint: "quote the whole field and double the quotes inside it")
            }
            fieldEnds.append(fieldBytes.count)
            if c == carriage {
                c = try nextByte()
                if c != newline && c != -1 {
                    throw MTIFError.input("carriage return not followed by a line feed", file: file, line: physicalLine)
                }
            }
            if c == comma { c = try nextByte(); continue }
            if c == newline { physicalLine += 1 }
            return true
        }
    }
}

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
            let task = csv.field(taskIndex)
            if task.isEmpty { throw MTIFError.input("empty task", file: file, line: line, field: taskColumn) }
            let label = csv.field(labelIndex)
            if label.isEmpty { throw MTIFError.input("empty label", file: file, line: line, field: labelColumn) }
            let id = idIndex.map { csv.field($0) }
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
