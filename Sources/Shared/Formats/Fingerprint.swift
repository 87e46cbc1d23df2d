/// A 64-bit FNV-1a content fingerprint, written as 16 hex digits. Artefacts
/// record the fingerprints of their inputs so that a tool can refuse to
/// combine files computed from different data or parameters. Not a
/// cryptographic hash: it guards against mistakes, not adversaries.
package struct Fingerprint: Sendable {
    private var state: UInt64 = 0xCBF2_9CE4_8422_2325

    package init() {}

    package mutating func add(bytes: UnsafeRawBufferPointer) {
        var h = state
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        state = h
    }

    package mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(bytes: UnsafeRawBufferPointer($0)) }
        add(UInt64(0xFF))  // separator: "ab","c" differs from "a","bc"
    }

    package mutating func add(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { add(bytes: $0) }
    }

    package mutating func add(_ values: [Double]) {
        add(UInt64(values.count))
        values.withUnsafeBytes { add(bytes: $0) }
    }

    package var value: UInt64 { state }

    package var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The fingerprint of a set of examples: ids, tasks, features and labels in
    /// order, independent of how the numbers were formatted in the file.
    package static func of(_ examples: [Example]) -> String {
        var f = Fingerprint()
        for e in examples { f.add(e) }
        return f.hex
    }

    /// Adds one example, as `of(_:)` does: streaming readers fingerprint a
    /// data set without holding it.
    package mutating func add(_ e: Example) {
        add(e.id)
        add(e.task)
        add(e.x)
        switch e.y {
        case .index(let c): add("i\(c)")
        case .name(let s): add("n" + s)
        case .value(let v): add("v"); add([v])
        }
    }

    package static func of(_ values: [Double]) -> String {
        var f = Fingerprint()
        f.add(values)
        return f.hex
    }
}
