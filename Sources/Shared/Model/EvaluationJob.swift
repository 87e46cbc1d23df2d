/// `mtif-eval`: per-task metrics, or per-example predictions, as NDJSON records.
/// `tasks` keeps only those tasks' examples (e.g. a target's test split when the
/// model was trained without other tasks); `tags` are appended to every record.
/// `shard` (predictions only) keeps examples [⌊i·n/N⌋, ⌊(i+1)·n/N⌋) of those,
/// so the N shards' prediction lines concatenate to the unsharded output.
package func runEvaluation(
    parametersPath: String, dataPath: String, predictions: Bool, tasks: [String]? = nil,
    tags: [(key: String, value: String)] = [], shard: Shard? = nil, output: OutputFile
) throws {
    if shard != nil && !predictions {
        throw MTIFError.usage(
            "--shard applies to --predictions only: per-task metrics need every example of a task",
            hint: "add --predictions, or drop --shard")
    }
    let trained = try ParameterFile.read(path: parametersPath)
    let model = try makeModel(trained.architecture)
    var examples = try ExampleReader.readAll(path: dataPath)
    if let tasks {
        examples = try Shared.examples(examples, ofTasks: tasks, known: trained.architecture.tasks, in: parametersPath)
    }
    if let shard { examples = Array(examples[shard.range(of: examples.count)]) }
    let batch = try TaskBatch(examples, schema: trained.schema, file: displayName(dataPath))
    let evaluation = Evaluation(model: model, parameters: trained.parameters, batch: batch)
    if predictions {
        // In input order (the batch groups examples by task).
        for prediction in evaluation.predictions.sorted(by: { $0.exampleIndex < $1.exampleIndex }) {
            let example = examples[prediction.exampleIndex]
            var record = Record(type: "prediction")
            record.add("id", example.id)
            record.add("task", example.task)
            record.add("y", json: labelJSON(example.y))
            if let c = prediction.predictedClass {
                let task = trained.schema.tasks[trained.schema.taskIndex(example.task)!]
                if let labels = task.labels { record.add("prediction", labels[c]) } else { record.add("prediction", c) }
                try record.add("loss", prediction.loss)
                try record.add("probabilities", prediction.probabilities)
            } else if let value = prediction.predictedValue {
                try record.add("prediction", value)
                try record.add("loss", prediction.loss)
            }
            try record.add(tags: tags)
            try output.write(record.line)
        }
        return
    }
    for metrics in evaluation.tasks {
        var record = try metricsRecord(metrics, type: "task")
        try record.add(tags: tags)
        try output.write(record.line)
    }
    var overall = try metricsRecord(evaluation.overall, type: "overall")
    try overall.add("mean_task_loss", evaluation.meanTaskLoss)
    overall.add("parameters", trained.fingerprint)
    try overall.add(tags: tags)
    try output.write(overall.line)
}

private func metricsRecord(_ metrics: TaskMetrics, type: String) throws -> Record {
    var record = Record(type: type)
    if type == "task" { record.add("task", metrics.task) }
    record.add("n", metrics.count)
    try record.add("loss", metrics.loss)
    if let accuracy = metrics.accuracy { try record.add("accuracy", accuracy) }
    if let rmse = metrics.rmse { try record.add("rmse", rmse) }
    return record
}

private func labelJSON(_ label: Label) -> String {
    switch label {
    case .index(let c): return String(c)
    case .name(let s): return JSONValue.quoted(s)
    case .value(let v): return (try? NumberParsing.format(v)) ?? "null"
    }
}
