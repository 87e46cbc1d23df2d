#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Axis ticks on a 1-2-5 grid: the step is m·10^e with m ∈ {1, 2, 5}, chosen so
/// that the range spans about `count` steps; every tick is an integer multiple
/// of the step, so the labels are exact ("0.02", not "0.020000000000000004").
///
///     Ticks(covering: 0.013, 0.87)   // step 0.2: 0, 0.2, …, 1 (limits widened to 0 and 1)
///     Ticks(within: -0.37, 0.37)     // step 0.2: -0.2, 0, 0.2 (limits kept)
package struct Ticks: Equatable, Sendable {
    /// m in m·10^e: 1, 2 or 5.
    package let mantissa: Int
    /// e in m·10^e.
    package let exponent: Int
    /// The tick multiples of the step: tick i is `multiples[i]`·m·10^e.
    package let multiples: [Int]
    /// The axis limits: the data range widened to whole steps (`covering`) or kept (`within`).
    package let lower: Double
    package let upper: Double

    package var step: Double { Ticks.scaled(mantissa, exponent) }

    /// The tick values, lower to upper.
    package var values: [Double] { multiples.map { Ticks.scaled($0 * mantissa, exponent) } }

    /// The tick labels, the same precision for all (see `label(_:)`).
    package var labels: [String] { multiples.map { Ticks.format($0 * mantissa, exponent) } }

    /// Limits widened to whole steps around [lower, upper], ticks at every step.
    package init(covering lower: Double, _ upper: Double, count: Int = 5) {
        let (lo, hi) = Ticks.usableRange(lower, upper)
        (mantissa, exponent) = Ticks.niceStep((hi - lo) / Double(max(1, count)))
        let step = Ticks.scaled(mantissa, exponent)
        let first = Int((lo / step).rounded(.down)), last = Int((hi / step).rounded(.up))
        multiples = Array(first ... max(first + 1, last))
        self.lower = Ticks.scaled(multiples.first! * mantissa, exponent)
        self.upper = Ticks.scaled(multiples.last! * mantissa, exponent)
    }

    /// Limits kept as given, ticks at the steps inside them.
    package init(within lower: Double, _ upper: Double, count: Int = 5) {
        let (lo, hi) = Ticks.usableRange(lower, upper)
        (mantissa, exponent) = Ticks.niceStep((hi - lo) / Double(max(1, count)))
        let step = Ticks.scaled(mantissa, exponent)
        // A hair of tolerance so that a limit equal to a tick keeps it.
        let slack = 1e-9 * step
        let first = Int(((lo - slack) / step).rounded(.up)), last = Int(((hi + slack) / step).rounded(.down))
        multiples = first <= last ? Array(first ... last) : []
        self.lower = lo
        self.upper = hi
    }

    /// A non-empty, finite range: a single value v ≠ 0 becomes v ± |v|/10,
    /// zero becomes [-1, 1], a non-finite limit [-1, 1]. Limits are clamped to
    /// ±1e300 and a span is at least 1e-290, so that the span, its logarithm and
    /// 10^e all stay finite: ±1e308 in a matrix made the step infinite and the
    /// tick loop never end.
    private static func usableRange(_ lower: Double, _ upper: Double) -> (Double, Double) {
        guard lower.isFinite, upper.isFinite else { return (-1, 1) }
        let bound = 1e300, minimumSpan = 1e-290
        var lo = min(max(min(lower, upper), -bound), bound), hi = min(max(max(lower, upper), -bound), bound)
        if hi == lo {
            if lo == 0 { return (-1, 1) }
            let pad = abs(lo) / 10
            (lo, hi) = (lo - pad, hi + pad)
        }
        if hi - lo < minimumSpan {
            let middle = lo / 2 + hi / 2
            (lo, hi) = (middle - minimumSpan / 2, middle + minimumSpan / 2)
        }
        return (lo, hi)
    }

    /// The 1-2-5 step nearest to `rough` on a log scale (the switch points are
    /// the geometric means √2, √10, √50 of neighbouring steps).
    private static func niceStep(_ rough: Double) -> (Int, Int) {
        var exponent = Int(log10(rough).rounded(.down))
        let residual = rough / scaled(1, exponent)
        let mantissa: Int
        if residual < 2.0.squareRoot() { mantissa = 1 }
        else if residual < 10.0.squareRoot() { mantissa = 2 }
        else if residual < 50.0.squareRoot() { mantissa = 5 }
        else { mantissa = 1; exponent += 1 }
        return (mantissa, exponent)
    }

    /// n·10^e as a Double, by an exact integer division for e < 0.
    private static func scaled(_ n: Int, _ e: Int) -> Double {
        var power = 1.0
        for _ in 0 ..< abs(e) { power *= 10 }
        return e < 0 ? Double(n) / power : Double(n) * power
    }

    /// n·10^e as text: plain decimals for 10^-4 ≤ step < 10^6 ("0.015", "250",
    /// "-3"), otherwise scientific with a trimmed mantissa ("1.5e-05" style:
    /// "1.5e-5", "2e8").
    package static func format(_ n: Int, _ e: Int) -> String {
        if n == 0 { return "0" }
        let sign = n < 0 ? "-" : ""
        let digits = String(n.magnitude)
        if e >= 0 && e < 6 { return sign + digits + String(repeating: "0", count: e) }
        if e < 0 && e >= -4 {
            let places = -e
            let padded = String(repeating: "0", count: max(0, places + 1 - digits.count)) + digits
            let integer = padded.dropLast(places)
            var fraction = Substring(padded.suffix(places))
            while fraction.last == "0" { fraction = fraction.dropLast() }
            return sign + integer + (fraction.isEmpty ? "" : "." + fraction)
        }
        let power = e + digits.count - 1
        var rest = Substring(digits.dropFirst())
        while rest.last == "0" { rest = rest.dropLast() }
        return sign + String(digits.first!) + (rest.isEmpty ? "" : "." + rest) + "e\(power)"
    }

    /// `value` with `digits` significant digits, in the style of `format`
    /// (for values printed in cells and legends): 0.01234 → "0.012", -3.2e-7 → "-3.2e-7".
    package static func significant(_ value: Double, digits: Int = 2) -> String {
        guard value.isFinite, value != 0 else { return value.isFinite ? "0" : "\(value)" }
        // Below 1e-300, 10^e is no longer a finite Double; Swift's shortest form is fine there.
        guard abs(value) >= 1e-300 else { return "\(value)" }
        var e = Int(log10(abs(value)).rounded(.down)) - (digits - 1)
        var n = Int((value / scaled(1, e)).rounded())
        if String(n.magnitude).count > digits { n /= 10; e += 1 }
        return format(n, e)
    }
}
