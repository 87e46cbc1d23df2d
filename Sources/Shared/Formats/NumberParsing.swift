#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a number could not be read; the caller adds file, line and field.
package enum NumberSyntaxError: Error, Equatable, Sendable {
    /// Not a number in the JSON grammar; the associated text says what was wrong.
    case invalid(String)
    /// A valid number whose magnitude overflows a Double.
    case outOfRange

    package var message: String {
        switch self {
        case .invalid(let why): return why
        case .outOfRange: return "number out of range for a 64-bit float"
        }
    }
}

/// A number token read from text: its value, where it ended, and whether it was
/// written as an integer literal (no fraction, no exponent).
package struct ScannedNumber: Sendable {
    package var value: Double
    package var end: Int
    package var isIntegerLiteral: Bool
}

/// Decimal text ↔ Double, exactly. Reading follows the JSON number grammar
/// strictly (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; no `+1`, `.5`,
/// `1.`, `NaN` or `Infinity`) and rounds correctly: Clinger's fast path when the
/// significand has at most 15 digits and the power of ten is at most 22 in
/// magnitude (both exact in a Double, so one multiplication or division rounds
/// once), otherwise `strtod` on a NUL-terminated copy (glibc's is correctly
/// rounded). Writing uses Swift's shortest round-trip `description`.
package enum NumberParsing {
    /// 10^0 … 10^22, each exact in a Double.
    @usableFromInline static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Reads one JSON number starting at `start` in `base[start..<end]`; the token
    /// ends at the first byte that cannot continue it (the caller checks what follows).
    @inlinable
    package static func scan(
        _ base: UnsafePointer<UInt8>, from start: Int, to end: Int
    ) throws(NumberSyntaxError) -> ScannedNumber {
        var i = start
        var negative = false
        if i < end && base[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < end else { throw .invalid("expected digits") }
        var mantissa: UInt64 = 0
        var digits = 0          // significant digits seen (after leading zeros)
        var dropped = 0         // significant digits beyond 19 not in mantissa
        var exponent = 0        // decimal exponent applied to mantissa
        let first = base[i]
        if first == UInt8(ascii: "0") {
            i += 1
            if i < end && base[i] &- 0x30 < 10 { throw .invalid("leading zeros are not allowed") }
        } else if first &- 0x31 < 9 {
            while i < end {
                let d = base[i] &- 0x30
                if d >= 10 { break }
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(d) } else { dropped += 1 }
                digits += 1
                i += 1
            }
        } else {
            throw .invalid(first == UInt8(ascii: "+") ? "a leading + is not allowed"
                : first == UInt8(ascii: ".") ? "a digit must come before the decimal point"
                : "expected a number")
        }
        var isInteger = true
        if i < end && base[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let fractionStart = i
            while i < end {
                let d = base[i] &- 0x30
                if d >= 10 { break }
                if digits == 0 && d == 0 {
                    exponent -= 1                      // leading zero of 0.000123
                } else if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    exponent -= 1
                    digits += 1
                } else {
                    digits += 1
                }
                i += 1
            }
            if i == fractionStart { throw .invalid("expected digits after the decimal point") }
        }
        if i < end && (base[i] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            var exponentNegative = false
            if i < end && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) {
                exponentNegative = base[i] == UInt8(ascii: "-")
                i += 1
            }
            let exponentStart = i
            var e = 0
            while i < end {
                let d = base[i] &- 0x30
                if d >= 10 { break }
                if e < 100_000 { e = e * 10 + Int(d) }
                i += 1
            }
            if i == exponentStart { throw .invalid("expected digits in the exponent") }
            exponent += exponentNegative ? -e : e
        }
        exponent += dropped
        if mantissa == 0 {
            return ScannedNumber(value: negative ? -0.0 : 0.0, end: i, isIntegerLiteral: isInteger)
        }
        if digits <= 15 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent >= 0 { value *= powersOfTen[exponent] } else { value /= powersOfTen[-exponent] }
            return ScannedNumber(value: negative ? -value : value, end: i, isIntegerLiteral: isInteger)
        }
        let value = slowPath(base + start, count: i - start)
        guard value.isFinite else { throw .outOfRange }
        return ScannedNumber(value: value, end: i, isIntegerLiteral: isInteger)
    }

    /// Correctly rounded conversion of an already validated token by `strtod`.
    @usableFromInline
    static func slowPath(_ token: UnsafePointer<UInt8>, count: Int) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { copy in
            let raw = UnsafeMutableRawPointer(copy.baseAddress!)
            raw.copyMemory(from: token, byteCount: count)
            copy[count] = 0
            return strtod(copy.baseAddress!, nil)
        }
    }

    /// Parses a whole string as one JSON number.
    package static func parse(_ text: String) throws(NumberSyntaxError) -> Double {
        var text = text
        let result: Result<Double, NumberSyntaxError> = text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return .failure(.invalid("empty number")) }
            do throws(NumberSyntaxError) {
                let scanned = try scan(base, from: 0, to: bytes.count)
                guard scanned.end == bytes.count else { return .failure(.invalid("unexpected text after the number")) }
                return .success(scanned.value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Like `parse`, for data files written by other programs (CSV, the HAR
    /// text layout): also accepts a leading `+`, `.5` and `5.`, and surrounding
    /// spaces, but still refuses NaN, infinities, hexadecimal and overflow.
    package static func parseLenient(_ bytes: UnsafeRawBufferPointer) throws(NumberSyntaxError) -> Double {
        var lo = 0
        var hi = bytes.count
        while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
        while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
        guard lo < hi else { throw .invalid("empty value where a number is expected") }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if let scanned = try? scan(base, from: lo, to: hi), scanned.end == hi { return scanned.value }
        // The forms JSON forbids but decimal text allows: [+-]?digits?.?digits?([eE][+-]?digits)?
        var i = lo
        if base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
        var mantissaDigits = 0
        while i < hi && base[i] &- 0x30 < 10 { i += 1; mantissaDigits += 1 }
        if i < hi && base[i] == UInt8(ascii: ".") {
            i += 1
            while i < hi && base[i] &- 0x30 < 10 { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { throw .invalid("not a number") }
        if i < hi && (base[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < hi && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            let exponentStart = i
            while i < hi && base[i] &- 0x30 < 10 { i += 1 }
            guard i > exponentStart else { throw .invalid("not a number") }
        }
        guard i == hi else { throw .invalid("not a number") }
        let value = slowPath(base + lo, count: hi - lo)
        guard value.isFinite else { throw .outOfRange }
        return value
    }

    /// The shortest text that reads back as exactly `value`, valid as a JSON
    /// number (`0.1`, `1e-05`, `-0.0`, `5e-324`). NaN and infinities have no
    /// JSON form and are refused.
    package static func format(_ value: Double) throws(NumberSyntaxError) -> String {
        guard value.isFinite else { throw .invalid("\(value) cannot be written as a JSON number") }
        return value.description
    }

    /// Appends the shortest round-trip text of `value` to `buffer`. Integral
    /// values below 10^15 are written as integers, with `.0` after them when
    /// `integralSuffix` is set (as `description` writes them, and so that a
    /// reader can tell `3.0` from the integer literal `3`); `-0.0` keeps its
    /// fraction either way.
    @inlinable
    package static func append(
        _ value: Double, to buffer: inout [UInt8], integralSuffix: Bool = true
    ) throws(NumberSyntaxError) {
        guard value.isFinite else { throw .invalid("\(value) cannot be written as a JSON number") }
        if value == value.rounded(.towardZero) && abs(value) < 1e15 {
            var n = Int64(value)
            if n == 0 {
                if value.sign == .minus {
                    buffer.append(contentsOf: [0x2D, 0x30, 0x2E, 0x30])         // -0.0
                } else {
                    buffer.append(0x30)
                    if integralSuffix { buffer.append(contentsOf: [0x2E, 0x30]) }
                }
                return
            }
            if n < 0 { buffer.append(UInt8(ascii: "-")); n = -n }
            let startIndex = buffer.count
            while n > 0 { buffer.append(UInt8(truncatingIfNeeded: n % 10) + 0x30); n /= 10 }
            buffer[startIndex...].reverse()
            if integralSuffix { buffer.append(UInt8(ascii: ".")); buffer.append(UInt8(ascii: "0")) }
            return
        }
        var text = value.description
        text.withUTF8 { buffer.append(contentsOf: $0) }
    }
}
