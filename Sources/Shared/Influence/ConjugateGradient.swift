/// Conjugate gradients on the full-data damped Hessian, one run per
/// right-hand side (Hestenes–Stiefel; Nocedal & Wright, Alg. 5.2).
///
/// Mathematics: A = H + δI applied by exact full-data HVPs. For each v:
/// x₀ = 0, r₀ = p₀ = v; α_j = r_jᵀr_j / p_jᵀAp_j, x_{j+1} = x_j + α_j p_j,
/// r_{j+1} = r_j − α_j Ap_j, β_j = r_{j+1}ᵀr_{j+1} / r_jᵀr_j,
/// p_{j+1} = r_{j+1} + β_j p_j. The rows advance together, so one
/// iteration's products for every unfinished row are computed in parallel.
///
/// Stopping rule: ‖r_j‖ ≤ tol·‖v‖ (default tol 1e-8), or `maxIterations`
/// (default 1000). A row that does not converge is kept, warned about and
/// recorded (`converged: false`), not an error. The recorded residual is the
/// true ‖v − Ax‖/‖v‖, recomputed at the end (one more HVP per row).
///
/// Non-positive curvature p_jᵀAp_j ≤ 0 means A is not positive definite (a
/// non-convex model, too little damping): CG stops with a computation error
/// (exit 1) whose hint names a damping, from the curvature found and a
/// power-iteration estimate of λ_min(H). With `stopAtNonPositiveCurvature`
/// the row stops there instead, keeps its last iterate, and is recorded in
/// `nonPositiveCurvature`, and rows that miss the tolerance are not warned
/// about either (for callers that judge the report themselves, such as the
/// Newton-step error estimate of mtif-eval --baseline).
///
/// With a preconditioner M (symmetric positive definite, applied as M⁻¹ to
/// rows) the same loop is preconditioned CG (Nocedal & Wright, Alg. 5.3):
/// z_j = M⁻¹r_j, α_j = r_jᵀz_j / p_jᵀAp_j, β_j = r_{j+1}ᵀz_{j+1} / r_jᵀz_j,
/// p_{j+1} = z_{j+1} + β_j p_j; without one z = r and these are the formulas above.
package struct ConjugateGradient: Sendable {
    /// M⁻¹ applied to `rows` of an (R, P) buffer: (input, rows, output).
    package typealias Preconditioner = ([Double], [Int], inout [Double]) -> Void

    package var tolerance = 1e-8
    package var maxIterations = 1000
    package var stopAtNonPositiveCurvature = false

    package init(tolerance: Double = 1e-8, maxIterations: Int = 1000) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// Solves (H + δI) x = v for each of the `count` rows of `rhs` (count, P),
    /// preconditioned by M⁻¹ when `preconditioner` is given; `name` is the
    /// report's and the messages' solver name.
    package func solve(
        _ op: HessianOperator, rhs: [Double], count: Int, log: Log, name: String = "cg",
        preconditioner: Preconditioner? = nil
    ) throws -> InverseHVPSolution {
        let p = op.dimension
        precondition(rhs.count == count * p)
        let clock = Stopwatch()
        var report = SolverReport(name: name, damping: op.damping, tolerance: tolerance, maxIterations: maxIterations)
        var x = [Double](repeating: 0, count: count * p)  // (R, P) solutions
        var r = rhs  // (R, P) residuals
        var z = preconditioner == nil ? [] : rhs  // (R, P) M⁻¹r; without M, r itself stands in
        var ad = [Double](repeating: 0, count: count * p)  // (R, P) A·d
        var rr = (0 ..< count).map { rowDot(r, r, $0, p) }
        let norms = rr.map { $0.squareRoot() }  // ‖v‖ per row
        let target = norms.map { tolerance * $0 }
        var iterations = [Int](repeating: 0, count: count)
        var converged = [Bool](repeating: false, count: count)
        var nonPositive = [Bool](repeating: false, count: count)
        var active = (0 ..< count).filter { rr[$0] > 0 }
        for row in 0 ..< count where rr[row] == 0 { converged[row] = true }
        preconditioner?(r, active, &z)
        var d = preconditioner == nil ? rhs : z  // (R, P) search directions
        var rz = preconditioner == nil ? rr : (0 ..< count).map { rowDot(r, z, $0, p) }
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
                let length2 = rowDot(d, d, row, p)
                guard curvature > 0, curvature.isFinite else {
                    if stopAtNonPositiveCurvature { nonPositive[row] = true; iterations[row] = iteration; continue }
                    throw nonPositiveCurvatureError(op, curvature: curvature, length2: length2, row: row, iteration: iteration, solver: name)
                }
                let alpha = rz[row] / curvature
                rowAxpy(&x, alpha, d, row, p)
                rowAxpy(&r, -alpha, ad, row, p)
                rr[row] = rowDot(r, r, row, p)
                iterations[row] = iteration
                if rr[row].squareRoot() <= target[row] {
                    converged[row] = true
                } else {
                    next.append(row)
                }
            }
            active = next
            if let preconditioner { preconditioner(r, active, &z) }
            for row in active {
                let rzNext = preconditioner == nil ? rr[row] : rowDot(r, z, row, p)
                let beta = rzNext / rz[row]
                let base = row * p
                if preconditioner == nil {
                    for i in 0 ..< p { d[base + i] = r[base + i] + beta * d[base + i] }
                } else {
                    for i in 0 ..< p { d[base + i] = z[base + i] + beta * d[base + i] }
                }
                rz[row] = rzNext
            }
            if lastReport.seconds >= 1 {
                let worst = active.map { rr[$0].squareRoot() / norms[$0] }.max() ?? 0
                log.info("\(name): iteration \(iteration): \(active.count) of \(count) rows left, largest relative residual \(short(worst))")
                lastReport = Stopwatch()
            }
        }
        let all = Array(0 ..< count)
        report.residuals = trueResiduals(op, x, rhs, norms: norms)
        products += count
        if !stopAtNonPositiveCurvature {
            warnUnconverged(all.filter { !converged[$0] && !nonPositive[$0] }, report, iterations: maxIterations, log: log)
        }
        report.iterations = iterations
        report.converged = converged
        if nonPositive.contains(true) { report.nonPositiveCurvature = nonPositive }
        report.hessianVectorProducts = products
        report.wallSeconds = clock.seconds
        return InverseHVPSolution(solutions: x, report: report)
    }
}

/// The error of a CG-type solver that met dᵀ(H + δI)d ≤ 0 (`length2` = dᵀd),
/// with a damping hint.
func nonPositiveCurvatureError(
    _ op: HessianOperator, curvature: Double, length2: Double, row: Int, iteration: Int, solver name: String
) -> MTIFError {
    // The direction's own Rayleigh quotient bounds λ_min(H) from above;
    // power iteration usually finds a more negative one.
    let rayleigh = length2 > 0 ? curvature / length2 - op.damping : -op.damping
    let power = PowerIteration(tolerance: 1e-4, maxIterations: 200)
    let top = power.largest(dimension: op.dimension, op.applyUndamped)
    let bottom = power.smallest(dimension: op.dimension, largest: top.value, op.applyUndamped)
    let lambdaMin = min(rayleigh, bottom.value)
    return MTIFError.computation(
        "\(name) met non-positive curvature dᵀ(H + δI)d = \(short(curvature)) at iteration \(iteration) of row \(row + 1): H + δI is not positive definite (δ = \(short(op.damping)), λ_min(H) ≈ \(short(lambdaMin)))",
        hint: "raise --damping to at least \(short(suggestedDamping(lambdaMin: lambdaMin, current: op.damping))), or check that the model converged to a minimum")
}

/// Warns about the rows (indices) that missed the report's tolerance, by their true residuals.
func warnUnconverged(_ failed: [Int], _ report: SolverReport, iterations: Int, log: Log) {
    guard !failed.isEmpty, let residuals = report.residuals, let tolerance = report.tolerance else { return }
    let worst = failed.map { residuals[$0] }.max() ?? 0
    log.warning(
        "\(report.name): \(failed.count) of \(residuals.count) rows did not reach the relative residual \(short(tolerance)) in \(iterations) iterations (largest \(short(worst))); they are written and marked converged: false (raise --max-iter or --damping)")
}

/// ‖v − (H + δI)x‖/‖v‖ of every row (‖v − (H + δI)x‖ where v = 0): one
/// batched product per row, recomputed rather than trusted to a recurrence.
func trueResiduals(_ op: HessianOperator, _ x: [Double], _ rhs: [Double], norms: [Double]) -> [Double] {
    let p = op.dimension, all = Array(0 ..< norms.count)
    var ax = [Double](repeating: 0, count: x.count)
    op.apply(x, rows: all, into: &ax)
    return all.map { row in
        var e = 0.0
        for i in row * p ..< (row + 1) * p { e += (rhs[i] - ax[i]) * (rhs[i] - ax[i]) }
        return norms[row] > 0 ? e.squareRoot() / norms[row] : e.squareRoot()
    }
}

/// x[row] · y[row] for (R, P) row-major buffers.
func rowDot(_ x: [Double], _ y: [Double], _ row: Int, _ p: Int) -> Double {
    x.withUnsafeBufferPointer { x in
        y.withUnsafeBufferPointer { y in dot(x.baseAddress! + row * p, y.baseAddress! + row * p, count: p) }
    }
}

/// y[row] += alpha · x[row].
func rowAxpy(_ y: inout [Double], _ alpha: Double, _ x: [Double], _ row: Int, _ p: Int) {
    y.withUnsafeMutableBufferPointer { y in
        x.withUnsafeBufferPointer { x in axpy(y.baseAddress! + row * p, alpha, x.baseAddress! + row * p, count: p) }
    }
}
