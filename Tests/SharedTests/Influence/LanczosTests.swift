import Testing
import Shared

/// Lanczos against the eigenvalues of dense symmetric matrices (Jacobi).
@Suite struct LanczosTests {
    /// A = Q diag(λ) Qᵀ with a random orthogonal Q (Gram–Schmidt) and chosen λ.
    private static func matrix(_ lambdas: [Double], seed: UInt64) -> [Double] {
        let n = lambdas.count
        var rng = SplitMix64(seed: seed)
        var q: [[Double]] = []
        while q.count < n {
            var v = (0 ..< n).map { _ in rng.normal() }
            for u in q {
                let c = zip(u, v).map { $0 * $1 }.reduce(0, +)
                for i in 0 ..< n { v[i] -= c * u[i] }
            }
            let length = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            q.append(v.map { $0 / length })
        }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { for j in 0 ..< n { for k in 0 ..< n { a[i * n + j] += q[k][i] * lambdas[k] * q[k][j] } } }
        return a
    }

    private static func apply(_ a: [Double], _ v: [Double]) -> [Double] {
        let n = v.count
        return (0 ..< n).map { i in (0 ..< n).map { a[i * n + $0] * v[$0] }.reduce(0, +) }
    }

    @Test func findsTheExtremesOfAnIndefiniteMatrix() {
        let lambdas = [-0.3] + (1 ... 58).map { 0.01 + Double($0) / 10 } + [40]
        let a = Self.matrix(lambdas, seed: 3)
        let estimate = Lanczos(steps: 40).extremes(dimension: lambdas.count) { Self.apply(a, $0) }
        #expect(estimate.products == 40)
        #expect(abs(estimate.largest - 40) < 1e-8, "\(estimate.largest)")
        #expect(abs(estimate.smallest - -0.3) < 1e-3, "\(estimate.smallest)")
        // Ritz values bound the spectrum from inside, and the residual bounds the distance.
        #expect(estimate.smallest >= -0.3 - 1e-12 && estimate.largest <= 40 + 1e-12)
        #expect(abs(estimate.smallest - -0.3) <= estimate.smallestResidual + 1e-10)
    }

    @Test func fullRunOnASmallMatrixIsExact() {
        let lambdas = [0.5, 1, 2, 3, 7]
        let a = Self.matrix(lambdas, seed: 9)
        let estimate = Lanczos(steps: 50).extremes(dimension: 5) { Self.apply(a, $0) }
        #expect(estimate.products == 5)
        #expect(abs(estimate.smallest - 0.5) < 1e-12 && abs(estimate.largest - 7) < 1e-12)
        #expect(estimate.smallestResidual < 1e-10)
    }

    @Test func jacobiDiagonalisesASymmetricMatrix() {
        let a = Self.matrix([-2, 0.25, 1, 4], seed: 1)
        let (values, vectors) = symmetricEigen(a, 4)
        #expect(zip(values.sorted(), [-2, 0.25, 1, 4]).allSatisfy { abs($0 - $1) < 1e-12 })
        for j in 0 ..< 4 {
            let v = (0 ..< 4).map { vectors[$0 * 4 + j] }
            let av = Self.apply(a, v)
            for i in 0 ..< 4 { #expect(abs(av[i] - values[j] * v[i]) < 1e-12) }
        }
    }
}
