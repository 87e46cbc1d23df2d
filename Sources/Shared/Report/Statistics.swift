#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The statistics the experiment's report rests on: a seeded percentile
/// bootstrap interval of a mean, and the Wilcoxon signed-rank test of paired
/// differences. Pure functions of their inputs (the bootstrap's resamples come
/// from SplitMix64 with the given seed), so the same numbers give the same
/// report.
///
/// N values (differences, one per target or per repeat).
package enum Statistics {
    /// A two-sided interval [low, high] at `level` (0.95: the 2.5 % and 97.5 % points).
    package struct Interval: Sendable, Equatable {
        package var low: Double
        package var high: Double
        package var level: Double

        package func contains(_ value: Double) -> Bool { low <= value && value <= high }
    }

    /// Percentile bootstrap of the mean of `values` (N ≥ 2; nil otherwise):
    /// `resamples` means of N values drawn with replacement by SplitMix64(seed),
    /// sorted; low and high are the order statistics at ⌊(1−level)/2 · B⌋ and
    /// ⌈(1+level)/2 · B⌉ − 1 (0-based). With N = 5 repeats it is a rough
    /// interval (its coverage is below nominal for tiny N); it says how much
    /// the repeats disagree, not more.
    package static func bootstrapMean(
        _ values: [Double], resamples: Int = 10_000, level: Double = 0.95, seed: UInt64 = 0
    ) -> Interval? {
        let n = values.count
        guard n >= 2, resamples >= 1 else { return nil }
        var rng = SplitMix64(seed: seed)
        var means = [Double](repeating: 0, count: resamples)  // (B)
        for b in 0 ..< resamples {
            var sum = 0.0
            for _ in 0 ..< n { sum += values[rng.below(n)] }
            means[b] = sum / Double(n)
        }
        means.sort()
        let lowIndex = Int((Double(resamples) * (1 - level) / 2).rounded(.down))
        let highIndex = min(resamples - 1, Int((Double(resamples) * (1 + level) / 2).rounded(.up)) - 1)
        return Interval(low: means[max(0, lowIndex)], high: means[max(0, highIndex)], level: level)
    }

    /// How the p-value of a signed-rank test was found.
    package enum Method: String, Sendable {
        /// The exact null distribution of W+ (no ties among |d|, no zeros, N ≤ 50).
        case exact
        /// The normal approximation with the tie correction of the variance.
        case normal
    }

    /// The Wilcoxon signed-rank test of paired differences d (H0: symmetric about 0).
    package struct SignedRank: Sendable, Equatable {
        /// Non-zero differences (zeros are dropped, Wilcoxon's own rule).
        package var n: Int
        package var zeros: Int
        /// Σ ranks of |d| over positive d, over negative d (average ranks for ties).
        package var wPlus: Double
        package var wMinus: Double
        /// Two-sided p-value.
        package var p: Double
        package var method: Method
        /// The normal approximation's z of W+ (nil when exact).
        package var z: Double?

        /// min(W+, W−), the statistic scipy reports.
        package var statistic: Double { min(wPlus, wMinus) }
    }

    /// The two-sided Wilcoxon signed-rank test of `differences`.
    ///
    /// Zeros are dropped; |d| are ranked 1..n with average ranks for ties.
    /// Exact (n ≤ `exactLimit`, no ties): p = min(1, 2 · P(W ≤ min(W+, W−)))
    /// under the null, in which each of the 2ⁿ sign patterns is equally likely
    /// (counted by dynamic programming over the ranks). Otherwise the normal
    /// approximation without continuity correction: mean n(n+1)/4, variance
    /// n(n+1)(2n+1)/24 − Σ_t (t³ − t)/48 over tie groups of size t, z = (W+ −
    /// mean)/√variance, p = erfc(|z|/√2). These are scipy.stats.wilcoxon's
    /// defaults (zero_method "wilcox", correction False, method "auto").
    /// nil when no difference is non-zero.
    package static func wilcoxonSignedRank(_ differences: [Double], exactLimit: Int = 50) -> SignedRank? {
        let nonzero = differences.filter { $0 != 0 }
        let zeros = differences.count - nonzero.count
        let n = nonzero.count
        guard n > 0 else { return nil }
        let order = nonzero.indices.sorted { abs(nonzero[$0]) < abs(nonzero[$1]) }
        var ranks = [Double](repeating: 0, count: n)  // (n) rank of |d_i|
        var tieGroups: [Int] = []
        var start = 0
        while start < n {
            var end = start
            while end + 1 < n && abs(nonzero[order[end + 1]]) == abs(nonzero[order[start]]) { end += 1 }
            let rank = Double(start + end + 2) / 2
            for j in start ... end { ranks[order[j]] = rank }
            if end > start { tieGroups.append(end - start + 1) }
            start = end + 1
        }
        var wPlus = 0.0, wMinus = 0.0
        for i in 0 ..< n {
            if nonzero[i] > 0 { wPlus += ranks[i] } else { wMinus += ranks[i] }
        }
        let nn = Double(n)
        if tieGroups.isEmpty && n <= exactLimit {
            // counts[s]: sign patterns whose positive ranks sum to s.
            let total = n * (n + 1) / 2
            var counts = [Double](repeating: 0, count: total + 1)
            counts[0] = 1
            for r in 1 ... n {
                for s in stride(from: total, through: r, by: -1) { counts[s] += counts[s - r] }
            }
            let w = Int(min(wPlus, wMinus).rounded())
            let tail = counts[0 ... w].reduce(0, +) / pow(2, nn)
            return SignedRank(n: n, zeros: zeros, wPlus: wPlus, wMinus: wMinus, p: min(1, 2 * tail), method: .exact, z: nil)
        }
        let mean = nn * (nn + 1) / 4
        var variance = nn * (nn + 1) * (2 * nn + 1) / 24
        for t in tieGroups { variance -= Double(t * t * t - t) / 48 }
        let z = variance > 0 ? (wPlus - mean) / variance.squareRoot() : 0
        let p = min(1, erfc(abs(z) / 2.0.squareRoot()))
        return SignedRank(n: n, zeros: zeros, wPlus: wPlus, wMinus: wMinus, p: p, method: .normal, z: z)
    }
}
