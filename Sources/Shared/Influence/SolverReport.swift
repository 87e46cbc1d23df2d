/// What an inverse-HVP solver did, recorded as the `solver` metadata of the
/// output (JSON, snake_case keys; absent fields do not apply to the solver).
/// Per-row arrays follow the order of the right-hand sides.
package struct SolverReport: Codable, Equatable, Sendable {
    package var name: String
    /// δ actually used.
    package var damping: Double
    /// "hessian" or "ggn" (absent in files of older versions: hessian).
    package var curvature: String?
    /// "f32" when the R-op's matrix products ran in Float (absent: f64).
    package var products: String?
    /// LiSSA's s.
    package var scale: Double?
    package var depth: Int?
    /// LiSSA: "auto" (depth from s/μ and the accuracy) or "fixed" (--depth N).
    package var depthRule: String?
    /// "auto" when --solver auto chose this solver and its tolerance.
    package var selectedBy: String?
    /// LiSSA with auto depth, and --solver auto: the relative error aimed at.
    package var accuracy: Double?
    /// LiSSA: per row (‖r‖/μ)/(‖x‖ − ‖r‖/μ), a bound of the relative error
    /// from the full-data residual; null when the bound is void (‖r‖/μ ≥ ‖x‖).
    package var errorBounds: [Double?]?
    /// LiSSA with auto depth: whether every row's error bound is within the accuracy.
    package var accuracyMet: Bool?
    package var repeats: Int?
    /// B actually used (min(--batch-size, N)).
    package var batchSize: Int?
    package var seed: UInt64?
    /// CG: relative residual tolerance; LiSSA: early-stop tolerance (0 = off).
    package var tolerance: Double?
    package var maxIterations: Int?
    /// Power-iteration estimate of λ_max(H) (LiSSA: the largest over the full
    /// Hessian and the sampled minibatch Hessians).
    package var lambdaMax: Double?
    /// Estimate of λ_min(H) when one was computed.
    package var lambdaMin: Double?
    /// Exact: "cholesky" or "lu" (H + δI indefinite).
    package var factorization: String?
    /// Exact: max |H − Hᵀ| / max |H| of the assembled matrix, before symmetrising.
    package var asymmetry: Double?
    /// LiSSA: (1 − (δ + known curvature floor)/s)^depth, the predicted remaining
    /// error along the flattest direction; absent when no floor is known.
    package var expectedRemainingError: Double?
    /// CG: iterations; LiSSA: steps taken (less than depth on early stop).
    package var iterations: [Int]?
    /// ‖v − (H + δI)x‖ / ‖v‖ of the solution (exact, CG, LiSSA with a floor μ > 0).
    package var residuals: [Double]?
    /// CG: whether the tolerance was reached.
    package var converged: [Bool]?
    /// Block CG: the number of search directions (HVPs) of each iteration.
    package var blockSizes: [Int]?
    /// CG that stops a row at non-positive curvature instead of failing: which rows did.
    package var nonPositiveCurvature: [Bool]?
    /// EK-FAC: ‖(Cᵀx_θ, C x_γ)‖ / ‖(H + δI)x‖ per row, the share of the
    /// product carried by the head–trunk coupling the approximation drops.
    package var coupling: [Double]?
    /// EK-FAC and pcg: seconds spent fitting the factors (0 when read from --factors).
    package var factorSeconds: Double?
    /// EK-FAC and pcg: whether the factors were read from --factors.
    package var factorsReused: Bool?
    /// LiSSA with repeats ≥ 2: ‖std over repeats‖ / ‖mean‖.
    package var spread: [Double]?
    /// Hessian-vector products computed (full-data or minibatch).
    package var hessianVectorProducts: Int = 0
    /// Σ rows over the forward/backward passes of those products.
    package var rowPasses: Int?
    /// Σ rows × directions over their R-op passes.
    package var rowDirections: Int?
    package var wallSeconds: Double = 0

    package init(name: String, damping: Double, tolerance: Double? = nil, maxIterations: Int? = nil) {
        self.name = name
        self.damping = damping
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }
}

/// Solutions (R, P) row-major and how they were found.
package struct InverseHVPSolution: Sendable {
    package var solutions: [Double]
    package var report: SolverReport

    package init(solutions: [Double], report: SolverReport) {
        self.solutions = solutions
        self.report = report
    }
}
