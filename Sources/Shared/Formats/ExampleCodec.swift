/// Examples as NDJSON, one object per line:
///
///     {"id":"s07-0042","task":"s07","x":[0.12,-0.5],"y":3,"har_split":"train"}
///
/// `id` a string (a number is taken as its text; absent: the 0-based line
/// number), unique within the file; `task` a non-empty string; `x` a non-empty
/// array of numbers of the same length on every line; `y` an integer literal
/// (class index), another number (regression value) or a string (class name).
/// Other keys are kept as the exact bytes of their values.
///
/// Reading is one pass over each line's bytes with no intermediate JSON tree;
/// every malformed line is an input error naming file, line and field.
package struct ExampleReader {
    private let lines: LineReader
    /// D, fixed by the first example.
    package private(set) var features: Int?
    /// id → the line that used it.
    private var idLines: [String: Int] = [:]

    /// Opens an NDJSON file, or standard input for `-`.
    package init(path: String) throws {
        lines = try LineReader(path: path)
    }

    /// How errors name the input: the path or "standard input".
    package var file: String { lines.displayName }

    /// True when the input is a regular file (so it can be read again).
    package var isRegularFile: Bool { lines.input.regularFileSize != nil }

    /// The 1-based number of the line of the example last returned.
    package var lineNumber: Int { lines.lineNumber }

    /// The bytes of the line last returned, without its line terminator; valid
    /// until the next call to `next()`. Tools that pass examples through write
    /// these back unchanged.
    package var currentLine: UnsafeRawBufferPointer { lines.currentLine }

    /// A copy of `currentLine`.
    package var currentLineBytes: [UInt8] { Array(lines.currentLine) }

    /// The next example, or nil at the end of the input.
    package mutating func next() throws -> Example? {
        guard let line = try lines.next() else { return nil }
        let number = lines.lineNumber
        var parser = ExampleLineParser(line: line, file: file, lineNumber: number, features: features)
        return try admit(try parser.parse(), line: number)
    }

    /// The checks across lines, in input order: every x as long as line 1's,
    /// ids unique (an absent id becomes the 0-based line number).
    private mutating func admit(_ parsed: Example, line number: Int) throws -> Example {
        var example = parsed
        if let features {
            if example.x.count != features {
                throw MTIFError.input(
                    "has \(example.x.count) numbers, but line 1 has \(features)", file: file, line: number, field: "x",
                    hint: "every example needs the same number of features")
            }
        } else {
            features = example.x.count
        }
        if example.id.isEmpty { example.id = String(number - 1) }
        example.line = number
        if let previous = idLines.updateValue(number, forKey: example.id) {
            throw MTIFError.input(
                "duplicate id \(JSONValue.quoted(example.id)), also on line \(previous)", file: file, line: number,
                field: "id", hint: "ids must be unique within a file")
        }
        return example
    }

    /// Every remaining example (`nextBatch` until the end).
    package mutating func readAll() throws -> [Example] {
        var examples: [Example] = []
        while true {
            let batch = try nextBatch(maxExamples: .max)
            if batch.isEmpty { return examples }
            examples += batch
        }
    }

    /// The next examples, at most `maxExamples` and about 4 MiB of text (so
    /// memory stays bounded), empty at the end of the input. The lines are cut
    /// into fixed ranges parsed side by side (most of reading a large file is
    /// number parsing); the checks across lines then run in input order, so
    /// the examples, and the first error reported, are those of `next()`.
    package mutating func nextBatch(maxExamples: Int) throws -> [Example] {
        var batch = LineBatch()
        while batch.count < maxExamples, batch.bytes.count < LineBatch.targetBytes, let line = try lines.next() {
            batch.append(line, number: lines.lineNumber)
        }
        let chunks = batch.bytes.count < LineBatch.parallelBytes ? 1 : min(Gemm.defaultThreads, batch.count)
        var examples: [Example] = []
        examples.reserveCapacity(batch.count)
        for result in batch.parse(chunks: chunks, file: file, features: features) {
            for (example, line) in result.examples { examples.append(try admit(example, line: line)) }
            if let error = result.error { throw error }
        }
        return examples
    }

    /// Every example of an NDJSON file (or `-`).
    package static func readAll(path: String) throws -> [Example] {
        var reader = try ExampleReader(path: path)
        return try reader.readAll()
    }
}

/// Lines copied out of a `LineReader` (its views last one call), parsed by
/// fixed ranges of lines on separate threads.
private struct LineBatch {
    /// Bytes per batch: bounded memory however large the file.
    static let targetBytes = 4 << 20
    /// Below this a batch is parsed on the calling thread.
    static let parallelBytes = 1 << 20

    var bytes: [UInt8] = []
    /// Line i is bytes[starts[i] ..< starts[i + 1]].
    var starts: [Int] = [0]
    var numbers: [Int] = []

    var count: Int { numbers.count }

    mutating func append(_ line: UnsafeRawBufferPointer, number: Int) {
        bytes.append(contentsOf: line)
        starts.append(bytes.count)
        numbers.append(number)
    }

    /// Each range's examples with their line numbers, up to its first error.
    func parse(chunks: Int, file: String, features: Int?) -> [(examples: [(Example, Int)], error: Error?)] {
        let results = UnsafeMutableBufferPointer<(examples: [(Example, Int)], error: Error?)>.allocate(capacity: chunks)
        results.initialize(repeating: ([], nil))
        defer {
            results.deinitialize()
            results.deallocate()
        }
        bytes.withUnsafeBytes { raw in
            let shared = UncheckedSendable((raw, results, self))
            parallelChunks(chunks) { chunk in
                let (raw, results, batch) = shared.value
                var parsed: [(Example, Int)] = []
                for i in batch.count * chunk / chunks ..< batch.count * (chunk + 1) / chunks {
                    let line = UnsafeRawBufferPointer(rebasing: raw[batch.starts[i] ..< batch.starts[i + 1]])
                    var parser = ExampleLineParser(line: line, file: file, lineNumber: batch.numbers[i], features: features)
                    do {
                        parsed.append((try parser.parse(), batch.numbers[i]))
                    } catch {
                        results[chunk] = (parsed, error)
                        return
                    }
                }
                results[chunk] = (parsed, nil)
            }
        }
        return Array(results)
    }
}

/// The single-pass scanner of one example line.
private struct ExampleLineParser {
    var scanner: JSONScanner
    let file: String
    let lineNumber: Int
    let expectedFeatures: Int?

    init(line: UnsafeRawBufferPointer, file: String, lineNumber: Int, features: Int?) {
        scanner = JSONScanner(line)
        self.file = file
        self.lineNumber = lineNumber
        expectedFeatures = features
    }

    func fail(_ message: String, field: String? = nil, hint: String? = nil) -> MTIFError {
        MTIFError.input(message, file: file, line: lineNumber, field: field, hint: hint)
    }

    func fail(_ error: JSONSyntaxError, field: String?) -> MTIFError {
        MTIFError.input(error.description, file: file, line: lineNumber, field: field)
    }

    enum Key { case id, task, x, y, other }

    /// Classifies a key given as raw bytes (no escapes).
    static func classify(_ p: UnsafePointer<UInt8>, _ count: Int) -> Key {
        switch count {
        case 1:
            if p[0] == UInt8(ascii: "x") { return .x }
            if p[0] == UInt8(ascii: "y") { return .y }
        case 2:
            if p[0] == UInt8(ascii: "i") && p[1] == UInt8(ascii: "d") { return .id }
        case 4:
            if p[0] == UInt8(ascii: "t") && p[1] == UInt8(ascii: "a") && p[2] == UInt8(ascii: "s")
                && p[3] == UInt8(ascii: "k") { return .task }
        default: break
        }
        return .other
    }

    mutating func parse() throws -> Example {
        scanner.skipWhitespace()
        guard scanner.position < scanner.end else {
            throw fail("blank line", hint: "NDJSON has one JSON object per line and no empty lines")
        }
        guard scanner.base[scanner.position] == UInt8(ascii: "{") else {
            throw fail("expected a JSON object, found \(scanner.found())")
        }
        scanner.position += 1
        var id: String?
        var task: String?
        var x: [Double]?
        var y: Label?
        var extras: [ExtraField] = []
        var extraKeys = Set<String>()
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.position += 1
        } else {
            while true {
                scanner.skipWhitespace()
                guard scanner.peek == UInt8(ascii: "\"") else {
                    throw fail(JSONSyntaxError(offset: scanner.position, message: "expected a key string, found \(scanner.found())"), field: nil)
                }
                var kind = Key.other
                var name = ""
                do throws(JSONSyntaxError) {
                    if let range = try scanner.scanSimpleString() {
                        kind = ExampleLineParser.classify(scanner.base + range.lowerBound, range.count)
                        if kind == .other {
                            let bytes = UnsafeBufferPointer(start: scanner.base + range.lowerBound, count: range.count)
                            guard let s = String(validating: bytes, as: UTF8.self) else {
                                throw JSONSyntaxError(offset: range.lowerBound, message: "invalid UTF-8 in key")
                            }
                            name = s
                        }
                    } else {
                        name = try scanner.parseString()
                        switch name {
                        case "id": kind = .id
                        case "task": kind = .task
                        case "x": kind = .x
                        case "y": kind = .y
                        default: kind = .other
                        }
                    }
                    scanner.skipWhitespace()
                    try scanner.expect(UInt8(ascii: ":"), "':' after the key")
                    scanner.skipWhitespace()
                } catch {
                    throw fail(error, field: nil)
                }
                switch kind {
                case .id:
                    if id != nil { throw fail("duplicate key", field: "id") }
                    id = try parseID()
                case .task:
                    if task != nil { throw fail("duplicate key", field: "task") }
                    let t = try parseStringField("task")
                    if t.isEmpty { throw fail("empty task name", field: "task") }
                    if let problem = ExampleLineParser.unsafeName(t) {
                        throw fail("task name \(JSONValue.quoted(t)) \(problem)", field: "task",
                                   hint: "use printable characters without surrounding spaces")
                    }
                    task = t
                case .x:
                    if x != nil { throw fail("duplicate key", field: "x") }
                    x = try parseX()
                case .y:
                    if y != nil { throw fail("duplicate key", field: "y") }
                    y = try parseY()
                case .other:
                    // A set once the line has many keys: a linear search per key
                    // made a 100k-key line quadratic (19 s to parse).
                    if extras.count < 16 {
                        if extras.contains(where: { $0.key == name }) { throw fail("duplicate key", field: name) }
                    } else {
                        if extraKeys.isEmpty { extraKeys = Set(extras.map(\.key)) }
                        guard extraKeys.insert(name).inserted else { throw fail("duplicate key", field: name) }
                    }
                    let start = scanner.position
                    do throws(JSONSyntaxError) { try scanner.skipValue(depth: 1) } catch { throw fail(error, field: name) }
                    let raw = UnsafeBufferPointer(start: scanner.base + start, count: scanner.position - start)
                    extras.append(ExtraField(key: name, json: String(decoding: raw, as: UTF8.self)))
                }
                scanner.skipWhitespace()
                guard scanner.position < scanner.end else {
                    throw fail("invalid JSON: the object is not closed (missing '}')")
                }
                let b = scanner.base[scanner.position]
                scanner.position += 1
                if b == UInt8(ascii: ",") { continue }
                if b == UInt8(ascii: "}") { break }
                scanner.position -= 1
                throw fail(JSONSyntaxError(offset: scanner.position, message: "expected ',' or '}', found \(scanner.found())"), field: nil)
            }
        }
        scanner.skipWhitespace()
        if scanner.position != scanner.end {
            throw fail("invalid JSON: unexpected text after the object at byte \(scanner.position)",
                       hint: "NDJSON has exactly one JSON object per line")
        }
        guard let task else { throw fail("missing key \"task\"", field: "task") }
        guard let x else { throw fail("missing key \"x\"", field: "x") }
        guard let y else { throw fail("missing key \"y\"", field: "y") }
        return Example(id: id ?? "", task: task, x: x, y: y, extras: extras)
    }

    /// Why `name` (an id or task name) cannot survive a line-based list or a
    /// terminal: a control character (newline, CR, tab, NUL, DEL, C1, the
    /// Unicode line separators) anywhere, or white space at either end. Nil
    /// when it is fine.
    static func unsafeName(_ name: String) -> String? {
        for scalar in name.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (0x7F ... 0x9F).contains(v) || v == 0x2028 || v == 0x2029 {
                let hex = String(v, radix: 16, uppercase: true)
                return "contains the control character U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)"
            }
        }
        if let first = name.unicodeScalars.first, first.properties.isWhitespace {
            return "starts with white space"
        }
        if let last = name.unicodeScalars.last, last.properties.isWhitespace {
            return "ends with white space"
        }
        return nil
    }

    mutating func parseStringField(_ field: String) throws -> String {
        guard scanner.peek == UInt8(ascii: "\"") else {
            throw fail("expected a string, found \(scanner.found())", field: field)
        }
        do throws(JSONSyntaxError) { return try scanner.parseString() } catch { throw fail(error, field: field) }
    }

    mutating func parseID() throws -> String {
        if scanner.peek == UInt8(ascii: "\"") {
            let s = try parseStringField("id")
            if s.isEmpty { throw fail("empty id", field: "id") }
            if let problem = ExampleLineParser.unsafeName(s) {
                throw fail("id \(JSONValue.quoted(s)) \(problem)", field: "id",
                           hint: "ids go into line-based lists (--dropped-ids, --exclude); use printable characters without surrounding spaces")
            }
            return s
        }
        guard let b = scanner.peek, b == UInt8(ascii: "-") || b &- 0x30 < 10 else {
            throw fail("expected a string or a number, found \(scanner.found())", field: "id")
        }
        let start = scanner.position
        do throws(JSONSyntaxError) { _ = try scanner.parseNumber() } catch { throw fail(error, field: "id") }
        return String(decoding: UnsafeBufferPointer(start: scanner.base + start, count: scanner.position - start), as: UTF8.self)
    }

    mutating func parseX() throws -> [Double] {
        guard scanner.peek == UInt8(ascii: "[") else {
            throw fail("expected an array of numbers, found \(scanner.found())", field: "x")
        }
        scanner.position += 1
        var x: [Double] = []
        x.reserveCapacity(expectedFeatures ?? 64)
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") {
            throw fail("empty array", field: "x", hint: "every example needs at least one feature")
        }
        let base = scanner.base
        let end = scanner.end
        var i = scanner.position
        while true {
            while i < end && (base[i] == 0x20 || base[i] == 0x09) { i += 1 }
            // Hot path: a plain number straight from the shared scanner.
            if i < end, base[i] == UInt8(ascii: "-") || base[i] &- 0x30 < 10,
               let scanned = try? NumberParsing.scan(base, from: i, to: end) {
                x.append(scanned.value)
                i = scanned.end
            } else {
                scanner.position = i
                guard i < end else { throw fail("the array is not closed (missing ']')", field: "x") }
                do throws(JSONSyntaxError) {
                    let b = base[i]
                    if b == UInt8(ascii: "\"") || b == UInt8(ascii: "[") || b == UInt8(ascii: "{")
                        || b == UInt8(ascii: "t") || b == UInt8(ascii: "f") || b == UInt8(ascii: "n") && (i + 1 < end && base[i + 1] == UInt8(ascii: "u")) {
                        throw JSONSyntaxError(offset: i, message: "element \(x.count): expected a number, found \(scanner.found())")
                    }
                    _ = try scanner.parseNumber()
                } catch {
                    if error.message.hasPrefix("element") { throw fail(error.message, field: "x") }
                    throw fail("element \(x.count): \(error.message)", field: "x")
                }
                throw fail("element \(x.count): expected a number, found \(scanner.found())", field: "x")
            }
            while i < end && (base[i] == 0x20 || base[i] == 0x09) { i += 1 }
            guard i < end else { throw fail("the array is not closed (missing ']')", field: "x") }
            if base[i] == UInt8(ascii: ",") { i += 1; continue }
            if base[i] == UInt8(ascii: "]") { i += 1; break }
            scanner.position = i
            throw fail("element \(x.count - 1): expected ',' or ']' after the number, found \(scanner.found())", field: "x")
        }
        scanner.position = i
        return x
    }

    mutating func parseY() throws -> Label {
        guard let b = scanner.peek else { throw fail("expected a value, found end of line", field: "y") }
        if b == UInt8(ascii: "\"") {
            let s = try parseStringField("y")
            if s.isEmpty { throw fail("empty class name", field: "y") }
            return .name(s)
        }
        if b == UInt8(ascii: "[") || b == UInt8(ascii: "{") || b == UInt8(ascii: "t") || b == UInt8(ascii: "f")
            || (b == UInt8(ascii: "n") && scanner.position + 1 < scanner.end && scanner.base[scanner.position + 1] == UInt8(ascii: "u")) {
            throw fail("expected a class index, class name or number, found \(scanner.found())", field: "y")
        }
        let scanned: ScannedNumber
        do throws(JSONSyntaxError) { scanned = try scanner.parseNumber() } catch { throw fail(error, field: "y") }
        if scanned.isIntegerLiteral && abs(scanned.value) < 9.007_199_254_740_992e15 {
            return .index(Int(scanned.value))
        }
        return .value(scanned.value)
    }
}

/// Appends one example as an NDJSON line (with its `\n`):
/// `{"id":…,"task":…,"x":[…],"y":…,<extras in order>}`. Numbers are written
/// shortest round-trip (integral features as integers; a regression label
/// keeps `.0` so it reads back as a value, not a class index); a non-finite
/// feature or label is refused.
package func encodeExampleLine(_ e: Example, into bytes: inout [UInt8]) throws {
    bytes.append(contentsOf: "{\"id\":".utf8)
    JSONValue.appendQuoted(e.id, to: &bytes)
    bytes.append(contentsOf: ",\"task\":".utf8)
    JSONValue.appendQuoted(e.task, to: &bytes)
    bytes.append(contentsOf: ",\"x\":[".utf8)
    for (j, v) in e.x.enumerated() {
        if j > 0 { bytes.append(UInt8(ascii: ",")) }
        do throws(NumberSyntaxError) { try NumberParsing.append(v, to: &bytes, integralSuffix: false) } catch {
            throw MTIFError.computation("example \(JSONValue.quoted(e.id)): field \"x\": element \(j): \(error.message)")
        }
    }
    bytes.append(contentsOf: "],\"y\":".utf8)
    switch e.y {
    case .index(let k): bytes.append(contentsOf: String(k).utf8)
    case .name(let s): JSONValue.appendQuoted(s, to: &bytes)
    case .value(let v):
        do throws(NumberSyntaxError) { try NumberParsing.append(v, to: &bytes) } catch {
            throw MTIFError.computation("example \(JSONValue.quoted(e.id)): field \"y\": \(error.message)")
        }
    }
    for extra in e.extras {
        switch extra.key {
        case "id", "task", "x", "y":
            throw MTIFError.computation("example \(JSONValue.quoted(e.id)): extra field \"\(extra.key)\" would repeat a core key")
        default: break
        }
        bytes.append(UInt8(ascii: ","))
        JSONValue.appendQuoted(extra.key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: extra.json.utf8)
    }
    bytes.append(contentsOf: "}\n".utf8)
}

/// One example as an NDJSON line, ending in `\n`.
package func encodeExampleLine(_ e: Example) throws -> String {
    var bytes: [UInt8] = []
    try encodeExampleLine(e, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes examples as NDJSON to a checked output, reusing one line buffer.
package struct ExampleWriter {
    package let output: OutputFile
    private var line: [UInt8] = []

    package init(output: OutputFile) {
        self.output = output
        line.reserveCapacity(1 << 14)
    }

    package mutating func write(_ example: Example) throws {
        line.removeAll(keepingCapacity: true)
        try encodeExampleLine(example, into: &line)
        try output.write(bytes: line)
    }

    package mutating func write(_ examples: some Sequence<Example>) throws {
        for example in examples { try write(example) }
    }
}
