/// Block conjugate gradients on the full-data damped Hessian: every
/// right-hand side searches one shared Krylov space (O'Leary 1980), in the
/// breakdown-free form of Ji & Li (2017): a rank-revealing orthonormal block.
///
/// Dimensions: R right-hand sides, P parameters, m ≤ R search directions,
/// a ≤ R unconverged rows. X, Rs (residuals), B are (R, P) row-major; Pm and
/// Qm = A·Pm are (m, P); the small matrices C, G, T are m×m, m×R, m×R.
///
/// Mathematics: A = H + δI. X₀ = 0, Rs₀ = B, Pm₀ = orth(B). Each iteration:
///   Qm = A·Pm                         (m exact HVPs, one batched pass)
///   C = Pm·Qmᵀ = V D Vᵀ               (D > 0, or A is not positive definite)
///   α = C⁻¹ (Pm·Rsᵀ);  X += αᵀPm;  Rs −= αᵀQm
///   Z = active rows of Rs − (C⁻¹ Qm·Zᵀ)ᵀ Pm     (A-conjugate to the block)
///   Pm ← orth(Z)
/// orth is rank-revealing: from the Gram matrix Z Zᵀ with its rows scaled to
/// unit length (so that a small residual is not taken for a dependent one),
/// Pm = Λ^{-1/2}Uᵀ S⁻¹ Z over the eigenvalues above 1e-12 of the largest;
/// Pm need not be exactly orthonormal, only well conditioned, since C carries
/// the metric. Each row's error in the A-norm falls monotonically (every
/// update is the A-orthogonal projection of its error onto the block), and
/// the space grows by up to R directions per iteration instead of one, so the
/// flat end of H's spectrum is reached in fewer iterations than R separate CG
/// runs need, each iteration one batched pass of m ≤ R products. A converged
/// row leaves the block (deflation). The dense work per iteration is seven
/// passes over (R, P) buffers, small beside the products.
///
/// Stopping rule: every row's recurrence residual ‖r‖ ≤ tol·‖v‖ (default tol
/// 1e-8), or `maxIterations` (default 1000). The recorded residual is the true
/// ‖v − Ax‖/‖v‖, recomputed at the end (one more HVP per row); rows that miss
/// 10× the tolerance there are warned about and marked converged: false.
/// Non-positive curvature in the block (D ≤ 0) is the computation error of
/// `ConjugateGradient` (exit 1), with its damping hint.
package struct BlockConjugateGradient: Sendable {
    package var tolerance = 1e-8
    package var maxIterations = 1000

    package init(tolerance: Double = 1e-8, maxIterations: Int = 1000) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// Gram eigenvalues below this share of the largest are dropped by orth.
    static let rankTolerance = 1e-12

    /// Solves (H + δI) x = v for each of the `count` rows of `rhs` (count, P).
    package func solve(
        _ op: HessianOperator, rhs: [Double], count: Int, log: Log, name: String = "bcg"
    ) throws -> InverseHVPSolution {
        let p = op.dimension
        precondition(rhs.count == count * p)
        let clock = Stopwatch()
        var report = SolverReport(name: name, damping: op.damping, tolerance: tolerance, maxIterations: maxIterations)
        var x = [Double](repeating: 0, count: count * p)  // (R, P)
        var r = rhs  // (R, P) residuals
        let norms = (0 ..< count).map { rowDot(rhs, rhs, $0, p).squareRoot() }
        var iterations = [Int](repeating: 0, count: count)
        var converged = norms.map { $0 == 0 }
        var active = (0 ..< count).filter { !converged[$0] }
        var z = gatherRows(r, active, p)  // (a, P) the next directions before orth
        var pm = [Double](repeating: 0, count: count * p)  // (m, P) in its first m rows
        var qm = [Double](repeating: 0, count: count * p)  // (m, P) A·Pm
        var m = orthonormalize(z, rows: active.count, p, into: &pm)
        var products = 0
        var blockSizes: [Int] = []
        var lastReport = Stopwatch()
        var iteration = 0
        while !active.isEmpty && m > 0 && iteration < maxIterations {
            iteration += 1
            op.apply(pm, rows: Array(0 ..< m), into: &qm)
            products += m
            blockSizes.append(m)

            // C = Pm A Pmᵀ = V D Vᵀ and its inverse.
            var c = [Double](repeating: 0, count: m * m)
            gemmRows(&c, pm, m, qm, m, p, transposeB: true)
            for i in 0 ..< m { for j in 0 ..< i { let s = 0.5 * (c[i * m + j] + c[j * m + i]); c[i * m + j] = s; c[j * m + i] = s } }
            let eigen = SymmetricEigen(c, n: m)
            guard let eigen, let smallest = eigen.values.first, smallest > 0 else {
                // Pm is close to orthonormal, so C's smallest eigenvalue is a curvature of unit directions.
                throw nonPositiveCurvatureError(
                    op, curvature: eigen?.values.first ?? .nan, length2: 1, row: active[0], iteration: iteration, solver: name)
            }
            let inverse = eigen.inverse()

            // α = C⁻¹ Pm Rsᵀ (m, R); X += αᵀ Pm; Rs −= αᵀ Qm.
            var g = [Double](repeating: 0, count: m * count)
            gemmRows(&g, pm, m, r, count, p, transposeB: true)
            var alpha = smallProduct(inverse, m, m, g, count)
            gemmRows(&x, alpha, count, pm, p, m, transposeA: true, accumulate: true)
            for i in alpha.indices { alpha[i] = -alpha[i] }
            gemmRows(&r, alpha, count, qm, p, m, transposeA: true, accumulate: true)

            var next: [Int] = []
            var worst = 0.0
            for row in active {
                iterations[row] = iteration
                let relative = rowDot(r, r, row, p).squareRoot() / norms[row]
                if relative <= tolerance { converged[row] = true } else { next.append(row); worst = max(worst, relative) }
            }
            active = next
            if active.isEmpty { break }

            // Z = active residuals made A-conjugate to the block: Z −= (C⁻¹ Qm Zᵀ)ᵀ Pm.
            z = gatherRows(r, active, p)
            var t = [Double](repeating: 0, count: m * active.count)
            gemmRows(&t, qm, m, z, active.count, p, transposeB: true)
            var coefficients = smallProduct(inverse, m, m, t, active.count)  // (m, a)
            for i in coefficients.indices { coefficients[i] = -coefficients[i] }
            gemmRows(&z, coefficients, active.count, pm, p, m, transposeA: true, accumulate: true)
            m = orthonormalize(z, rows: active.count, p, into: &pm)

            if lastReport.seconds >= 1 {
                log.info("\(name): iteration \(iteration): \(active.count) of \(count) rows left, block of \(m), largest relative residual \(short(worst))")
                lastReport = Stopwatch()
            }
        }
        // True residuals ‖v − Ax‖/‖v‖; a row whose recurrence drifted is not converged.
        let all = Array(0 ..< count)
        report.residuals = trueResiduals(op, x, rhs, norms: norms)
        products += count
        // The recurrence and the true residual differ by rounding; allow 10×.
        for row in all where converged[row] && report.residuals![row] > 10 * tolerance { converged[row] = false }
        warnUnconverged(all.filter { !converged[$0] }, report, iterations: iteration, log: log)
        report.iterations = iterations
        report.converged = converged
        report.blockSizes = blockSizes
        report.hessianVectorProducts = products
        report.wallSeconds = clock.seconds
        return InverseHVPSolution(solutions: x, report: report)
    }
}

extension SymmetricEigen {
    /// U diag(1/λ) Uᵀ (n, n), for a positive definite matrix.
    fileprivate func inverse() -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in 0 ..< n {
                var s = 0.0
                for l in 0 ..< n { s += vectors[i * n + l] * vectors[j * n + l] / values[l] }
                out[i * n + j] = s
            }
        }
        return out
    }
}

/// a (m, k) · b (k, n) for small matrices.
private func smallProduct(_ a: [Double], _ m: Int, _ k: Int, _ b: [Double], _ n: Int) -> [Double] {
    var out = [Double](repeating: 0, count: m * n)
    for i in 0 ..< m {
        for l in 0 ..< k where a[i * k + l] != 0 {
            for j in 0 ..< n { out[i * n + j] += a[i * k + l] * b[l * n + j] }
        }
    }
    return out
}

/// A well-conditioned basis of the span of the `rows` rows of z (rows, P),
/// written as the first rows of `basis`; returns how many. From the Gram
/// matrix z zᵀ with its rows scaled to unit length, S⁻¹ z zᵀ S⁻¹ = UΛUᵀ: the
/// basis is Λ^{-1/2}Uᵀ S⁻¹ z over the eigenvalues above `rankTolerance` of
/// the largest. One pass leaves an orthogonality error of order ε·κ, which
/// the truncation bounds by ~1e-4: enough for a basis whose metric C is
/// computed anyway.
private func orthonormalize(_ z: [Double], rows: Int, _ p: Int, into basis: inout [Double]) -> Int {
    guard rows > 0 else { return 0 }
    var gram = [Double](repeating: 0, count: rows * rows)
    gemmRows(&gram, z, rows, z, rows, p, transposeB: true)
    let lengths = (0 ..< rows).map { gram[$0 * rows + $0].squareRoot() }
    for i in 0 ..< rows {
        for j in 0 ..< rows {
            let scale = lengths[i] * lengths[j]
            gram[i * rows + j] = scale > 0 ? gram[i * rows + j] / scale : 0
        }
    }
    guard let eigen = SymmetricEigen(gram, n: rows), let largest = eigen.values.last, largest > 0 else { return 0 }
    let kept = (0 ..< rows).filter { eigen.values[$0] > BlockConjugateGradient.rankTolerance * largest }
    var w = [Double](repeating: 0, count: kept.count * rows)  // (kept, rows)
    for (j, column) in kept.enumerated() {
        let s = 1 / eigen.values[column].squareRoot()
        for i in 0 ..< rows where lengths[i] > 0 { w[j * rows + i] = eigen.vectors[i * rows + column] * s / lengths[i] }
    }
    gemmRows(&basis, w, kept.count, z, p, rows)
    return kept.count
}

/// The rows `rows` of x (R, P), in that order: (rows.count, P).
private func gatherRows(_ x: [Double], _ rows: [Int], _ p: Int) -> [Double] {
    var out = [Double](repeating: 0, count: rows.count * p)
    for (j, row) in rows.enumerated() { out[j * p ..< (j + 1) * p] = x[row * p ..< (row + 1) * p] }
    return out
}

/// c (m, n) (+)= op(a) (m, k) · op(b) (k, n) on row-major arrays whose leading
/// dimensions are their stored widths.
private func gemmRows(
    _ c: inout [Double], _ a: [Double], _ m: Int, _ b: [Double], _ n: Int, _ k: Int,
    transposeA: Bool = false, transposeB: Bool = false, accumulate: Bool = false
) {
    guard m > 0, n > 0 else { return }
    c.withUnsafeMutableBufferPointer { c in
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                gemm(
                    c.baseAddress!, ldc: n, a.baseAddress!, lda: transposeA ? m : k, transposeA: transposeA,
                    b.baseAddress!, ldb: transposeB ? k : n, transposeB: transposeB,
                    m: m, n: n, k: k, accumulate: accumulate)
            }
        }
    }
}
