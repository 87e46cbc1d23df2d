/// Lanczos with full reorthogonalisation, for the extreme eigenvalues of a
/// symmetric operator A (P×P) given only as products v ↦ Av: the curvature
/// check `mtif-train` records at the end of training.
///
/// Mathematics: q₁ random (normal, from `seed`), unit length; for j = 1…m:
/// v = Aq_j, α_j = q_jᵀv, v ← v − α_j q_j − β_{j−1} q_{j−1}, then v is made
/// orthogonal to every earlier q twice (classical Gram–Schmidt, repeated),
/// β_j = ‖v‖, q_{j+1} = v/β_j. The eigenvalues θ of the tridiagonal T_m
/// (Jacobi's method, m ≤ a few hundred) are the Ritz values: θ_min ≥ λ_min(A)
/// and θ_max ≤ λ_max(A) always, and some eigenvalue of A lies within the
/// residual |β_m s_m| of each (s the Ritz vector in T's basis). A negative
/// θ_min therefore proves A is not positive semi-definite; a positive one with
/// a small residual says no negative curvature was found.
///
/// Stopping rule: m = `steps` products, or an invariant subspace (β_j ≤
/// 1e-12·|θ|max). Defaults: 30 steps, seed 0.
package struct Lanczos: Sendable {
    package var steps = 30
    package var seed: UInt64 = 0

    package init(steps: Int = 30, seed: UInt64 = 0) {
        self.steps = steps
        self.seed = seed
    }

    package struct Estimate: Sendable, Equatable {
        /// The smallest Ritz value, an upper bound of λ_min(A).
        package var smallest: Double
        /// ‖A y − θ y‖ of its unit Ritz vector y: an eigenvalue lies within it.
        package var smallestResidual: Double
        /// The largest Ritz value, a lower bound of λ_max(A).
        package var largest: Double
        package var largestResidual: Double
        /// Products with A used.
        package var products: Int
    }

    package func extremes(dimension p: Int, _ apply: ([Double]) -> [Double]) -> Estimate {
        let m = max(1, min(steps, p))
        var rng = SplitMix64(seed: seed, stream: 0x1A4C)
        var q = (0 ..< p).map { _ in rng.normal() }
        let length = norm2(q)
        for i in 0 ..< p { q[i] /= length }
        var basis: [[Double]] = [q]  // q₁…q_j
        var alpha: [Double] = []
        var beta: [Double] = []  // β_j couples q_j and q_{j+1}
        var products = 0
        for j in 0 ..< m {
            var v = apply(basis[j])
            products += 1
            let a = dotProduct(basis[j], v)
            alpha.append(a)
            for _ in 0 ..< 2 {
                for u in basis {
                    let c = dotProduct(u, v)
                    for i in 0 ..< p { v[i] -= c * u[i] }
                }
            }
            let b = norm2(v)
            let size = alpha.map(abs).max() ?? 0
            guard j + 1 < m, b > 1e-12 * max(size, 1e-300), b.isFinite else {
                beta.append(b.isFinite ? b : 0)
                break
            }
            beta.append(b)
            for i in 0 ..< p { v[i] /= b }
            basis.append(v)
        }
        let k = alpha.count
        var t = [Double](repeating: 0, count: k * k)  // (k, k) T
        for i in 0 ..< k {
            t[i * k + i] = alpha[i]
            if i + 1 < k { t[i * k + i + 1] = beta[i]; t[(i + 1) * k + i] = beta[i] }
        }
        let (values, vectors) = symmetricEigen(t, k)
        let last = beta[k - 1]
        let lo = values.indices.min { values[$0] < values[$1] }!
        let hi = values.indices.max { values[$0] < values[$1] }!
        return Estimate(
            smallest: values[lo], smallestResidual: abs(last * vectors[(k - 1) * k + lo]),
            largest: values[hi], largestResidual: abs(last * vectors[(k - 1) * k + hi]), products: products)
    }
}

/// Eigenvalues and eigenvectors (columns of a (n, n) row-major matrix) of a
/// small symmetric matrix by cyclic Jacobi rotations, to full precision.
package func symmetricEigen(_ matrix: [Double], _ n: Int) -> (values: [Double], vectors: [Double]) {
    var a = matrix
    var v = [Double](repeating: 0, count: n * n)
    for i in 0 ..< n { v[i * n + i] = 1 }
    for _ in 0 ..< 100 {
        var off = 0.0, total = 0.0
        for i in 0 ..< n {
            for j in 0 ..< n {
                total += a[i * n + j] * a[i * n + j]
                if i != j { off += a[i * n + j] * a[i * n + j] }
            }
        }
        if off <= 1e-30 * total || off == 0 { break }
        for p in 0 ..< n {
            for q in (p + 1) ..< n where a[p * n + q] != 0 {
                let apq = a[p * n + q]
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0 ..< n {
                    let akp = a[k * n + p], akq = a[k * n + q]
                    a[k * n + p] = c * akp - s * akq
                    a[k * n + q] = s * akp + c * akq
                }
                for k in 0 ..< n {
                    let apk = a[p * n + k], aqk = a[q * n + k]
                    a[p * n + k] = c * apk - s * aqk
                    a[q * n + k] = s * apk + c * aqk
                }
                for k in 0 ..< n {
                    let vkp = v[k * n + p], vkq = v[k * n + q]
                    v[k * n + p] = c * vkp - s * vkq
                    v[k * n + q] = s * vkp + c * vkq
                }
            }
        }
    }
    return ((0 ..< n).map { a[$0 * n + $0] }, v)
}
