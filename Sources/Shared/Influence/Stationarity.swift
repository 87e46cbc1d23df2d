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
