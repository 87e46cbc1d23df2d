#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Joins per-example gradients with inverse-HVPs into influence scores
/// (`mtif-influence`): per-example NDJSON lines and/or the task×task matrix
/// R(l→k) = Σ_{z∈D_l} score_k(z).
///
/// Memory: the K inverse-HVP rows (K, P), one chunk of gradient rows
/// (chunk, W) and its scores (chunk, K), the row identities of the gradient
/// file's header, and the (tasks, K) matrix. Nothing grows with n × P, so a
/// gradient stream of any length can come through a pipe. The fused join
/// (--params --data) holds one batch of examples instead, the inverse-HVPs
/// stacked by layer (a second K × P), and the (n, K) scores with their
/// identities until TRAIN is read (its fingerprint goes on the meta line,
/// which comes first).

/// Everything `mtif-influence` needs, with the defaults its usage text states.
package struct InfluenceOptions: Sendable {
    package var inverseHVPPath = ""
    /// Per-example gradients; `-` is standard input.
    package var gradientsPath = "-"
    /// Per-example lines (or, with `byTask`, the matrix); `-` is standard output.
    package var outputPath = "-"
    /// The matrix instead of per-example lines.
    package var byTask = false
    /// The matrix to this file as well as the per-example lines.
    package var matrixPath: String? = nil
    /// Gradient rows per GEMM, or with the fused join examples per batch;
    /// nil: 64 and 1,024.
    package var chunkRows: Int? = nil
    /// The fused join: with both set, the training examples are scored here,
    /// a batch at a time and without forming their gradients, instead of
    /// gradient rows being read from `gradientsPath`.
    package var parametersPath: String? = nil
    package var dataPath: String? = nil

    package init() {}
}

package func runInfluence(_ options: InfluenceOptions, log: Log) throws {
    if options.byTask && options.matrixPath != nil {
        throw MTIFError.usage(
            "--matrix writes the matrix beside the per-example lines; with --by-task the matrix is the output already",
            hint: "give one of them")
    }
    guard options.chunkRows.map({ $0 > 0 }) ?? true else { throw MTIFError.usage("--chunk must be positive") }
    let fused = options.parametersPath != nil || options.dataPath != nil
    let chunkRows = options.chunkRows ?? (fused ? 1024 : 64)
    if fused && (options.parametersPath == nil || options.dataPath == nil) {
        throw MTIFError.usage(
            "the fused join needs both --params and --data",
            hint: "give --params PARAMS.safetensors --data TRAIN.ndjson (the training set of mtif-ihvp), or per-example gradients")
    }
    if !fused && options.gradientsPath == "-" && isatty(STDIN_FILENO) == 1 {
        throw MTIFError.usage(
            "refusing to read binary gradients from a terminal",
            hint: "pipe them in (mtif-grad PARAMS DATA | mtif-influence IHVP), name GRADS.safetensors, or give --params PARAMS --data TRAIN")
    }
    let inverse = try VectorFileReader(path: options.inverseHVPPath)
    guard inverse.header.kind == .inverseHVP else {
        throw MTIFError.input(
            "\(inverse.file): holds \(inverse.header.kind.rawValue), not inverse_hvp",
            hint: "the first argument is the file written by mtif-ihvp, the second the gradients of mtif-grad")
    }
    guard inverse.header.layout == .dense else {
        throw MTIFError.input("\(inverse.file): inverse-HVP rows must be dense (layout is \(inverse.header.layout.rawValue))")
    }
    let gradients = try GradientRows(options)
    let header = gradients.header
    guard header.kind == .gradients else {
        let hint = header.kind == .meanGradients
            ? "mean gradients are the right-hand sides for mtif-ihvp; give per-example gradients (mtif-grad without --mean-by-task)"
            : "the first argument is the file written by mtif-ihvp, the second the gradients of mtif-grad"
        throw MTIFError.input("\(gradients.file): holds \(header.kind.rawValue), not per-example gradients", hint: hint)
    }
    let parametersFile = inverse.header.extra["parameters_file"].map { $0 == "-" ? "the parameters mtif-ihvp read" : $0 }
    try requireSameParameters(
        (gradients.file, header.parametersFingerprint), (inverse.file, inverse.header.parametersFingerprint),
        hint: "re-run mtif-grad with \(parametersFile ?? "the parameter file \(inverse.file) was solved at") (or mtif-ihvp at the gradients' parameters)")
    if let warning = stationarityWarning(
        header.extra["trained"] ?? inverse.header.extra["trained"],
        parameters: header.extra["parameters_file"] ?? inverse.header.extra["parameters_file"] ?? "the parameters") {
        log.warning(warning)
    }
    guard header.architecture == inverse.header.architecture else {
        throw MTIFError.input(
            "\(gradients.file) and \(inverse.file) describe different architectures",
            hint: "recompute both from the same parameter file")
    }
    // The fused join learns the data's fingerprint only once it has read them.
    let checkTraining = { (data: String) throws in
        if let training = recordedTrainingFingerprint(inverse.header.extra["training"]), training != data {
            throw MTIFError.input(
                "\(gradients.file): the gradients are not of the training set the Hessian was built on (data \(data), \(inverse.file) was built on training set \(training))",
                hint: options.dataPath == nil
                    ? "re-run mtif-grad on the training file given to mtif-train and mtif-ihvp"
                    : "give --data the training file given to mtif-train and mtif-ihvp")
        }
    }
    if !fused { try checkTraining(header.dataFingerprint) }
    let schema = header.schema
    // n_l enters every score (1/n_l): both files must say the same of it.
    for (a, b) in zip(schema.tasks, inverse.header.schema.tasks) where a.name != b.name || a.count != b.count {
        throw MTIFError.input(
            "\(gradients.file) and \(inverse.file) disagree on task \(JSONValue.quoted(a.name)): n_k = \(a.count) vs \(b.name == a.name ? "\(b.count)" : "task \(JSONValue.quoted(b.name))")",
            hint: "recompute both from the same, unedited parameter file")
    }
    if schema.tasks.count != inverse.header.schema.tasks.count {
        throw MTIFError.input("\(gradients.file) and \(inverse.file) have different task lists",
                              hint: "recompute both from the same parameter file")
    }
    var taskIndex: [String: Int] = [:]
    for (l, task) in schema.tasks.enumerated() { taskIndex[task.name] = l }
    let shard = try Shard.recorded(in: header.extra, file: gradients.file)
    let targets = inverse.header.rows.map(\.id)
    let k = targets.count
    let scorer = InfluenceScorer(
        inverseHVPs: try inverse.readAllDense(), targets: targets, blocks: try header.blockLayout(),
        trainingCounts: schema.tasks.map(\.count))

    let main = try OutputFile(path: options.outputPath)
    let matrixFile = try options.matrixPath.map { try OutputFile(path: $0) }
    let writeMeta = shard == nil || shard!.index == 0
    let writeMetaLines = { (data: String) throws in
        let line = metaRecord(parameters: header.parametersFingerprint, targets: targets, data: data).line
        try main.write(line)
        try matrixFile?.write(line)
    }
    if writeMeta && !fused { try writeMetaLines(header.dataFingerprint) }
    let perExample = !options.byTask
    let wantMatrix = options.byTask || matrixFile != nil
    let writeLine = { (identity: RowIdentity, row: UnsafeBufferPointer<Double>) throws in
        var record = Record(type: "score")
        record.add("id", identity.id)
        record.add("task", identity.task)
        try record.add("scores", keys: targets, values: row)
        try main.write(record.line)
    }
    // A gradient file's header names the data, so its lines stream; the fused
    // join reads TRAIN once and knows the fingerprint (the meta line's) only
    // at the end, so it holds the (n, K) scores until then.
    var held: [Double] = []
    var heldRows: [RowIdentity] = []
    var relatedness = [Double](repeating: 0, count: schema.tasks.count * k)  // (tasks, K) R(l→k) over these rows
    var summed = [Int](repeating: 0, count: schema.tasks.count)
    var scores: [Double] = []
    var done = 0
    let clock = Stopwatch()
    let dots = gradients.fusedModel.map { scorer.gradientDots(model: $0.model, parameters: $0.parameters) }
    let dataFingerprint = try gradients.forEachChunk(maxRows: chunkRows) { chunk, r, identities in
        let rowTasks = try identities.map { row in
            guard let l = taskIndex[row.task] else {
                throw MTIFError.input("\(gradients.file): row \"\(row.id)\" names task \"\(row.task)\" that the model does not have")
            }
            guard schema.tasks[l].count > 0 else {
                throw MTIFError.input(
                    "\(gradients.file): task \"\(row.task)\" has no training examples in the model (n_l = 0), so its examples have no weight to remove")
            }
            return l
        }
        switch chunk {
        case .gradients(let rows): scorer.scores(rows, count: r, tasks: rowTasks, layout: header.layout, into: &scores)
        case .examples(let batch): scorer.scores(of: batch, dots: dots!, into: &scores)
        }
        if perExample && fused {
            held += scores[0 ..< r * k]
            heldRows += identities
        }
        try scores.withUnsafeBufferPointer { all in
            for i in 0 ..< r {
                let row = UnsafeBufferPointer(rebasing: all[i * k ..< (i + 1) * k])
                if perExample && !fused { try writeLine(identities[identities.startIndex + i], row) }
                if wantMatrix {
                    let l = rowTasks[i]
                    summed[l] += 1
                    for t in 0 ..< k { relatedness[l * k + t] += row[t] }
                }
            }
        }
        done += r
    }
    if fused {
        try checkTraining(dataFingerprint)
        try writeMetaLines(dataFingerprint)
        try held.withUnsafeBufferPointer { all in
            for (i, identity) in heldRows.enumerated() {
                try writeLine(identity, UnsafeBufferPointer(rebasing: all[i * k ..< (i + 1) * k]))
            }
        }
    }
    if wantMatrix {
        let destination = matrixFile ?? main
        for l in schema.tasks.indices where summed[l] > 0 {
            for t in 0 ..< k {
                var record = Record(type: "relatedness")
                record.add("source", schema.tasks[l].name)
                record.add("target", targets[t])
                try record.add("value", relatedness[l * k + t])
                record.add("n", summed[l])
                try destination.write(record.line)
            }
        }
    }
    try matrixFile?.commit()
    try main.commit()
    log.info("scores of \(done) examples on \(k) targets in \(formatSeconds(clock.seconds))")
}

/// Where `mtif-influence` gets its per-example gradients: rows of a vector
/// file (or a pipe) from mtif-grad, or, for the fused join, the training
/// examples themselves, a batch at a time, whose gradients are never formed
/// (its header then has no rows and no data fingerprint: those come as the
/// batches do, and the fingerprint at the end).
private struct GradientRows {
    enum Chunk {
        /// (r, W) row-major gradient rows in the header's layout.
        case gradients(UnsafeBufferPointer<Double>)
        /// The next r examples, for `InfluenceScorer.scores(of:dots:into:)`.
        case examples(TaskBatch)
    }

    let header: VectorFileHeader
    /// A description for messages: the file, or "the gradients of DATA at PARAMS".
    let file: String
    private let reader: VectorFileReader?
    private let fused: (trained: ParameterFile, model: any MultitaskModel, dataPath: String)?

    init(_ options: InfluenceOptions) throws {
        if let parametersPath = options.parametersPath, let dataPath = options.dataPath {
            let trained = try ParameterFile.read(path: parametersPath)
            var extra = ["tool": "mtif-influence", "parameters_file": parametersPath]
            if let training = trained.metadata["training"] { extra["trained"] = training }
            let model = try makeModel(trained.architecture)
            fused = (trained, model, dataPath)
            reader = nil
            header = VectorFileHeader(kind: .gradients, layout: .taskBlock, rows: [], at: trained, dataFingerprint: "", extra: extra)
            file = "the gradients of \(displayName(dataPath)) at \(displayName(parametersPath))"
        } else {
            let reader = try VectorFileReader(path: options.gradientsPath)
            self.reader = reader
            fused = nil
            header = reader.header
            file = reader.file
        }
    }

    /// The fused join's model and parameters.
    var fusedModel: (model: any MultitaskModel, parameters: [Double])? {
        fused.map { ($0.model, $0.trained.parameters) }
    }

    /// Calls `body` with chunks of at most `maxRows` rows, r and their
    /// identities, in order; returns the data's fingerprint.
    func forEachChunk(maxRows: Int, _ body: (Chunk, Int, ArraySlice<RowIdentity>) throws -> Void) throws -> String {
        if let fused {
            var examples = try ExampleReader(path: fused.dataPath)
            let name = displayName(fused.dataPath)
            var fingerprint = Fingerprint()
            while true {
                let chunk = try examples.nextBatch(maxExamples: maxRows)
                if chunk.isEmpty { break }
                for e in chunk { fingerprint.add(e) }
                let identities = chunk.map { RowIdentity(id: $0.id, task: $0.task) }
                let batch = try TaskBatch(chunk, schema: fused.trained.schema, file: name)
                try body(.examples(batch), chunk.count, identities[...])
            }
            return fingerprint.hex
        }
        guard let reader else { return "" }
        var chunk: [Double] = []
        var done = 0
        while true {
            let r = try reader.readRows(maxRows: maxRows, into: &chunk)
            if r == 0 { break }
            try chunk.withUnsafeBufferPointer { try body(.gradients($0), r, header.rows[done ..< done + r]) }
            done += r
        }
        try reader.finish()
        return header.dataFingerprint
    }
}

/// The first line of every score stream: what the numbers mean and what they were computed at.
/// `data` is the fingerprint of the training examples scored, which
/// mtif-select checks against the TRAIN it is given.
package func metaRecord(parameters: String, targets: [String], data: String? = nil) -> Record {
    var record = Record(type: "meta")
    record.add("sign", InfluenceScorer.signConvention)
    record.add("score", InfluenceScorer.formula)
    record.add("parameters", parameters)
    if let data { record.add("data", data) }
    record.add("targets", json: "[" + targets.map(JSONValue.quoted).joined(separator: ",") + "]")
    return record
}

/// The `training` metadata of an inverse-HVP file: a fingerprint, as plain
/// text, a JSON string, or an object with a "train" key.
private func recordedTrainingFingerprint(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    if let value = try? JSONValue.parse(text) {
        if let s = value.string { return s }
        if let s = value["train"]?.string { return s }
    }
    return text
}
