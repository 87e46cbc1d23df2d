/// Block conjugate gradients on the full-data damped Hessian: every
/// right-hand side searches one shared Krylov space (O'Leary 1980), in the
/// breakdown-free form of Ji & Li (2017) with A-orthonormal search blocks.
///
/// Dimensions: R right-hand sides, P parameters, m ≤ R search directions.
/// X, Rs (residuals), B are (R, P) row-major; Pm, Qm = A·Pm are (m, P).
///
/// Mathematics: A = H + δI. X₀ = 0, R₀ = B, Pm₀ = orth(R₀). Each iteration:
///   Qm = A·Pm                         (m exact HVPs, one batched pass)
///   C = Pm·Qmᵀ = V D Vᵀ               (m×m; D > 0 or A is not positive definite)
///   Pm ← D^{-1/2}Vᵀ·Pm, Qm ← D^{-1/2}Vᵀ·Qm   (now Pm A Pmᵀ = I)
///   α = Pm·Rsᵀ;  X += αᵀPm;  Rs −= αᵀQm
///   Z = active rows of Rs, Z ← Z − (Z·Qmᵀ)·Pm  (A-conjugate to the block)
///   Pm ← orth(Z), rank-revealing: rows scaled to unit length, directions whose
///   Gram eigenvalue is below 1e-12 of the largest dropped, done twice.
/// Each row's error in the A-norm falls monotonically (every update is the
/// A-orthogonal projection of its error onto the block), and the space grows by
/// up to R directions per iteration instead of one, so the flat end of H's
/// spectrum is reached in fewer iterations than R separate CG runs need; each
/// iteration costs about the same (m ≤ R products in one batched pass).
/// A converged row leaves the block (deflation), so late iterations are cheaper.
///
/// Stopping rule: every row's recurrence residual ‖r‖ ≤ tol·‖v‖ (default tol
/// 1e-8), or `maxIterations` (default 1000). The recorded residual is the true
/// ‖v − Ax‖/‖v‖, recomputed at the end (one more HVP per row); rows that miss
/// the tolerance there are warned about and marked converged: false.
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
        var report = SolverReport(name: name, damping: op.damping)
        report.tolerance = tolerance
        report.maxIterations = maxIterations
        var x = [Double](repeating: 0, count: count * p)  // (R, P)
        var r = rhs  // (R, P) residuals
        let norms = (0 ..< count).map { rowDot(rhs, rhs, $0, p).squareRoot() }
        var iterations = [Int](repeating: 0, count: count)
        var converged = norms.map { $0 == 0 }
        var active = (0 ..< count).filter { !converged[$0] }
        var directions = orthonormalRows(gatherRows(r, active, p), rows: active.count, p)  // (m, P)
        var products = 0
        var blockSizes: [Int] = []
        var lastReport = Stopwatch()
        var iteration = 0
        while !active.isEmpty && directions.rows > 0 && iteration < maxIterations {
            iteration += 1
            let m = directions.rows
            var pm = directions.values
            var qm = [Double](repeating: 0, count: m * p)  // (m, P) A·Pm
            op.apply(pm, rows: Array(0 ..< m), into: &qm)
            products += m
            blockSizes.append(m)

            // A-orthonormalise the block: C = Pm A Pmᵀ = V D Vᵀ, Pm ← D^{-1/2}VᵀPm.
            var c = [Double](repeating: 0, count: m * m)
            gemmRows(&c, pm, m, qm, m, p, transposeB: true)
            for i in 0 ..< m { for j in 0 ..< i { let s = 0.5 * (c[i * m + j] + c[j * m + i]); c[i * m + j] = s; c[j * m + i] = s } }
            guard let eigen = SymmetricEigen(c, n: m), let smallest = eigen.values.first, smallest > 0 else {
                let smallest = SymmetricEigen(c, n: m)?.values.first ?? .nan
                throw ConjugateGradient().nonPositiveCurvature(op, curvature: smallest, length2: 1, row: active[0], iteration: iteration, name: name)
            }
            var w = [Double](repeating: 0, count: m * m)  // (m, m) D^{-1/2}Vᵀ
            for j in 0 ..< m {
                let s = 1 / eigen.values[j].squareRoot()
                for i in 0 ..< m { w[j * m + i] = eigen.vectors[i * m + j] * s }
            }
            pm = multiplyRows(w, m, m, pm, p)
            qm = multiplyRows(w, m, m, qm, p)

            // α = Pm Rsᵀ (m, R); X += αᵀ Pm; Rs −= αᵀ Qm.
            var alpha = [Double](repeating: 0, count: m * count)
            gemmRows(&alpha, pm, m, r, count, p, transposeB: true)
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

            // Z = active residuals made A-conjugate to the block: Z −= (Z Qmᵀ) Pm.
            var z = gatherRows(r, active, p)
            var t = [Double](repeating: 0, count: active.count * m)
            gemmRows(&t, z, active.count, qm, m, p, transposeB: true)
            for i in t.indices { t[i] = -t[i] }
            gemmRows(&z, t, active.count, pm, p, m, accumulate: true)
            directions = orthonormalRows(z, rows: active.count, p)

            if lastReport.seconds >= 1 {
                log.info("\(name): iteration \(iteration): \(active.count) of \(count) rows left, block of \(directions.rows), largest relative residual \(short(worst))")
                lastReport = Stopwatch()
            }
        }
        // True residuals ‖v − Ax‖/‖v‖; a row whose recurrence drifted is not converged.
        let all = Array(0 ..< count)
        var ax = [Double](repeating: 0, count: count * p)
        op.apply(x, rows: all, into: &ax)
        products += count
        report.residuals = all.map { row in
            var e = 0.0
            for i in row * p ..< (row + 1) * p { e += (rhs[i] - ax[i]) * (rhs[i] - ax[i]) }
            return norms[row] > 0 ? e.squareRoot() / norms[row] : e.squareRoot()
        }
        // The recurrence and the true residual differ by rounding; allow 10×.
        for row in all where converged[row] && report.residuals![row] > 10 * tolerance { converged[row] = false }
        let failed = all.filter { !converged[$0] }
        if !failed.isEmpty {
            let worst = failed.map { report.residuals![$0] }.max() ?? 0
            log.warning(
                "\(name): \(failed.count) of \(count) rows did not reach the relative residual \(short(tolerance)) in \(iteration) iterations (largest true residual \(short(worst))); they are written and marked converged: false (raise --max-iter or --damping)")
        }
        report.iterations = iterations
        report.converged = converged
        report.blockSizes = blockSizes
        report.hessianVectorProducts = products
        report.wallSeconds = clock.seconds
        return InverseHVPSolution(solutions: x, report: report)
    }
}

/// An orthonormal basis of the span of `rows` rows of z (rows, P), as rows:
/// each row scaled to unit length first (so that a small residual is not
/// taken for a dependent one), then W·z with W = Λ^{-1/2}Uᵀ from the Gram
/// matrix z zᵀ = UΛUᵀ, eigenvalues below `rankTolerance` of the largest
/// dropped; twice, because one pass leaves an orthogonality error of order
/// ε·κ(z)².
private func orthonormalRows(_ z: [Double], rows: Int, _ p: Int) -> (values: [Double], rows: Int) {
    var basis = z
    for row in 0 ..< rows {
        let length = rowDot(basis, basis, row, p).squareRoot()
        if length > 0 { basis.withUnsafeMutableBufferPointer { scale($0.baseAddress! + row * p, 1 / length, count: p) } }
    }
    var count = rows
    for _ in 0 ..< 2 where count > 0 {
        var gram = [Double](repeating: 0, count: count * count)
        gemmRows(&gram, basis, count, basis, count, p, transposeB: true)
        guard let eigen = SymmetricEigen(gram, n: count), let largest = eigen.values.last, largest > 0 else {
            return ([], 0)
        }
        let kept = (0 ..< count).filter { eigen.values[$0] > BlockConjugateGradient.rankTolerance * largest }
        var w = [Double](repeating: 0, count: kept.count * count)  // (kept, count)
        for (j, column) in kept.enumerated() {
            let s = 1 / eigen.values[column].squareRoot()
            for i in 0 ..< count { w[j * count + i] = eigen.vectors[i * count + column] * s }
        }
        basis = multiplyRows(w, kept.count, count, basis, p)
        count = kept.count
    }
    return (basis, count)
}

/// The rows `rows` of x (R, P), in that order: (rows.count, P).
private func gatherRows(_ x: [Double], _ rows: [Int], _ p: Int) -> [Double] {
    var out = [Double](repeating: 0, count: rows.count * p)
    for (j, row) in rows.enumerated() { out[j * p ..< (j + 1) * p] = x[row * p ..< (row + 1) * p] }
    return out
}

/// w (m, k) · x (k, P) → (m, P).
private func multiplyRows(_ w: [Double], _ m: Int, _ k: Int, _ x: [Double], _ p: Int) -> [Double] {
    var out = [Double](repeating: 0, count: m * p)
    gemmRows(&out, w, m, x, p, k)
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
