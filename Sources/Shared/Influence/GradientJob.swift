/// Per-example and per-task mean gradients at trained parameters, streamed into
/// vector files (`mtif-grad`).
///
/// Dimensions: n examples in DATA, B the batch size, P parameters, W the row
/// width (P dense, S + max_k |θ_k| in task blocks), K tasks.
///
/// Memory: one batch of examples (B × D) when DATA is a file (it is read twice;
/// from standard input all n × D are held), one batch of full gradients
/// (B, P) and its compacted rows (B, W), and the row identities ([id, task],
/// n of them: the vector file's header lists them). Nothing grows with n × P
/// or n × D: rows go to the writer as each batch is done.

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
    // One batch of rows (B, W ≤ P) and its activations; B never exceeds n, but
    // n is unknown until DATA is read, so a huge --batch-size is judged on B.
    let widths = Double(trained.architecture.hidden.reduce(0, +) + trained.architecture.maxOutputs + trained.architecture.inputs)
    let batchBytes = { (b: Int) in Double(b) * (Double(model.layout.count) + 4 * widths) * 8 }
    let fileName = displayName(options.dataPath)
    var extra: [String: String] = [
        "tool": "mtif-grad",
        "arguments": try JSONText.encode(options.arguments),
        "batch_size": String(options.batchSize),
        "parameters_file": options.parametersPath,
    ]
    if let training = trained.metadata["training"] { extra["trained"] = training }
    let clock = Stopwatch()
    if options.meanByTask {
        let examples = try ExampleReader.readAll(path: options.dataPath)
        try MemoryBudget.check(
            batchBytes(min(options.batchSize, examples.count)) + Double(model.layout.count) * 8 * Double(trained.schema.tasks.count + 2),
            for: "--batch-size \(options.batchSize) on \(examples.count) examples with P = \(model.layout.count) (one batch of gradients and K mean rows)",
            change: "lower --batch-size")
        let means = try meanGradientsByTask(
            model: model, parameters: trained.parameters, examples: examples[...], schema: trained.schema,
            file: fileName, batchSize: options.batchSize)
        let rows = means.tasks.map { k in RowIdentity(id: trained.schema.tasks[k].name, task: trained.schema.tasks[k].name) }
        let header = VectorFileHeader(
            kind: .meanGradients, layout: .dense, rows: rows, at: trained, dataFingerprint: Fingerprint.of(examples),
            extra: extra)
        let writer = try VectorFileWriter(path: options.outputPath, header: header)
        try writer.append(means.rows)
        try writer.commit()
        log.info("mean gradients of \(rows.count) tasks over \(examples.count) examples, P = \(model.layout.count), in \(formatSeconds(clock.seconds))")
        return
    }
    // Per-example rows. A file is read twice (identities and checks, then
    // the rows batch by batch), so memory holds one batch of examples, not n;
    // standard input can be read once only, so its examples are held.
    let source = try ExampleSource(path: options.dataPath, schema: trained.schema, batchSize: options.batchSize)
    let n = source.count
    var range = 0 ..< n
    if let shard = options.shard {
        range = shard.range(of: n)
        extra["shard"] = try shard.metadata(examples: n)
    }
    try MemoryBudget.check(
        batchBytes(min(options.batchSize, max(range.count, 1))),
        for: "--batch-size \(options.batchSize) with P = \(model.layout.count) (one batch of \(min(options.batchSize, max(range.count, 1))) gradient rows and activations)",
        change: "lower --batch-size")
    let layout: RowLayout = options.dense ? .dense : .taskBlock
    let header = VectorFileHeader(
        kind: .gradients, layout: layout, rows: Array(source.identities[range]), at: trained,
        dataFingerprint: source.fingerprint, extra: extra)
    let writer = try VectorFileWriter(path: options.outputPath, header: header)
    try source.batches(in: range) { part in
        try perExampleGradientRows(
            model: model, parameters: trained.parameters, examples: part, schema: trained.schema, file: fileName,
            layout: layout, batchSize: options.batchSize
        ) { rows, _ in try writer.append(rows) }
    }
    try writer.commit()
    log.info(
        "gradients of \(range.count) examples\(options.shard.map { " (shard \($0.index)/\($0.count) of \(n))" } ?? ""), P = \(model.layout.count), W = \(writer.width), in \(formatSeconds(clock.seconds))")
}

/// The examples of DATA for per-example gradients: their identities and
/// fingerprint first, every example checked against the model (an unknown
/// task must not leave a half-written stream on a pipe), then the examples of
/// a range in batches. A regular file is read twice and never held; standard
/// input (or a pipe) is held in memory.
private struct ExampleSource {
    let path: String
    let file: String
    let batchSize: Int
    /// (n) [id, task] of every example, in input order.
    private(set) var identities: [RowIdentity] = []
    private(set) var fingerprint = ""
    /// (n) the fingerprint of each example as first read: the second pass
    /// must see the same examples, or the header's data fingerprint would
    /// describe other rows than the ones written.
    private var digests: [UInt64] = []
    /// Every example, when DATA cannot be read twice.
    private var held: [Example]? = nil

    var count: Int { identities.count }

    init(path: String, schema: TaskSchema, batchSize: Int) throws {
        self.path = path
        file = displayName(path)
        self.batchSize = batchSize
        var reader = try ExampleReader(path: path)
        let rereadable = path != "-" && reader.isRegularFile
        var f = Fingerprint()
        var pending: [Example] = []
        var all: [Example] = []
        while true {
            let examples = try reader.nextBatch(maxExamples: 8192)
            if examples.isEmpty { break }
            for e in examples {
                f.add(e)
                identities.append(RowIdentity(id: e.id, task: e.task))
                if rereadable { digests.append(ExampleSource.digest(e)) }
                pending.append(e)
                if pending.count == batchSize {
                    _ = try TaskBatch(pending, schema: schema, file: file)
                    if !rereadable { all += pending }
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        _ = try TaskBatch(pending, schema: schema, file: file)
        if !rereadable { all += pending; held = all }
        fingerprint = f.hex
    }

    static func digest(_ e: Example) -> UInt64 {
        var f = Fingerprint()
        f.add(e)
        return f.value
    }

    /// Calls `body` with the examples of `range`, at most `batchSize` at a
    /// time, in input order. A file that changed since the first pass is an
    /// I/O error (the output is then never committed).
    func batches(in range: Range<Int>, _ body: (ArraySlice<Example>) throws -> Void) throws {
        if let held {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: batchSize) {
                try body(held[start ..< min(start + batchSize, range.upperBound)])
            }
            return
        }
        var reader = try ExampleReader(path: path)
        var index = 0
        var pending: [Example] = []
        pending.reserveCapacity(min(batchSize, range.count))
        while index < range.upperBound {
            let examples = try reader.nextBatch(maxExamples: min(8192, range.upperBound - index))
            if examples.isEmpty { break }
            for e in examples {
                defer { index += 1 }
                guard index >= range.lowerBound else { continue }
                guard e.id == identities[index].id, e.task == identities[index].task,
                      ExampleSource.digest(e) == digests[index] else {
                    throw MTIFError.io(
                        "\(file) changed while it was being read (line \(e.line) is no longer example \(JSONValue.quoted(identities[index].id)) as first read)",
                        hint: "do not modify DATA while mtif-grad runs; re-run it")
                }
                pending.append(e)
                if pending.count == batchSize {
                    try body(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        guard index == range.upperBound else {
            throw MTIFError.io("\(file) changed while it was being read (it now ends after \(index) examples)",
                hint: "do not modify DATA while mtif-grad runs; re-run it")
        }
        if !pending.isEmpty { try body(pending[...]) }
    }
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
    let columns = layout == .dense
        ? GradientColumns.dense(model.layout)
        : TaskBlockLayout(architecture: model.architecture, layout: model.layout).columns
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
