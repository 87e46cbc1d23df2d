/// Influence functions assume w* is a stationary point of L: ∇L(w*) = 0.
/// `mtif-train` records how close it got (metadata `training`: final ‖∇L‖,
/// the starting ‖∇L‖, the tolerance, `converged`); `mtif-grad` and `mtif-ihvp`
/// copy that record into their outputs as `trained`, so that the tools that
/// use the parameters can say when the scores rest on a point far from one.

/// Training stopped (or was asked to stop) with ‖∇L‖ above this fraction of
/// max(1, ‖∇L(w₀)‖): far enough from stationarity that first-order influence
/// is questionable whatever tolerance the user chose.
package let stationarityWarningThreshold = 1e-5

/// The warning for the `training` record `json` of the parameters `name`, or
/// nil when they are close enough to a stationary point (or say nothing). A
/// run that stopped short of its own tolerance but below this threshold is
/// not warned about again: mtif-train said so when it stopped.
package func stationarityWarning(_ json: String?, parameters name: String) -> String? {
    guard let json else { return nil }
    let decoded: TrainingReport? = try? JSONText.decode(json, field: "training", file: name)
    guard let report = decoded else { return nil }
    let limit = stationarityWarningThreshold * max(1, report.initialGradientNorm)
    guard !(report.gradientNorm <= limit) else { return nil }
    let why = report.converged
        ? "training met its tolerance \(short(report.tolerance)) but stopped at ‖∇L‖ = \(short(report.gradientNorm))"
        : "training did not converge (\(report.stop) after \(report.iterations) iterations at ‖∇L‖ = \(short(report.gradientNorm)))"
    return "\(name): \(why), above \(short(stationarityWarningThreshold)) · max(1, ‖∇L(w₀)‖) = \(short(limit)): far from a stationary point (∇L = 0), which influence scores assume; they may be far off (train further: mtif-train --init PARAMS --tol 1e-10 …)"
}

/// One line on what the final Lanczos check found.
package func curvatureSummary(_ c: CurvatureCheck) -> String {
    let found = "curvature (Lanczos, \(c.lanczosSteps) steps): λ_min(H) ≈ \(short(c.lambdaMin)) (residual \(short(c.lambdaMinResidual))), λ_max(H) ≈ \(short(c.lambdaMax))"
    if c.minimum { return "\(found): no negative curvature found" }
    return "\(found): not a minimum; H + δI needs δ > \(short(-c.lambdaMin)) (e.g. --damping \(short(c.dampingNeeded))), or --curvature ggn"
}

/// What the parameters' recorded curvature check says about solving with
/// damping δ: a warning when H + δI is indefinite by that check, else an
/// informational line; nil when nothing was recorded.
package func curvatureNote(_ json: String?, parameters name: String, damping: Double) -> (warning: Bool, text: String)? {
    guard let json, let report: TrainingReport = try? JSONText.decode(json, field: "training", file: name),
          let c = report.curvature else { return nil }
    let summary = "\(name): \(curvatureSummary(c))"
    if c.lambdaMin + damping <= 0 {
        return (true, "\(summary); at δ = \(short(damping)) H + δI is indefinite (raise --damping to at least \(short(c.dampingNeeded)))")
    }
    return (false, summary)
}
