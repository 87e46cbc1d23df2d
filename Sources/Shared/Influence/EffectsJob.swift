/// `mtif-eval --baseline FULL PARAMS DATA`: the actual effect on every target
/// of retraining without some examples or tasks, one record per target present
/// in both models. Positive: leaving them out lowered the loss, i.e. they hurt
/// — the same sign as the scores.
///
/// Targets: each task's mean loss on DATA, V_k(full) − V_k(retrained) (the
/// default); or with `perExample` every example z of DATA on its own
/// (target = its id, `target_task` its task), ℓ(full; z) − ℓ(retrained; z):
/// the single test points of leave-one-out scatter plots.
///
/// With the training file (`trainPath`), each record also carries an error
/// bar on `actual`: the first-order change of the target that one more Newton
/// step would still make at the retrained parameters plus the same at FULL
/// (`NewtonStep`), as `actual_error`, with both parts and the method.

/// Everything the effects form needs.
package struct EffectsOptions: Sendable {
    package var baselinePath = ""
    package var parametersPath = ""
    package var dataPath = ""
    /// The training file both models were fitted on, before any --exclude:
    /// enables the error estimate.
    package var trainPath: String? = nil
    /// One record per example of DATA instead of per task.
    package var perExample = false
    /// Where FULL's Newton step is kept between runs (read when it is for the
    /// same FULL and training set, else computed and written).
    package var baselineStepPath: String? = nil
    /// The same for the retrained model's step (PARAMS).
    package var stepPath: String? = nil

    package init() {}
}

package func runEffects(_ options: EffectsOptions, output: OutputFile, log: Log) throws {
    let baselineName = displayName(options.baselinePath)
    let parametersName = displayName(options.parametersPath)
    let baseline = try ParameterFile.read(path: options.baselinePath)
    let retrained = try ParameterFile.read(path: options.parametersPath)
    let examples = try ExampleReader.readAll(path: options.dataPath)
    let file = displayName(options.dataPath)
    let removed: [String] = try retrained.metadata["excluded"].map {
        try JSONText.decode($0, field: "excluded", file: parametersName)
    } ?? []
    try requireSameArchitecture(baseline.architecture, baselineName, retrained.architecture, parametersName)
    let known = Set(retrained.architecture.tasks)
    let removedTasks = baseline.architecture.tasks.filter { !known.contains($0) }
    guard !removed.isEmpty || !removedTasks.isEmpty else {
        throw MTIFError.usage(
            "\(parametersName) leaves out nothing that \(baselineName) has",
            hint: "retrain with --exclude IDS or --tasks to measure an effect")
    }
    let weights = try ExcludeWeightsRecord.of(retrained, name: parametersName)?.mode ?? .renormalized
    // Every example must be of a task FULL knows (TaskBatch words the error);
    // the targets are those the retrained model also has.
    _ = try TaskBatch(examples, schema: baseline.schema, file: file)
    let shared = examples.filter { known.contains($0.task) }
    let targets = options.perExample
        ? shared.map { (name: $0.id, task: $0.task) }
        : baseline.architecture.tasks.filter { task in shared.contains { $0.task == task } }.map { (name: $0, task: $0) }

    let train = try options.trainPath.map { (examples: try ExampleReader.readAll(path: $0), name: displayName($0)) }
    let full = try measure(
        baseline, name: baselineName, shared, file: file, perExample: options.perExample, train: train,
        stepPath: options.baselineStepPath)
    let after = try measure(
        retrained, name: parametersName, shared, file: file, perExample: options.perExample, train: train,
        stepPath: options.stepPath)

    // How far the retrain moved the shared parameters γ (the only ones that
    // couple tasks): compare flags retrains that jumped to another basin.
    let sharedMove = try sharedParameterMove(from: baseline, to: retrained)
    let removedJSON = try JSONText.encode(removed)
    let removedTasksJSON = try JSONText.encode(removedTasks)
    let method = [full.method, after.method].compactMap { $0 }.max()
    var errors: [Double] = []
    var actuals: [Double] = []
    for (t, target) in targets.enumerated() {
        let key = options.perExample ? String(t) : target.name
        guard let before = full.values[key], let now = after.values[key] else { continue }
        var record = Record(type: "effect")
        record.add("target", target.name)
        if options.perExample { record.add("target_task", target.task) }
        try record.add("actual", before - now)
        try record.add("baseline_loss", before)
        try record.add("loss", now)
        record.add("removed", json: removedJSON)
        record.add("removed_tasks", json: removedTasksJSON)
        record.add("baseline", baseline.fingerprint)
        try record.add("shared_move", sharedMove)
        // Whole tasks left out: no other example's weight changes either way.
        if !removed.isEmpty { record.add("exclude_weights", weights.rawValue) }
        if let norm = after.gradientNorm { try record.add("gradient_norm", norm) }
        if let norm = full.gradientNorm { try record.add("baseline_gradient_norm", norm) }
        if let method {
            let a = after.errors[key] ?? nil, b = full.errors[key] ?? nil
            if let a, let b {
                try record.add("actual_error", a + b)
                errors.append(a + b)
                actuals.append(abs(before - now))
            }
            if let a { try record.add("retrain_error", a) }
            if let b { try record.add("baseline_error", b) }
            record.add("error_method", method.rawValue)
        }
        try output.write(record.line)
    }
    if let method {
        let unknown = [(full.method, "FULL"), (after.method, "the retrain")].filter { $0.0.map { !$0.isKnown } ?? false }
        let why = unknown.map { "\($0.0!.rawValue) at \($0.1)" }.joined(separator: ", ")
        log.info(
            "\(targets.count) targets; error of actual by one more Newton step (\(method.rawValue)\(why.isEmpty ? "" : ": \(why)")): "
                + (errors.isEmpty ? "unknown" : "median \(short(median(errors))), max \(short(errors.max()!)); median |actual| \(short(median(actuals)))")
                + "; ‖∇L‖ retrain \(after.gradientNorm.map(short) ?? "?"), FULL \(full.gradientNorm.map(short) ?? "?")")
    }
}

/// ‖γ − γ_full‖ over the shared parameters (the trunk, or soft sharing's
/// centre), which sit first in every layout whatever tasks a model has; the
/// retrain has the same shared layers (`requireSameArchitecture`).
func sharedParameterMove(from full: ParameterFile, to retrained: ParameterFile) throws -> Double {
    let shared = try makeModel(full.architecture).layout.sharedRange
    var sum = 0.0
    for i in shared {
        let d = retrained.parameters[i] - full.parameters[i]
        sum.addProduct(d, d)
    }
    return sum.squareRoot()
}

/// The targets' values at one model, and with the training set their
/// Newton-step errors. Keys: task names, or for per-example targets the
/// example's position in `examples`.
private func measure(
    _ trained: ParameterFile, name: String, _ examples: [Example], file: String, perExample: Bool,
    train: (examples: [Example], name: String)?, stepPath: String? = nil
) throws -> (values: [String: Double], errors: [String: Double?], method: NewtonStep.Method?, gradientNorm: Double?) {
    let model = try makeModel(trained.architecture)
    let p = model.layout.count
    let batch = try TaskBatch(examples, schema: trained.schema, file: file)
    var values: [String: Double] = [:]
    if perExample {
        let losses = model.perExampleLosses(trained.parameters, batch)
        for (i, source) in batch.sourceIndex.enumerated() { values[String(source)] = losses[i] }
    } else {
        let evaluation = Evaluation(model: model, parameters: trained.parameters, batch: batch)
        for task in evaluation.tasks { values[task.task] = task.loss }
    }
    var recorded = recordedGradientNorm(trained)
    guard let train else { return (values, [:], nil, recorded) }
    let objective = try trainingBatch(of: trained, name: name, examples: train.examples, trainName: train.name)
    let key = trained.fingerprint + "/" + Fingerprint.of(train.examples)
    let step: NewtonStep
    if let stepPath, let saved = NewtonStep.read(path: stepPath, key: key, dimension: p) {
        step = saved
    } else {
        step = try NewtonStep(model: model, parameters: trained.parameters, batch: objective)
        if let stepPath { try step.write(to: stepPath, key: key) }
    }
    recorded = recorded ?? step.gradientNorm
    var errors: [String: Double?] = [:]
    if perExample {
        var position = 0
        try perExampleGradientRows(
            model: model, parameters: trained.parameters, examples: examples[...], schema: trained.schema, file: file,
            layout: .dense, batchSize: 128
        ) { rows, r in
            for i in 0 ..< r { errors[String(position + i)] = step.error(of: rows.baseAddress! + i * p) }
            position += r
        }
    } else {
        let means = try meanGradientsByTask(
            model: model, parameters: trained.parameters, examples: examples[...], schema: trained.schema,
            file: file, batchSize: 128)
        means.rows.withUnsafeBufferPointer { rows in
            for (j, k) in means.tasks.enumerated() {
                errors[trained.schema.tasks[k].name] = step.error(of: rows.baseAddress! + j * p)
            }
        }
    }
    return (values, errors, step.method, recorded)
}

/// The final ‖∇L‖ that mtif-train recorded (metadata "training"); other keys
/// of that record are ignored, so optimizers may add their own.
private func recordedGradientNorm(_ file: ParameterFile) -> Double? {
    struct Recorded: Decodable { var gradientNorm: Double? }
    guard let text = file.metadata["training"] else { return nil }
    let decoded: Recorded? = try? JSONText.decode(text, field: "training", file: "")
    return decoded?.gradientNorm
}

/// The median of a non-empty sample.
package func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/// A leave-out effect compares a model with its own retrain: the same
/// sharing, widths, activation, loss, λ and c, and for every task both have
/// the same head. Anything else would be reported as an effect of the
/// examples left out.
func requireSameArchitecture(_ full: Architecture, _ fullName: String, _ retrained: Architecture, _ name: String) throws {
    var differences: [String] = []
    if full.sharing != retrained.sharing { differences.append("sharing \(full.sharing.rawValue) vs \(retrained.sharing.rawValue)") }
    if full.inputs != retrained.inputs { differences.append("\(full.inputs) vs \(retrained.inputs) inputs") }
    if full.hidden != retrained.hidden { differences.append("hidden \(full.hidden) vs \(retrained.hidden)") }
    if full.activation != retrained.activation { differences.append("activation \(full.activation.rawValue) vs \(retrained.activation.rawValue)") }
    if full.loss != retrained.loss { differences.append("loss \(full.loss.rawValue) vs \(retrained.loss.rawValue)") }
    if full.lambda != retrained.lambda { differences.append("lambda \(full.lambda) vs \(retrained.lambda)") }
    if full.coupling != retrained.coupling { differences.append("coupling \(full.coupling) vs \(retrained.coupling)") }
    for (k, task) in retrained.tasks.enumerated() {
        guard let j = full.tasks.firstIndex(of: task) else {
            differences.append("task \(JSONValue.quoted(task)) is not in \(fullName)")
            break
        }
        if full.outputs[j] != retrained.outputs[k] {
            differences.append("task \(JSONValue.quoted(task)) has \(full.outputs[j]) vs \(retrained.outputs[k]) outputs")
        }
    }
    if let first = differences.first {
        throw MTIFError.input(
            "\(name) is not a retrain of \(fullName)'s architecture: \(first)\(differences.count > 1 ? " (and \(differences.count - 1) more)" : "")",
            hint: "retrain with the same --sharing, --hidden, --activation, --lambda and --coupling as \(fullName), leaving out examples (--exclude) or tasks (--tasks)")
    }
}
