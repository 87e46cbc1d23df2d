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
            let name = try text(i, field: "column \(i + 1)")
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

    /// Field `i` of the current record as text, checked to be UTF-8: names,
    /// labels and ids travel on into JSON, where replacement characters would
    /// silently merge distinct values. `field` names it in the error.
    package func text(_ i: Int, field: String) throws -> String {
        guard let s = withField(i, { String(validating: $0, as: UTF8.self) }) else {
            throw MTIFError.input("invalid UTF-8", file: file, line: lineNumber, field: field,
                                  hint: "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)")
        }
        return s
    }

    /// Field `i` of the current record as bytes, valid during `body`.
    package func withField<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = i == 0 ? 0 : fieldEnds[i - 1]
        let stop = fieldEnds[i]
        return try fieldBytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<stop])) }
    }

    /// How an error names column `i` (0-based): its header name once the header
    /// is read, else its 1-based position.
    private func columnName(_ i: Int) -> String {
        i < header.count ? header[i] : "column \(i + 1)"
    }

    /// Moves to the next record; false at the end of the input.
    package func next() throws -> Bool {
        guard try readRecord() else { return false }
        if fieldEnds.count == 1 && fieldEnds[0] == 0 && header.count > 1 {
            throw MTIFError.input("blank line", file: file, line: lineNumber, hint: "remove empty lines from the CSV")
        }
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
                    throw MTIFError.input("unexpected character after a closing quote",
                                          file: file, line: physicalLine, field: columnName(fieldEnds.count), hint: "a quote inside a quoted field is written as two quotes \"\"")
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
                throw MTIFError.input("quote inside an unquoted field",
                                      file: file, line: physicalLine, field: columnName(fieldEnds.count), hint: "quote the whole field and double the quotes inside it")
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
