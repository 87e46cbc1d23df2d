#if canImport(Glibc)
import Glibc
#endif

/// What `mtif-train` records about how training went (metadata "training").
/// No wall time: the same inputs and seed must give a byte-identical file.
package struct TrainingReport: Codable, Equatable, Sendable {
    /// The optimizers in order, e.g. "lbfgs+newton".
    package var optimizer: String
    package var iterations: Int
    package var evaluations: Int
    /// L(w) at the result, regulariser included.
    package var objective: Double
    /// ‖∇L(w)‖ at the result, on the full training set.
    package var gradientNorm: Double
    package var initialGradientNorm: Double
    /// The stopping threshold on ‖∇L‖ that was asked for (relative).
    package var tolerance: Double
    /// ‖∇L‖ met the tolerance, or the measured rounding floor stopped it.
    package var converged: Bool
    package var stop: String
    /// Each optimizer's share of the run (absent in files of older versions).
    package var stages: [TrainingStage]? = nil
    /// The measured rounding error of ‖∇L‖, when Newton measured it.
    package var roundingFloor: Double? = nil
    /// Lanczos on the exact Hessian at the result.
    package var curvature: CurvatureCheck? = nil
}

package struct TrainingStage: Codable, Equatable, Sendable {
    package var optimizer: String
    package var iterations: Int
    package var evaluations: Int
    package var gradientNorm: Double
    package var stop: String
    /// Newton: Hessian-vector products of the inner CG runs.
    package var hessianVectorProducts: Int? = nil
    /// Newton: ‖∇L‖ at its start and after every accepted step.
    package var gradientNorms: [Double]? = nil
    /// Newton: inner CG runs that ended on negative curvature.
    package var negativeCurvatureSteps: Int? = nil
}

/// The extreme Ritz values of H = ∇²L(w) after `lanczosSteps` Lanczos steps.
package struct CurvatureCheck: Codable, Equatable, Sendable {
    /// An upper bound of λ_min(H); negative proves w is not a minimum.
    package var lambdaMin: Double
    package var lambdaMinResidual: Double
    /// A lower bound of λ_max(H).
    package var lambdaMax: Double
    package var lanczosSteps: Int
    /// No negative curvature found: λ_min estimate > 0.
    package var minimum: Bool
    /// The damping that makes H + δI comfortably positive definite (0 when it already is).
    package var dampingNeeded: Double
}

package enum Optimizer: String, CaseIterable, Sendable {
    case lbfgs, adam, newton
}

/// How training ends: polished by trust-region Newton to the tolerance, or not.
package enum Polish: String, CaseIterable, Sendable {
    case newton, none
}

/// The settings of a training path: a first-stage optimizer, then (by
/// default) Newton from where it stopped, then a Lanczos curvature check.
package struct TrainingPath: Sendable {
    package var optimizer = Optimizer.lbfgs
    package var polish = Polish.newton
    package var lbfgs = LBFGS()
    package var adam = Adam()
    package var newton = TrustRegionNewton()
    /// L-BFGS hands over to Newton at ‖∇L‖ ≤ handover · max(1, ‖∇L(w₀)‖).
    package var handover = 1e-4
    /// Lanczos steps of the curvature check (0: none).
    package var curvatureSteps = 30
    /// The relative stopping tolerance of the whole path.
    package var tolerance = 1e-10

    package init() {}
}

/// Fits `model` to `batch` from `start` along `path`. The report's gradient
/// norm is always measured on the full objective, whatever the optimizer.
package func fitModel(
    _ model: any MultitaskModel, _ batch: TaskBatch, from start: [Double], path: TrainingPath, log: Log
) throws -> (parameters: [Double], report: TrainingReport) {
    let objective: LBFGS.Objective = { w, g in model.objective(w, batch, regularized: true, gradient: &g) }
    var w = start
    var gradient = [Double](repeating: 0, count: start.count)
    let initialValue = try objective(start, &gradient)
    let initialNorm = euclideanNorm(gradient)
    try checkStartingPoint(model, batch, start, value: initialValue, gradient: gradient, norm: initialNorm)
    let threshold = path.tolerance * max(1, initialNorm)
    var stages: [TrainingStage] = []
    var value = initialValue
    var gradientNorm = initialNorm
    var roundingFloor: Double? = nil

    switch path.optimizer {
    case .lbfgs:
        var lbfgs = path.lbfgs
        lbfgs.tolerance = path.polish == .newton ? max(path.handover, path.tolerance) : path.tolerance
        var lastReport = Stopwatch()
        let result = try lbfgs.minimize(from: w, objective) { iteration, value, gradientNorm in
            if lastReport.seconds >= 1 {
                log.info("lbfgs: iteration \(iteration): L = \(value), ‖∇L‖ = \(gradientNorm)")
                lastReport = Stopwatch()
            }
        }
        w = result.parameters
        value = result.value
        gradientNorm = result.gradientNorm
        stages.append(TrainingStage(
            optimizer: "lbfgs", iterations: result.iterations, evaluations: result.evaluations,
            gradientNorm: result.gradientNorm, stop: result.stop.rawValue))
    case .adam:
        let (trained, steps) = try path.adam.minimize(model: model, batch: batch, from: start) { epoch, value in
            log.info("adam: epoch \(epoch): minibatch L = \(value)")
        }
        w = trained
        value = try objective(w, &gradient)
        try LBFGS.checkFinite(value, gradient)
        gradientNorm = euclideanNorm(gradient)
        stages.append(TrainingStage(
            optimizer: "adam", iterations: steps, evaluations: steps + 1, gradientNorm: gradientNorm, stop: "epochs"))
    case .newton:
        break
    }

    if path.optimizer == .newton || (path.polish == .newton && gradientNorm > threshold) {
        var newton = path.newton
        newton.tolerance = path.tolerance
        newton.localRegion = path.handover
        var lastReport = Stopwatch()
        let result = try newton.minimize(
            from: w, referenceGradientNorm: initialNorm, objective,
            curvature: { w, v, hv in model.hessianVectorProduct(w, batch, regularized: true, v, into: &hv) },
            floor: { w, g in gradientRoundingError(model, batch, at: w, gradient: g) }
        ) { step in
            if lastReport.seconds >= 1 {
                log.info("newton: iteration \(step.iteration): L = \(step.value), ‖∇L‖ = \(step.gradientNorm) (\(step.innerSteps) CG steps, radius \(String(format: "%.3g", step.radius)), η \(String(format: "%.3g", step.forcing)))")
                lastReport = Stopwatch()
            }
        }
        w = result.parameters
        value = result.value
        gradientNorm = result.gradientNorm
        roundingFloor = result.roundingFloor
        stages.append(TrainingStage(
            optimizer: "newton", iterations: result.iterations, evaluations: result.evaluations,
            gradientNorm: result.gradientNorm, stop: result.stop.rawValue,
            hessianVectorProducts: result.hessianProducts, gradientNorms: result.gradientNorms,
            negativeCurvatureSteps: result.negativeCurvatureSteps))
    }

    let last = stages.last!
    let converged = gradientNorm <= threshold || last.stop == TrustRegionNewton.Stop.roundingFloor.rawValue
    var report = TrainingReport(
        optimizer: stages.map(\.optimizer).joined(separator: "+"),
        iterations: stages.map(\.iterations).reduce(0, +), evaluations: stages.map(\.evaluations).reduce(0, +) + 1,
        objective: value, gradientNorm: gradientNorm, initialGradientNorm: initialNorm, tolerance: path.tolerance,
        converged: converged, stop: gradientNorm <= threshold ? "converged" : last.stop,
        stages: stages, roundingFloor: roundingFloor)
    if path.curvatureSteps > 0 {
        report.curvature = curvatureCheck(model, batch, at: w, steps: path.curvatureSteps)
    }
    return (w, report)
}

/// The rounding error in g = ∇L(w): the same gradient summed in another order
/// (every task's rows reversed, so every chunk of the batched passes holds
/// other rows) differs from g by about √2 times it.
func gradientRoundingError(_ model: any MultitaskModel, _ batch: TaskBatch, at w: [Double], gradient g: [Double]) -> Double {
    var rows: [Int] = []
    rows.reserveCapacity(batch.count)
    for range in batch.taskRanges { rows.append(contentsOf: range.reversed()) }
    let reversed = batch.subset(rows)
    var h = [Double](repeating: 0, count: w.count)
    _ = model.objective(w, reversed, regularized: true, gradient: &h)
    var sum = 0.0
    for i in g.indices { sum += (g[i] - h[i]) * (g[i] - h[i]) }
    return sum.squareRoot()
}

/// Lanczos on the exact full-data Hessian of L at w.
package func curvatureCheck(_ model: any MultitaskModel, _ batch: TaskBatch, at w: [Double], steps: Int) -> CurvatureCheck {
    let estimate = Lanczos(steps: steps).extremes(dimension: w.count) { v in
        var hv = [Double](repeating: 0, count: w.count)
        model.hessianVectorProduct(w, batch, regularized: true, v, into: &hv)
        return hv
    }
    let minimum = estimate.smallest > 0
    return CurvatureCheck(
        lambdaMin: estimate.smallest, lambdaMinResidual: estimate.smallestResidual, lambdaMax: estimate.largest,
        lanczosSteps: estimate.products, minimum: minimum,
        dampingNeeded: minimum ? 0 : suggestedDamping(lambdaMin: estimate.smallest, current: 0))
}

package func euclideanNorm(_ values: [Double]) -> Double {
    var sum = 0.0
    for v in values { sum += v * v }
    return sum.squareRoot()
}

/// Wall-clock time since creation, for progress lines and diagnostics.
package struct Stopwatch: Sendable {
    private let start: Double

    package init() { start = Stopwatch.now() }

    package var seconds: Double { Stopwatch.now() - start }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// Refuses a start where L, ∇L or ‖∇L‖ is not finite in Float64 (an
/// optimizer would report "converged after 0 iterations, ‖∇L‖ = inf"), naming
/// the cause: the data term (features or labels too large) or the regulariser
/// (--lambda or --coupling too large).
func checkStartingPoint(
    _ model: any MultitaskModel, _ batch: TaskBatch, _ w: [Double], value: Double, gradient: [Double], norm: Double
) throws {
    guard !value.isFinite || !norm.isFinite || !gradient.allSatisfy(\.isFinite) else { return }
    var dataGradient = [Double](repeating: 0, count: w.count)
    let dataValue = model.objective(w, batch, regularized: false, gradient: &dataGradient)
    let dataNorm = euclideanNorm(dataGradient)
    let shown = "L = \(value), ‖∇L‖ = \(norm)"
    if !dataValue.isFinite || !dataNorm.isFinite || !dataGradient.allSatisfy(\.isFinite) {
        var largest = 0.0
        for v in batch.x where v.isFinite { largest = max(largest, abs(v)) }
        var label = 0.0
        for v in batch.targets where v.isFinite { label = max(label, abs(v)) }
        throw MTIFError.computation(
            "the training objective is not finite (NaN or Inf) in Float64 at the initial parameters (\(shown)): the largest feature is \(short(largest)) and the largest label \(short(label)) in absolute value",
            hint: "standardise the features (mtif-data standardize), or rescale the labels of a regression task")
    }
    let architecture = model.architecture
    throw MTIFError.usage(
        "the regulariser is not finite in Float64 at the initial parameters (\(shown)) with --lambda \(architecture.lambda)\(architecture.sharing == .soft ? " and --coupling \(architecture.coupling)" : "")",
        hint: "λ‖w‖² must stay far below 1e308: use a --lambda of a sensible size (1e-4 … 10)")
}
