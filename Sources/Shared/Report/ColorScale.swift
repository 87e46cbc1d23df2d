/// A diverging colour scale centred at 0 with symmetric limits ±`limit`:
/// blue below 0 (the source helps), near-white at 0, red above 0 (the source
/// hurts), piecewise linear in sRGB through ColorBrewer's 7-class RdBu.
/// Values beyond the limits take the end colours.
package struct DivergingColorScale: Sendable {
    package let limit: Double

    /// (offset in [-1, 1], red, green, blue): RdBu, blue end first.
    package static let stops: [(Double, Int, Int, Int)] = [
        (-1, 0x21, 0x66, 0xac), (-2.0 / 3, 0x67, 0xa9, 0xcf), (-1.0 / 3, 0xd1, 0xe5, 0xf0),
        (0, 0xf7, 0xf7, 0xf7),
        (1.0 / 3, 0xfd, 0xdb, 0xc7), (2.0 / 3, 0xef, 0x8a, 0x62), (1, 0xb2, 0x18, 0x2b),
    ]

    /// A scale for values in [-limit, limit]; a zero limit (all values 0) maps everything to the centre.
    package init(limit: Double) {
        self.limit = limit
    }

    /// `value` / limit clamped to [-1, 1].
    package func position(_ value: Double) -> Double {
        guard limit > 0 else { return 0 }
        return min(1, max(-1, value / limit))
    }

    /// The colour of `value` as `#rrggbb`.
    package func color(_ value: Double) -> String {
        DivergingColorScale.color(at: position(value))
    }

    /// The colour at position t ∈ [-1, 1].
    package static func color(at t: Double) -> String {
        var i = 0
        while i + 2 < stops.count && t > stops[i + 1].0 { i += 1 }
        let a = stops[i], b = stops[i + 1]
        let f = min(1, max(0, (t - a.0) / (b.0 - a.0)))
        func mix(_ x: Int, _ y: Int) -> Int { Int((Double(x) + (Double(y) - Double(x)) * f).rounded()) }
        return hex(mix(a.1, b.1), mix(a.2, b.2), mix(a.3, b.3))
    }

    private static func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
        let digits = Array("0123456789abcdef")
        var text = "#"
        for c in [r, g, b] { text.append(digits[c >> 4]); text.append(digits[c & 15]) }
        return text
    }
}
