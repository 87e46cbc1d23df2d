/// Per-example and per-task mean gradients at trained parameters, streamed into
/// vector files (`mtif-grad`).
///
/// Dimensions: n examples in DATA, B the batch size, P parameters, W the row
/// width (P dense, S + max_k |θ_k| in task blocks), K tasks.
///
/// Memory: the examples themselves (n × D, as read), one batch of full
/// gradients (B, P) and its compacted rows (B, W). Nothing grows with n × P:
/// rows go to the writer as each batch is done.

/// Everything `mtif-grad` needs, with the defaults its usage text states.
package struct GradientOptions: Sendable {
    package var parametersPath = ""
    package var dataPath = "-"
    package var outputPath = "-"
    /// One dense row per task present in DATA: ∇V_k, the mean of its examples' gradients.
    package var meanByTask = false
    /// Full parameter layout instead of task blocks.
    package var dense = false
    package var batchSize = 128
    package var shard: Shard? = nil
    /// The command line without the output path, recorded in the metadata.
    package var arguments: [String] = []

    package init() {}
}

/// Reads the parameters and DATA, computes the rows and writes the vector file.
package func runGradients(_ options: GradientOptions, log: Log) throws {
    guard options.batchSize > 0 else { throw MTIFError.usage("--batch-size must be positive") }
    if options.meanByTask && options.shard != nil {
        throw MTIFError.usage(
            "--shard splits per-example gradients; --mean-by-task needs every example of a task",
            hint: "drop --shard (mean gradients are one row per task)")
    }
    let trained = try ParameterFile.read(path: options.parametersPath)
    let model = try makeModel(trained.architecture)
    let fileName = displayName(options.dataPath)
    let examples = try ExampleReader.readAll(path: options.dataPath)
    let dataFingerprint = Fingerprint.of(examples)
    var extra: [String: String] = [
        "tool": "mtif-grad",
        "arguments": try JSONText.encode(options.arguments),
        "batch_size": String(options.batchSize),
    ]
    let clock = Stopwatch()
    if options.meanByTask {
        let means = try meanGradientsByTask(
            model: model, parameters: trained.parameters, examples: examples[...], schema: trained.schema,
            file: fileName, batchSize: options.batchSize)
        let rows = means.tasks.map { k in RowIdentity(id: trained.schema.tasks[k].name, task: trained.schema.tasks[k].name) }
        let header = VectorFileHeader(
            kind: .meanGradients, layout: .dense, rows: rows, at: trained, dataFingerprint: dataFingerprint, extra: extra)
        let writer = try VectorFileWriter(path: options.outputPath, header: header)
        try writer.append(means.rows)
        try writer.commit()
        log.info("mean gradients of \(rows.count) tasks over \(examples.count) examples, P = \(model.layout.count), in \(formatSeconds(clock.seconds))")
        return
    }
    var range = 0 ..< examples.count
    if let shard = options.shard {
        range = shard.range(of: examples.count)
        extra["shard"] = try shard.metadata(examples: examples.count)
    }
    let part = examples[range]
    // Check every example encodes before the header goes out: an unknown task
    // must not leave a half-written stream on a pipe.
    for start in stride(from: part.startIndex, to: part.endIndex, by: options.batchSize) {
        _ = try TaskBatch(Array(part[start ..< min(start + options.batchSize, part.endIndex)]), schema: trained.schema, file: fileName)
    }
    let layout: RowLayout = options.dense ? .dense : .taskBlock
    let header = VectorFileHeader(
        kind: .gradients, layout: layout, rows: part.map { RowIdentity(id: $0.id, task: $0.task) }, at: trained,
        dataFingerprint: dataFingerprint, extra: extra)
    let writer = try VectorFileWriter(path: options.outputPath, header: header)
    try perExampleGradientRows(
        model: model, parameters: trained.parameters, examples: part, schema: trained.schema, file: fileName,
        layout: layout, batchSize: options.batchSize
    ) { rows, _ in try writer.append(rows) }
    try writer.commit()
    log.info(
        "gradients of \(part.count) examples\(options.shard.map { " (shard \($0.index)/\($0.count) of \(examples.count))" } ?? ""), P = \(model.layout.count), W = \(writer.width), in \(formatSeconds(clock.seconds))")
}

/// Computes ∇ℓ(w; z) for every example of `examples`, in order, `batchSize`
/// examples at a time: one TaskBatch and one batched `perExampleGradients` per
/// batch, rows put back in input order through `sourceIndex`, and, for the
/// task-block layout, compacted to (γ, θ_task). Calls `body` with each batch's
/// rows ((r, W) row-major) and r.
package func perExampleGradientRows(
    model: any MultitaskModel, parameters w: [Double], examples: ArraySlice<Example>, schema: TaskSchema,
    file: String, layout: RowLayout, batchSize: Int,
    _ body: (UnsafeBufferPointer<Double>, Int) throws -> Void
) throws {
    precondition(batchSize > 0)
    let blocks = TaskBlockLayout(architecture: model.architecture, layout: model.layout)
    let columns = layout == .dense
        ? GradientColumns.dense(model.layout)
        : GradientColumns.taskBlocks(sharedCount: blocks.sharedCount, taskRanges: blocks.taskRanges, width: blocks.width)
    let width = columns.width
    var rows = [Double](repeating: 0, count: min(batchSize, max(examples.count, 1)) * width)  // (B, W) input order
    for start in stride(from: examples.startIndex, to: examples.endIndex, by: batchSize) {
        let chunk = Array(examples[start ..< min(start + batchSize, examples.endIndex)])
        let batch = try TaskBatch(chunk, schema: schema, file: file)
        let r = batch.count
        rows.withUnsafeMutableBufferPointer { out in
            model.writePerExampleGradients(w, batch, columns: columns, destination: batch.sourceIndex, into: out.baseAddress!)
        }
        try rows.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0 ..< r * width]), r) }
    }
}

/// ∇V_k = (1/m_k) Σ_{z of task k} ∇ℓ(w; z) for each task k present in
/// `examples` (m_k its examples there), in model task order: rows (tasks, P).
/// Each task's examples go through `objective(regularized: false)` in batches
/// of `batchSize` with weights 1/m_k, summed.
package func meanGradientsByTask(
    model: any MultitaskModel, parameters w: [Double], examples: ArraySlice<Example>, schema: TaskSchema,
    file: String, batchSize: Int
) throws -> (tasks: [Int], rows: [Double]) {
    precondition(batchSize > 0)
    let p = model.layout.count
    var positions = [[Int]](repeating: [], count: schema.tasks.count)
    var index: [String: Int] = [:]
    for (k, task) in schema.tasks.enumerated() { index[task.name] = k }
    for i in examples.indices {
        guard let k = index[examples[i].task] else {
            // TaskBatch words the error; let it.
            _ = try TaskBatch([examples[i]], schema: schema, file: file)
            continue
        }
        positions[k].append(i)
    }
    var tasks: [Int] = []
    var rows: [Double] = []
    var gradient = [Double](repeating: 0, count: p)
    for k in schema.tasks.indices where !positions[k].isEmpty {
        let members = positions[k]
        let weight = 1 / Double(members.count)
        var mean = [Double](repeating: 0, count: p)
        for start in stride(from: 0, to: members.count, by: batchSize) {
            let chunk = members[start ..< min(start + batchSize, members.count)].map { examples[$0] }
            var batch = try TaskBatch(chunk, schema: schema, file: file)
            batch.weights = [Double](repeating: weight, count: batch.count)
            _ = model.objective(w, batch, regularized: false, gradient: &gradient)
            for j in 0 ..< p { mean[j] += gradient[j] }
        }
        tasks.append(k)
        rows += mean
    }
    return (tasks, rows)
}
