/// The strict JSON scanner shared by `JSONValue.parse` and the example reader:
/// RFC 8259 grammar, UTF-8 validated strings, `\uXXXX` escapes with surrogate
/// pairs, no NaN or Infinity, a nesting limit.
package struct JSONScanner {
    package let base: UnsafePointer<UInt8>
    package let end: Int
    package var position = 0

    static let maximumDepth = 512
    /// A valid address for empty input, never read.
    nonisolated(unsafe) private static let emptyBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

    package init(_ bytes: UnsafeRawBufferPointer) {
        if let address = bytes.baseAddress {
            base = address.assumingMemoryBound(to: UInt8.self)
        } else {
            base = UnsafePointer(JSONScanner.emptyBuffer)
        }
        end = bytes.count
    }

    @inline(__always)
    package mutating func skipWhitespace() {
        while position < end {
            let b = base[position]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            position += 1
        }
    }

    @inline(__always)
    package var peek: UInt8? { position < end ? base[position] : nil }

    package func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, message: message)
    }

    /// A short printable description of what is at the current position,
    /// quoted as a JSON string.
    package func found() -> String {
        guard position < end else { return "end of line" }
        let stop = min(end, position + 12)
        let text = String(decoding: UnsafeBufferPointer(start: base + position, count: stop - position), as: UTF8.self)
        return JSONValue.quoted(text + (stop < end ? "…" : ""))
    }

    package mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        guard position < end, base[position] == byte else { throw error("expected \(what), found \(found())") }
        position += 1
    }

    package mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < JSONScanner.maximumDepth else { throw error("nesting deeper than \(JSONScanner.maximumDepth)") }
        guard position < end else { throw error("expected a value, found end of text") }
        switch base[position] {
        case UInt8(ascii: "{"):
            position += 1
            var members: [(String, JSONValue)] = []
            var seen: Set<String> = []
            skipWhitespace()
            if peek == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                let keyOffset = position
                guard peek == UInt8(ascii: "\"") else { throw error("expected a key string, found \(found())") }
                let key = try parseString()
                guard seen.insert(key).inserted else {
                    throw JSONSyntaxError(offset: keyOffset, message: "duplicate key \(JSONValue.quoted(key))")
                }
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                // Name the key path in an error inside the value: "scores.t01".
                do throws(JSONSyntaxError) { members.append((key, try parseValue(depth: depth + 1))) } catch {
                    var located = error
                    located.field = error.field.map { key + "." + $0 } ?? key
                    throw located
                }
                skipWhitespace()
                guard position < end else { throw error("unterminated object") }
                if base[position] == UInt8(ascii: ",") { position += 1; continue }
                if base[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                throw error("expected ',' or '}', found \(found())")
            }
        case UInt8(ascii: "["):
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard position < end else { throw error("unterminated array") }
                if base[position] == UInt8(ascii: ",") { position += 1; continue }
                if base[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
                throw error("expected ',' or ']', found \(found())")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null"); return .null
        default:
            return .number(try parseNumber().value)
        }
    }

    /// Skips over one value, checking its syntax, without building it.
    package mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard position < end else { throw error("expected a value, found end of text") }
        switch base[position] {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["): _ = try parseValue(depth: depth)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try parseNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        let text = word.utf8Start
        guard end - position >= count else { throw error("expected a value, found \(found())") }
        for k in 0..<count where base[position + k] != text[k] {
            throw error("expected a value, found \(found())")
        }
        position += count
    }

    /// A number, with NaN and Infinity named when someone wrote them.
    package mutating func parseNumber() throws(JSONSyntaxError) -> ScannedNumber {
        let b = base[position]
        let next = position + 1 < end ? base[position + 1] : 0
        if b == UInt8(ascii: "N") || b == UInt8(ascii: "I") || b == UInt8(ascii: "i")
            || (b == UInt8(ascii: "-") && (next == UInt8(ascii: "I") || next == UInt8(ascii: "i")))
            || (b == UInt8(ascii: "n") && next == UInt8(ascii: "a")) {
            throw error("NaN and Infinity are not valid JSON numbers, found \(found())")
        }
        guard b == UInt8(ascii: "-") || b &- 0x30 < 10 || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") else {
            throw error("expected a value, found \(found())")
        }
        do {
            let scanned = try NumberParsing.scan(base, from: position, to: end)
            position = scanned.end
            return scanned
        } catch {
            throw self.error("\(error.message), found \(found())")
        }
    }

    /// Reads a string at the current `"`, decoding escapes and validating UTF-8.
    package mutating func parseString() throws(JSONSyntaxError) -> String {
        let range = try scanSimpleString()
        if let range {
            let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
            if let ascii = JSONScanner.asciiString(bytes) { return ascii }
            guard let s = String(validating: bytes, as: UTF8.self) else {
                throw JSONSyntaxError(offset: range.lowerBound, message: "invalid UTF-8 in string")
            }
            return s
        }
        return try parseEscapedString()
    }

    @inline(__always)
    static func asciiString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var all: UInt8 = 0
        for b in bytes { all |= b }
        return all < 0x80 ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// Fast path: a string without escapes. Returns its content range and moves past
    /// the closing quote, or returns nil (position unchanged) when it has escapes.
    @inline(__always)
    package mutating func scanSimpleString() throws(JSONSyntaxError) -> Range<Int>? {
        let contentStart = position + 1
        var i = contentStart
        while i < end {
            let b = base[i]
            if b == UInt8(ascii: "\"") {
                position = i + 1
                return contentStart..<i
            }
            if b == UInt8(ascii: "\\") { return nil }
            if b < 0x20 {
                throw JSONSyntaxError(offset: i, message: "control character in string (escape it as \\u00XX)")
            }
            i += 1
        }
        throw JSONSyntaxError(offset: position, message: "unterminated string")
    }

    private mutating func skipString() throws(JSONSyntaxError) {
        if let range = try scanSimpleString() {
            let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
            if JSONScanner.asciiString(bytes) == nil, String(validating: bytes, as: UTF8.self) == nil {
                throw JSONSyntaxError(offset: range.lowerBound, message: "invalid UTF-8 in string")
            }
            return
        }
        _ = try parseEscapedString()
    }

    private mutating func parseEscapedString() throws(JSONSyntaxError) -> String {
        let open = position
        var out: [UInt8] = []
        var i = position + 1
        while true {
            guard i < end else { throw JSONSyntaxError(offset: open, message: "unterminated string") }
            let b = base[i]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 {
                throw JSONSyntaxError(offset: i, message: "control character in string (escape it as \\u00XX)")
            }
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            guard i + 1 < end else { throw JSONSyntaxError(offset: open, message: "unterminated string") }
            let e = base[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 6 <= end, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") else {
                        throw JSONSyntaxError(offset: i - 6, message: "unpaired surrogate in \\u escape")
                    }
                    let low = try hex4(at: i + 2)
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw JSONSyntaxError(offset: i, message: "unpaired surrogate in \\u escape")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw JSONSyntaxError(offset: i - 6, message: "unpaired surrogate in \\u escape")
                }
                out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
            default:
                throw JSONSyntaxError(offset: i - 2, message: "invalid escape \\\(Character(Unicode.Scalar(e)))")
            }
        }
        position = i + 1
        guard let s = String(validating: out, as: UTF8.self) else {
            throw JSONSyntaxError(offset: open, message: "invalid UTF-8 in string")
        }
        return s
    }

    private func hex4(at i: Int) throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= end else { throw JSONSyntaxError(offset: i, message: "incomplete \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = base[i + k]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 0x41 + 10)
            default: throw JSONSyntaxError(offset: i, message: "invalid \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }
}
