/// The EK-FAC inverse-HVP: x = (EK-FAC + δI)⁻¹ v for every right-hand side,
/// from factors fitted once (`EKFACFactors`; see there for the mathematics
/// and what the block-diagonal approximation drops).
///
/// Diagnostics (`diagnose`, on by default; three batched exact HVPs per row):
/// the true relative residual ‖v − (H + δI)x‖/‖v‖ of each solution, and the
/// share of (H + δI)x that the approximation ignores by construction, the
/// head–trunk (θ_k–γ) coupling: with x = (x_γ, x_θ),
///   coupling = ‖(Cᵀx_θ, C x_γ)‖ / ‖(H + δI)x‖,
/// the off-diagonal blocks of the arrowhead applied to x. The coupling
/// between trunk layers is dropped too and shows in the residual only.
package struct EKFACSolver: Sendable {
    package var diagnose = true

    package init(diagnose: Bool = true) { self.diagnose = diagnose }

    /// Solves every row of `rhs` (count, P) with `factors` and the operator's damping.
    package func solve(
        _ op: HessianOperator, factors: EKFACFactors, rhs: [Double], count: Int, log: Log
    ) throws -> InverseHVPSolution {
        let p = op.dimension
        precondition(rhs.count == count * p && factors.dimension == p)
        let clock = Stopwatch()
        var report = SolverReport(name: "ekfac", damping: op.damping)
        let floor = factors.smallestEigenvalue + op.damping
        guard floor > 0 else {
            throw MTIFError.computation(
                "ekfac: the approximate curvature has a zero eigenvalue (Λ_min + δ = \(short(floor))): a parameter no example moves, and no λ or δ",
                hint: "give --damping > 0")
        }
        report.lambdaMin = factors.smallestEigenvalue
        let x = factors.solve(rhs, count: count, damping: op.damping)
        if diagnose && count > 0 {
            let all = Array(0 ..< count)
            var ax = [Double](repeating: 0, count: count * p)
            op.apply(x, rows: all, into: &ax)
            var trunkOnly = x  // (R, P) x with the task blocks zeroed
            let shared = op.model.layout.sharedRange
            for row in all {
                for i in 0 ..< p where !shared.contains(i) { trunkOnly[row * p + i] = 0 }
            }
            var axTrunk = [Double](repeating: 0, count: count * p)
            op.apply(trunkOnly, rows: all, into: &axTrunk)
            report.hessianVectorProducts = 2 * count
            var residuals: [Double] = [], coupling: [Double] = []
            for row in all {
                var e = 0.0, v2 = 0.0, off = 0.0, total = 0.0
                for i in row * p ..< (row + 1) * p {
                    e += (rhs[i] - ax[i]) * (rhs[i] - ax[i])
                    v2 += rhs[i] * rhs[i]
                    total += ax[i] * ax[i]
                    // Trunk rows: Cᵀx_θ = (Ax − Ax_γ)_γ; task rows: C x_γ = (Ax_γ)_θ.
                    let c = shared.contains(i - row * p) ? ax[i] - axTrunk[i] : axTrunk[i]
                    off += c * c
                }
                residuals.append(v2 > 0 ? (e / v2).squareRoot() : e.squareRoot())
                coupling.append(total > 0 ? (off / total).squareRoot() : 0)
            }
            report.residuals = residuals
            report.coupling = coupling
            log.info(
                "ekfac: the block-diagonal approximation drops the head–trunk coupling C_k (and the coupling between trunk layers): it is \(short(coupling.max() ?? 0)) of ‖(H + δI)x‖ at the solutions (largest row; median \(short(middle(coupling)))); relative residual ‖v − (H + δI)x‖/‖v‖ ≤ \(short(residuals.max() ?? 0))")
        }
        report.wallSeconds = clock.seconds
        return InverseHVPSolution(solutions: x, report: report)
    }
}

private func middle(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
}
