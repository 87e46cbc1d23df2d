/// A JSON document: metadata in safetensors headers, and the generic NDJSON
/// records (scores, reports) the tools write and read. Objects keep their keys
/// in the order written.
package enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    package static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value of `key` in an object (nil for a missing key or a non-object).
    package subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The element at `index` of an array (nil out of range or for a non-array).
    package subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    package var double: Double? {
        if case .number(let v) = self { return v }
        return nil
    }

    /// A number that is an exact integer representable as Int.
    package var int: Int? {
        guard case .number(let v) = self, v == v.rounded(), abs(v) < 9.007_199_254_740_992e15 else { return nil }
        return Int(v)
    }

    package var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    package var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    package var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    package var object: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    package var isNull: Bool { self == .null }

    // MARK: Parsing

    /// Parses one JSON document (surrounding whitespace allowed, nothing else).
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        let value = try scanner.parseValue(depth: 0)
        scanner.skipWhitespace()
        guard scanner.position == scanner.end else {
            throw JSONSyntaxError(offset: scanner.position, message: "unexpected text after the JSON value")
        }
        return value
    }

    package static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError> = bytes.withUnsafeBytes { raw in
            do throws(JSONSyntaxError) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses `text`, reporting a syntax error as an input error at `file:line`.
    package static func parse(_ text: String, file: String? = nil, line: Int? = nil) throws -> JSONValue {
        do {
            return try parse(Array(text.utf8))
        } catch {
            throw MTIFError.input(error.description, file: file, line: line, field: error.field)
        }
    }

    // MARK: Serializing

    /// Compact JSON, keys in insertion order; integral numbers without a
    /// fraction (`3`, but `-0.0`). Non-finite numbers are refused.
    package func serialized() throws -> String {
        var bytes: [UInt8] = []
        try serialize(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    package func serialize(into bytes: inout [UInt8]) throws {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let v):
            do { try NumberParsing.append(v, to: &bytes, integralSuffix: false) } catch {
                throw MTIFError.computation("cannot write JSON: \(error.message)")
            }
        case .string(let s): JSONValue.appendQuoted(s, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                try element.serialize(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONValue.appendQuoted(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                try value.serialize(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a JSON string the way serde_json writes it (and so Python's
    /// safetensors): `"` `\` and control characters escaped (`\n`, `\t`, …,
    /// `\u001f`), everything else, including non-ASCII, as raw UTF-8.
    package static func appendQuoted(_ s: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(b >> 4)]); bytes.append(hex[Int(b & 15)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `s` as a quoted JSON string.
    package static func quoted(_ s: String) -> String {
        var bytes: [UInt8] = []
        appendQuoted(s, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A JSON syntax error at a byte offset of the text parsed.
package struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    package var offset: Int
    package var message: String
    /// The key path of the value where the error is ("scores.t01"), nil at the top level.
    package var field: String? = nil

    package init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    package var description: String { "invalid JSON at byte \(offset): \(message)" }
}
