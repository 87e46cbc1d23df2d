/// Leave-one-task-out retraining, the ground truth of task relatedness:
///
///   raw(l→k) = V_k(w*) − V_k(w*₋l),   k ≠ l
///
/// w*₋l the model retrained on every task but l, warm-started from w* (its
/// tensors matched by name, as `mtif-train --init` does) and polished with the
/// same objective settings; V_k the mean loss of task k's validation
/// examples. Positive: training with task l raised V_k, so l hurts k; this is
/// exactly what R(l→k) predicts, and what `make validate` measures with
/// `scripts/retrain-effects.sh` and `mtif-eval --baseline` (the same
/// retraining code, called in-process here, the same numbers). l = k has no
/// value: without task k there is no V_k to compare.
///
/// Cost: K retrainings, each as long as the polish takes (mtif-train's path:
/// L-BFGS, then Newton's Hessian-vector products, counted in the cost).
package struct LeaveOneTaskOut: Sendable {
    /// The settings of each retraining: the architecture, objective and
    /// optimizer of the full model; `tasks` and `initPath` are set per task.
    package var training: TrainOptions

    package init(training: TrainOptions) {
        self.training = training
    }

    /// The matrix for the model in `parametersPath` (trained on `trainPath`)
    /// with V_k on `validation`. Each retraining's ‖∇L‖ goes to `reports`.
    package func run(
        full: ParameterFile, parametersPath: String, trainPath: String,
        validation: [Example], validationName: String, log: Log
    ) throws -> (raw: [[Double?]], cost: RelatednessCost, reports: [TrainingReport]) {
        let tasks = full.architecture.tasks
        let k = tasks.count
        guard k >= 2 else {
            throw MTIFError.usage("leave-one-task-out needs at least two tasks; the model has \(k)")
        }
        let before = try validationLosses(full, validation, file: validationName)
        var raw = [[Double?]](repeating: [Double?](repeating: nil, count: k), count: k)
        var cost = RelatednessCost()
        var reports: [TrainingReport] = []
        let quiet = Log(tool: log.tool, quiet: true)
        for (l, left) in tasks.enumerated() {
            var options = training
            options.trainPath = trainPath
            options.initPath = parametersPath
            options.tasks = tasks.filter { $0 != left }
            let retrained = try trainParameters(options, log: quiet)
            let report: TrainingReport = try JSONText.decode(retrained.metadata["training"], field: "training", file: "the retraining without \(left)")
            reports.append(report)
            cost.retrainings += 1
            cost.iterations += report.iterations
            cost.gradientEvaluations += report.evaluations
            cost.hessianVectorProducts += (report.stages ?? []).reduce(0) { $0 + ($1.hessianVectorProducts ?? 0) }
            let known = Set(retrained.architecture.tasks)
            let rows = retrained.schema.tasks.reduce(0) { $0 + $1.count }
            cost.gradientRows += report.evaluations * rows
            let after = try validationLosses(retrained, validation.filter { known.contains($0.task) }, file: validationName)
            for (t, target) in tasks.enumerated() where t != l {
                guard let b = before[target], let a = after[target] else { continue }
                raw[l][t] = b - a
            }
            log.info("loto: without \(left): \(report.stop) after \(report.iterations) iterations, ‖∇L‖ = \(short(report.gradientNorm)) (\(l + 1) of \(k))")
        }
        return (raw, cost, reports)
    }
}

/// V_k per task present in `examples` (validation data): the mean loss of the
/// task's examples, computed as `mtif-eval --baseline` computes it.
package func validationLosses(_ trained: ParameterFile, _ examples: [Example], file: String) throws -> [String: Double] {
    let model = try makeModel(trained.architecture)
    let batch = try TaskBatch(examples, schema: trained.schema, file: file)
    let evaluation = Evaluation(model: model, parameters: trained.parameters, batch: batch)
    return Dictionary(uniqueKeysWithValues: evaluation.tasks.map { ($0.task, $0.loss) })
}
