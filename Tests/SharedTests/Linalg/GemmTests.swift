import Foundation
import Testing
import Shared

/// GEMM against a naive triple loop, on odd shapes, every transpose
/// combination, with padding in the leading dimensions and both beta modes.
@Suite struct GemmTests {
    struct Shape: Sendable, CustomStringConvertible {
        var m: Int, n: Int, k: Int
        var description: String { "\(m)x\(n)x\(k)" }
    }

    static let shapes: [Shape] = [
        Shape(m: 1, n: 1, k: 1), Shape(m: 7, n: 13, k: 5), Shape(m: 33, n: 65, k: 17),
        Shape(m: 6, n: 8, k: 3), Shape(m: 97, n: 9, k: 300), Shape(m: 5, n: 130, k: 257),
        Shape(m: 130, n: 70, k: 129), Shape(m: 3, n: 2, k: 0), Shape(m: 200, n: 2100, k: 3),
    ]

    static func randomMatrix(_ count: Int, _ rng: inout SplitMix64) -> [Double] {
        (0 ..< count).map { _ in rng.uniform() * 2 - 1 }
    }

    /// Random A, B and C for op(A)·op(B) at `s`, with leading dimensions wider
    /// than the matrices, to catch stride mistakes.
    static func operands(
        _ s: Shape, ta: Bool, tb: Bool, _ rng: inout SplitMix64
    ) -> (a: [Double], lda: Int, b: [Double], ldb: Int, c: [Double], ldc: Int) {
        let lda = (ta ? s.m : s.k) + 3, ldb = (tb ? s.k : s.n) + 2, ldc = s.n + 1
        let a = randomMatrix((ta ? s.k : s.m) * lda + 1, &rng)
        let b = randomMatrix((tb ? s.n : s.k) * ldb + 1, &rng)
        return (a, lda, b, ldb, randomMatrix(s.m * ldc + 1, &rng), ldc)
    }

    /// Reference: C = [C +] op(A) op(B) with plain loops.
    static func naive(
        _ c: inout [Double], ldc: Int, _ a: [Double], lda: Int, ta: Bool, _ b: [Double], ldb: Int, tb: Bool,
        _ s: Shape, accumulate: Bool
    ) {
        for i in 0 ..< s.m {
            for j in 0 ..< s.n {
                var total = 0.0
                for p in 0 ..< s.k {
                    let x = ta ? a[p * lda + i] : a[i * lda + p]
                    let y = tb ? b[j * ldb + p] : b[p * ldb + j]
                    total += x * y
                }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + total : total
            }
        }
    }

    @Test(arguments: shapes)
    func matchesNaiveProduct(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(s.m * 1000 + s.n * 10 + s.k))
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            for accumulate in [false, true] {
                for threads in [1, 2, 3] {
                    let (a, lda, b, ldb, c0, ldc) = Self.operands(s, ta: ta, tb: tb, &rng)
                    var expected = c0
                    Self.naive(&expected, ldc: ldc, a, lda: lda, ta: ta, b, ldb: ldb, tb: tb, s, accumulate: accumulate)
                    var actual = c0
                    actual.withUnsafeMutableBufferPointer { cp in
                        gemm(
                            cp.baseAddress!, ldc: ldc, a, lda: lda, transposeA: ta, b, ldb: ldb, transposeB: tb,
                            m: s.m, n: s.n, k: s.k, accumulate: accumulate, threads: threads)
                    }
                    var worst = 0.0
                    for i in 0 ..< actual.count {
                        worst = max(worst, abs(actual[i] - expected[i]) / max(1, abs(expected[i])))
                    }
                    #expect(worst <= 1e-12, "\(s) ta=\(ta) tb=\(tb) acc=\(accumulate) threads=\(threads): \(worst)")
                    // Padding columns of C are never written.
                    for i in 0 ..< s.m where s.n < ldc {
                        #expect(actual[i * ldc + s.n] == c0[i * ldc + s.n])
                    }
                }
            }
        }
    }

    /// Float32 panels: every element within a Float rounding bound of the
    /// Double product, relative to its scale Σ_p |a_ip b_pj| (inputs rounded:
    /// 2u, a KC-long Float sum: ≤ KC·u, u = 2⁻²⁴; partial sums added in
    /// Double), and measurably not Double arithmetic. The 6×16 tile's edges
    /// are covered by n = 1, 13, 65, 130, 2100 and k up to 2 KC blocks + 1.
    @Test(arguments: shapes + [Shape(m: 37, n: 40, k: 3001)])
    func float32MatchesNaiveProductToFloatRounding(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(s.m * 1000 + s.n * 10 + s.k) + 7)
        var largest = 0.0
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            for accumulate in [false, true] {
                for threads in [1, 3] {
                    let (a, lda, b, ldb, c0, ldc) = Self.operands(s, ta: ta, tb: tb, &rng)
                    var expected = c0
                    Self.naive(&expected, ldc: ldc, a, lda: lda, ta: ta, b, ldb: ldb, tb: tb, s, accumulate: accumulate)
                    var scale = [Double](repeating: 0, count: c0.count)
                    Self.naive(&scale, ldc: ldc, a.map(abs), lda: lda, ta: ta, b.map(abs), ldb: ldb, tb: tb, s, accumulate: false)
                    var actual = c0
                    actual.withUnsafeMutableBufferPointer { cp in
                        gemm(
                            cp.baseAddress!, ldc: ldc, a, lda: lda, transposeA: ta, b, ldb: ldb, transposeB: tb,
                            m: s.m, n: s.n, k: s.k, accumulate: accumulate, precision: .float32, threads: threads)
                    }
                    var worst = 0.0
                    for i in 0 ..< s.m {
                        for j in 0 ..< s.n {
                            let at = i * ldc + j
                            worst = max(worst, abs(actual[at] - expected[at]) / max(scale[at], 1e-300))
                        }
                        if s.n < ldc { #expect(actual[i * ldc + s.n] == c0[i * ldc + s.n]) }
                    }
                    largest = max(largest, worst)
                    let bound = Double(min(s.k, 256) + 2) * 0x1p-24
                    #expect(worst <= bound, "\(s) ta=\(ta) tb=\(tb) acc=\(accumulate) threads=\(threads): \(worst) > \(bound)")
                }
            }
        }
        if s.k >= 17 { #expect(largest > 1e-10, "\(s): error \(largest) is Double's, not Float's") }
    }

    @Test(arguments: GemmPrecision.allCases)
    func resultDoesNotDependOnThreadCount(_ precision: GemmPrecision) {
        var rng = SplitMix64(seed: 9)
        let (m, n, k) = (301, 77, 530)
        let a = Self.randomMatrix(m * k, &rng)
        let b = Self.randomMatrix(n * k, &rng)
        var results: [[Double]] = []
        for threads in [1, 2, 4, 7] {
            var c = [Double](repeating: 0, count: m * n)
            c.withUnsafeMutableBufferPointer { cp in
                gemm(cp.baseAddress!, ldc: n, a, lda: k, b, ldb: k, transposeB: true,
                     m: m, n: n, k: k, accumulate: false, precision: precision, threads: threads)
            }
            results.append(c)
        }
        for r in results.dropFirst() { #expect(r == results[0]) }
    }

    @Test func vectorHelpers() {
        var rng = SplitMix64(seed: 3)
        for count in [0, 1, 7, 8, 15, 16, 17, 33] {
            let x = Self.randomMatrix(count, &rng)
            var y = Self.randomMatrix(count, &rng)
            let expectedDot = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(dot(x, y, count: count) - expectedDot) <= 1e-12)
            #expect(abs(sum(x, count: count) - x.reduce(0, +)) <= 1e-12)
            let expectedAxpy = zip(x, y).map { $0.1 + 0.5 * $0.0 }
            y.withUnsafeMutableBufferPointer { axpy($0.baseAddress!, 0.5, x, count: count) }
            for i in 0 ..< count { #expect(abs(y[i] - expectedAxpy[i]) <= 1e-14) }
            y.withUnsafeMutableBufferPointer { scale($0.baseAddress!, -2, count: count) }
            for i in 0 ..< count { #expect(abs(y[i] + 2 * expectedAxpy[i]) <= 1e-14) }
        }
    }
}
