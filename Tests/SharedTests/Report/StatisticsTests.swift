import Shared
import Testing

/// `Statistics`: the Wilcoxon signed-rank test against scipy.stats.wilcoxon
/// 1.17 (values computed once and written here), and the seeded bootstrap.
@Suite struct StatisticsTests {
    /// scipy's documented example: wilcoxon(d) → statistic 24, p = 0.041259765625 (exact, n = 15).
    @Test func exactMatchesScipyDocumentedExample() throws {
        let d: [Double] = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]
        let test = try #require(Statistics.wilcoxonSignedRank(d))
        #expect(test.method == .exact && test.n == 15 && test.zeros == 0)
        #expect(test.wMinus == 24 && test.wPlus == 96 && test.statistic == 24)
        #expect(abs(test.p - 0.041259765625) < 1e-15)
    }

    /// All five differences positive: p = 2/2⁵ = 0.0625 (wilcoxon([1,2,3,4,5])); the smallest
    /// two-sided p five targets can give, so five targets can never reach p < 0.05.
    @Test func exactAllPositive() throws {
        let test = try #require(Statistics.wilcoxonSignedRank([1, 2, 3, 4, 5]))
        #expect(test.p == 0.0625 && test.wMinus == 0 && test.method == .exact)
        let six = try #require(Statistics.wilcoxonSignedRank([-1, -2, -3, -4, -5, -6]))
        #expect(six.p == 0.03125 && six.wPlus == 0)
    }

    /// Ties and a zero: the normal approximation with the tie-corrected variance;
    /// wilcoxon(d, method='approx') → statistic 8.5, p = 0.028983054407538837.
    @Test func normalWithTiesAndZero() throws {
        let d = [1.5, -1.5, 2, 3, 3, 3, -4, 5, 6, 7, 0, 8]
        let test = try #require(Statistics.wilcoxonSignedRank(d))
        #expect(test.method == .normal && test.n == 11 && test.zeros == 1)
        #expect(test.wPlus == 57.5 && test.wMinus == 8.5)
        let z = try #require(test.z)
        #expect(abs(z - 2.1837169373257734) < 1e-12)
        #expect(abs(test.p - 0.028983054407538837) < 1e-12)
    }

    /// n = 60 > 50 without ties: normal approximation; scipy: statistic 585, p = 0.015126799117971637.
    @Test func normalAboveExactLimit() throws {
        let d = [0.645584, 1.121618, 0.630437, -1.003157, 1.205356, 0.746375, -0.236953, 0.881118, 0.664572, 0.594132,
                 0.328422, 0.846713, -0.436454, 0.13709, -0.182119, 0.898846, 0.339722, 0.007543, -0.481908, 0.042808,
                 0.308142, 0.024397, 1.594064, 1.306724, -2.411162, -1.589013, 0.125228, -0.12219, 0.513643, 0.517322,
                 2.417839, -0.812021, -0.077605, 2.342772, 0.946703, 0.963063, -0.214006, -1.348075, 0.467465, 0.409014,
                 -0.927352, -0.383227, 0.227956, -0.644752, 0.20173, 0.395483, 0.335586, -0.206292, 0.893748, 1.191167,
                 0.620848, -0.51823, 1.031652, -0.20144, 1.179161, -0.771787, 1.214467, 0.279937, -0.948749, -0.013899]
        let test = try #require(Statistics.wilcoxonSignedRank(d))
        #expect(test.method == .normal && test.n == 60 && test.statistic == 585)
        #expect(abs(test.p - 0.015126799117971637) < 1e-12)
        // The exact distribution at the same n (forced) is close to the approximation.
        let exact = try #require(Statistics.wilcoxonSignedRank(d, exactLimit: 60))
        #expect(exact.method == .exact && abs(exact.p - test.p) < 2e-3)
    }

    @Test func allZerosHasNoTest() {
        #expect(Statistics.wilcoxonSignedRank([0, 0, 0]) == nil)
        #expect(Statistics.wilcoxonSignedRank([]) == nil)
    }

    /// The bootstrap interval of a mean: deterministic by seed, inside the data's
    /// range, around the mean, and the 2.5/97.5 % points of the resampled means.
    @Test func bootstrapIsSeededAndSensible() throws {
        let values = [0.1, 0.3, -0.2, 0.5, 0.05]
        let a = try #require(Statistics.bootstrapMean(values, seed: 7))
        let b = try #require(Statistics.bootstrapMean(values, seed: 7))
        let c = try #require(Statistics.bootstrapMean(values, seed: 8))
        #expect(a == b && a != c)
        let mean = values.reduce(0, +) / 5
        #expect(a.low < mean && mean < a.high && a.low >= -0.2 && a.high <= 0.5)
        // The mean of 5 draws can only be a multiple of 0.01 here (values ×100 are integers).
        #expect(abs(a.low * 100 - (a.low * 100).rounded()) < 1e-9)
        // Standard error of the mean (population sd / √5 = 0.1058); the 95 % half-width ≈ 1.96 × that.
        #expect(abs((a.high - a.low) / 2 - 1.96 * 0.1058) < 0.03)
        #expect(Statistics.bootstrapMean([1]) == nil)
        let constant = try #require(Statistics.bootstrapMean([2, 2, 2]))
        #expect(constant.low == 2 && constant.high == 2)
    }
}
