/// Preconditioned conjugate gradients on the full-data damped Hessian, one
/// run per right-hand side (Nocedal & Wright, Alg. 5.3), with an EK-FAC
/// preconditioner M = (EK-FAC + δI).
///
/// Mathematics: A = H + δI applied by exact full-data HVPs, M⁻¹ by
/// `EKFACFactors.solve`. For each v: x₀ = 0, r₀ = v, z₀ = M⁻¹r₀, p₀ = z₀;
/// α_j = r_jᵀz_j / p_jᵀAp_j, x_{j+1} = x_j + α_j p_j, r_{j+1} = r_j − α_j Ap_j,
/// z_{j+1} = M⁻¹r_{j+1}, β_j = r_{j+1}ᵀz_{j+1} / r_jᵀz_j,
/// p_{j+1} = z_{j+1} + β_j p_j. M is symmetric positive definite (Λ ≥ 0,
/// δ > 0 or λ > 0), so this is CG on M^{-1/2} A M^{-1/2}: the same answer,
/// in fewer iterations when M captures A's spread of eigenvalues.
///
/// Stopping rule: the same as `ConjugateGradient` — ‖r_j‖ ≤ tol·‖v‖ on the
/// unpreconditioned residual (default tol 1e-8), or `maxIterations`; the
/// recorded residual is the true ‖v − Ax‖/‖v‖. Non-positive curvature is the
/// same computation error (exit 1) with a damping hint.
package struct PreconditionedConjugateGradient: Sendable {
    package var tolerance = 1e-8
    package var maxIterations = 1000

    package init(tolerance: Double = 1e-8, maxIterations: Int = 1000) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// Solves (H + δI) x = v for each of the `count` rows of `rhs` (count, P).
    package func solve(
        _ op: HessianOperator, preconditioner: EKFACFactors, rhs: [Double], count: Int, log: Log
    ) throws -> InverseHVPSolution {
        let p = op.dimension
        precondition(rhs.count == count * p && preconditioner.dimension == p)
        let clock = Stopwatch()
        var report = SolverReport(name: "pcg", damping: op.damping)
        report.tolerance = tolerance
        report.maxIterations = maxIterations
        var x = [Double](repeating: 0, count: count * p)  // (R, P) solutions
        var r = rhs  // (R, P) residuals
        var z = [Double](repeating: 0, count: count * p)  // (R, P) M⁻¹ r
        var ad = [Double](repeating: 0, count: count * p)  // (R, P) A·d
        let norms = (0 ..< count).map { rowDot(r, r, $0, p).squareRoot() }
        let target = norms.map { tolerance * $0 }
        var iterations = [Int](repeating: 0, count: count)
        var converged = [Bool](repeating: false, count: count)
        var active = (0 ..< count).filter { norms[$0] > 0 }
        for row in 0 ..< count where norms[row] == 0 { converged[row] = true }
        preconditioner.solve(r, rows: active, damping: op.damping, into: &z)
        var d = z  // (R, P) search directions
        var rz = (0 ..< count).map { rowDot(r, z, $0, p) }
        var products = 0
        var lastReport = Stopwatch()
        var iteration = 0
        while !active.isEmpty && iteration < maxIterations {
            iteration += 1
            op.apply(d, rows: active, into: &ad)
            products += active.count
            var next: [Int] = []
            for row in active {
                let curvature = rowDot(d, ad, row, p)
                guard curvature > 0, curvature.isFinite else {
                    throw ConjugateGradient().nonPositiveCurvature(
                        op, curvature: curvature, length2: rowDot(d, d, row, p), row: row, iteration: iteration)
                }
                let alpha = rz[row] / curvature
                rowAxpy(&x, alpha, d, row, p)
                rowAxpy(&r, -alpha, ad, row, p)
                iterations[row] = iteration
                if rowDot(r, r, row, p).squareRoot() <= target[row] {
                    converged[row] = true
                } else {
                    next.append(row)
                }
            }
            active = next
            preconditioner.solve(r, rows: active, damping: op.damping, into: &z)
            for row in active {
                let rzNext = rowDot(r, z, row, p)
                let beta = rzNext / rz[row]
                let base = row * p
                for i in 0 ..< p { d[base + i] = z[base + i] + beta * d[base + i] }
                rz[row] = rzNext
            }
            if lastReport.seconds >= 1 {
                let worst = active.map { rowDot(r, r, $0, p).squareRoot() / norms[$0] }.max() ?? 0
                log.info("pcg: iteration \(iteration): \(active.count) of \(count) rows left, largest relative residual \(short(worst))")
                lastReport = Stopwatch()
            }
        }
        let all = Array(0 ..< count)
        var ax = [Double](repeating: 0, count: count * p)
        op.apply(x, rows: all, into: &ax)
        products += count
        report.residuals = all.map { row in
            var e = 0.0
            for i in row * p ..< (row + 1) * p { e += (rhs[i] - ax[i]) * (rhs[i] - ax[i]) }
            return norms[row] > 0 ? e.squareRoot() / norms[row] : e.squareRoot()
        }
        let failed = all.filter { !converged[$0] }
        if !failed.isEmpty {
            let worst = failed.map { report.residuals![$0] }.max() ?? 0
            log.warning(
                "pcg: \(failed.count) of \(count) rows did not reach the relative residual \(short(tolerance)) in \(maxIterations) iterations (largest \(short(worst))); they are written and marked converged: false (raise --max-iter or --damping)")
        }
        report.iterations = iterations
        report.converged = converged
        report.hessianVectorProducts = products
        report.wallSeconds = clock.seconds
        return InverseHVPSolution(solutions: x, report: report)
    }
}
