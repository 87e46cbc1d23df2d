#if canImport(Glibc)
import Glibc
#endif

/// What `mtif-train` records about how training went (metadata "training").
/// No wall time: the same inputs and seed must give a byte-identical file.
package struct TrainingReport: Codable, Equatable, Sendable {
    package var optimizer: String
    package var iterations: Int
    package var evaluations: Int
    /// L(w) at the result, regulariser included.
    package var objective: Double
    /// ‖∇L(w)‖ at the result, on the full training set.
    package var gradientNorm: Double
    package var initialGradientNorm: Double
    /// The stopping threshold on ‖∇L‖ that was asked for.
    package var tolerance: Double
    package var converged: Bool
    package var stop: String
}

package enum Optimizer: String, CaseIterable, Sendable {
    case lbfgs, adam
}

/// Fits `model` to `batch` from `start`: full-batch L-BFGS (default), or
/// minibatch Adam. The report's gradient norm is always measured on the full
/// objective, whatever the optimizer.
package func fitModel(
    _ model: any MultitaskModel, _ batch: TaskBatch, from start: [Double],
    optimizer: Optimizer, lbfgs: LBFGS, adam: Adam, log: Log
) throws -> (parameters: [Double], report: TrainingReport) {
    let objective: LBFGS.Objective = { w, g in model.objective(w, batch, regularized: true, gradient: &g) }
    switch optimizer {
    case .lbfgs:
        var lastReport = Stopwatch()
        let result = try lbfgs.minimize(from: start, objective) { iteration, value, gradientNorm in
            if lastReport.seconds >= 1 {
                log.info("iteration \(iteration): L = \(value), ‖∇L‖ = \(gradientNorm)")
                lastReport = Stopwatch()
            }
        }
        let report = TrainingReport(
            optimizer: "lbfgs", iterations: result.iterations, evaluations: result.evaluations,
            objective: result.value, gradientNorm: result.gradientNorm,
            initialGradientNorm: result.initialGradientNorm, tolerance: lbfgs.tolerance,
            converged: result.stop == .converged, stop: result.stop.rawValue)
        return (result.parameters, report)
    case .adam:
        var gradient = [Double](repeating: 0, count: start.count)
        _ = try objective(start, &gradient)
        let initialNorm = euclideanNorm(gradient)
        let (w, steps) = try adam.minimize(model: model, batch: batch, from: start) { epoch, value in
            log.info("epoch \(epoch): minibatch L = \(value)")
        }
        let value = try objective(w, &gradient)
        try LBFGS.checkFinite(value, gradient)
        let gradientNorm = euclideanNorm(gradient)
        let report = TrainingReport(
            optimizer: "adam", iterations: steps, evaluations: steps + 2, objective: value,
            gradientNorm: gradientNorm, initialGradientNorm: initialNorm, tolerance: lbfgs.tolerance,
            converged: gradientNorm <= lbfgs.tolerance * max(1, initialNorm), stop: "epochs")
        return (w, report)
    }
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
