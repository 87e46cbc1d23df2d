/// `mtif-eval --baseline FULL PARAMS DATA`: the actual effect on every target
/// task's loss of retraining without some examples or tasks,
/// V_k(full) − V_k(retrained) on DATA (the validation split), one record per
/// target present in both models. Positive: leaving them out lowered the loss,
/// i.e. they hurt — the same sign as the scores.
package func runEffects(baselinePath: String, parametersPath: String, dataPath: String, output: OutputFile) throws {
    let baseline = try ParameterFile.read(path: baselinePath)
    let retrained = try ParameterFile.read(path: parametersPath)
    let examples = try ExampleReader.readAll(path: dataPath)
    let file = displayName(dataPath)
    let full = try perTaskLoss(baseline, examples, file: file)
    let known = Set(retrained.architecture.tasks)
    let after = try perTaskLoss(retrained, examples.filter { known.contains($0.task) }, file: file)
    let removed: [String] = try retrained.metadata["excluded"].map {
        try JSONText.decode($0, field: "excluded", file: parametersPath)
    } ?? []
    let removedTasks = baseline.architecture.tasks.filter { !known.contains($0) }
    guard !removed.isEmpty || !removedTasks.isEmpty else {
        throw MTIFError.usage(
            "\(parametersPath) leaves out nothing that \(baselinePath) has",
            hint: "retrain with --exclude IDS or --tasks to measure an effect")
    }
    let removedJSON = try JSONText.encode(removed)
    let removedTasksJSON = try JSONText.encode(removedTasks)
    for task in baseline.architecture.tasks {
        guard let before = full[task], let now = after[task] else { continue }
        var record = Record(type: "effect")
        record.add("target", task)
        try record.add("actual", before - now)
        try record.add("baseline_loss", before)
        try record.add("loss", now)
        record.add("removed", json: removedJSON)
        record.add("removed_tasks", json: removedTasksJSON)
        record.add("baseline", baseline.fingerprint)
        try output.write(record.line)
    }
}

/// V_k per task present in `examples`: the mean loss of the task's examples.
private func perTaskLoss(_ trained: ParameterFile, _ examples: [Example], file: String) throws -> [String: Double] {
    let model = try makeModel(trained.architecture)
    let batch = try TaskBatch(examples, schema: trained.schema, file: file)
    let evaluation = Evaluation(model: model, parameters: trained.parameters, batch: batch)
    return Dictionary(uniqueKeysWithValues: evaluation.tasks.map { ($0.task, $0.loss) })
}
