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

    /// Solves (H + δI) x = v for each of the `count` rows of `rhs` (count, P):
    /// `ConjugateGradient`'s loop with M⁻¹ from the factors.
    package func solve(
        _ op: HessianOperator, preconditioner: EKFACFactors, rhs: [Double], count: Int, log: Log
    ) throws -> InverseHVPSolution {
        precondition(preconditioner.dimension == op.dimension)
        let cg = ConjugateGradient(tolerance: tolerance, maxIterations: maxIterations)
        return try cg.solve(op, rhs: rhs, count: count, log: log, name: "pcg") { r, rows, z in
            preconditioner.solve(r, rows: rows, damping: op.damping, into: &z)
        }
    }
}
