/// Everything `mtif-relate --method …` needs, with the defaults its usage text states.
package struct RelateOptions: Sendable {
    package var method: RelatednessMethod? = nil
    package var parametersPath = ""
    package var trainPath = ""
    package var validationPath = ""
    package var outputPath = "-"
    /// mtif: the matrix of mtif-influence --matrix (or --by-task).
    package var matrixPath: String? = nil
    /// mtif: the inverse-HVP file the matrix came from, for the solver's cost.
    package var inverseHVPPath: String? = nil
    /// loto, tag: the training settings of the retrainings (nil tolerance: the one the parameters record).
    package var tolerance: Double? = nil
    package var maxIterations = TrainingPath().lbfgs.maxIterations
    package var lookahead = LookaheadAffinity()
    /// Wall seconds of the run that made the input (mtif, vmtl), for the cost record.
    package var seconds: Double? = nil

    package init() {}
}

/// Computes (or reads) one method's task matrix for the model in
/// `parametersPath` and writes its records (see `RelatednessMatrix`).
package func runRelate(_ options: RelateOptions, log: Log) throws {
    guard let method = options.method else {
        throw MTIFError.usage("--method is required", hint: "one of \(RelatednessMethod.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if method != .mtif, options.matrixPath != nil || options.inverseHVPPath != nil {
        throw MTIFError.usage("--matrix and --ihvp apply to --method mtif only")
    }
    if let seconds = options.seconds, !(seconds >= 0 && seconds.isFinite) {
        throw MTIFError.usage("--seconds must be a number of seconds ≥ 0")
    }
    let stdinUsers = [options.parametersPath, options.trainPath, options.validationPath].filter { $0 == "-" }.count
    guard stdinUsers <= 1 else { throw MTIFError.usage("only one input can be standard input ('-')") }
    let parametersName = displayName(options.parametersPath)
    let trained = try ParameterFile.read(path: options.parametersPath)
    let model = try makeModel(trained.architecture)
    let tasks = trained.architecture.tasks
    // TRAIN must be the training set of PARAMS (every method is about it).
    let trainName = displayName(options.trainPath)
    let taskSet = Set(tasks)
    let examples = try ExampleReader.readAll(path: options.trainPath).filter { taskSet.contains($0.task) }
    if let recorded = recordedTrainFingerprint(trained), recorded != Fingerprint.of(examples) {
        throw MTIFError.input(
            "\(trainName) is not the training set of \(parametersName): its examples of the model's tasks have fingerprint \(Fingerprint.of(examples)), the parameters were trained on \(recorded)",
            hint: "give the training file (after the same --exclude) that mtif-train was given")
    }
    let validation = try ExampleReader.readAll(path: options.validationPath)
    let validationName = displayName(options.validationPath)
    if method == .loto || method == .cosine || method == .tag,
       let warning = stationarityWarning(trained.metadata["training"], parameters: parametersName) {
        log.warning(warning)
    }

    let clock = Stopwatch()
    var raw: [[Double?]]
    var cost: RelatednessCost
    var settings: [(key: String, json: String)] = []
    switch method {
    case .mtif:
        (raw, cost) = try influenceMatrix(options, trained: trained, parametersName: parametersName)
    case .loto:
        var training = TrainOptions(matching: trained)
        training.path.tolerance = options.tolerance ?? recordedTolerance(trained) ?? training.path.tolerance
        training.path.lbfgs.maxIterations = options.maxIterations
        let loto = LeaveOneTaskOut(training: training)
        let result = try loto.run(
            full: trained, parametersPath: options.parametersPath, trainPath: options.trainPath,
            validation: validation, validationName: validationName, log: log)
        (raw, cost) = (result.raw, result.cost)
        let worst = result.reports.map(\.gradientNorm).max() ?? 0
        settings = [("tol", try NumberParsing.format(training.path.tolerance)), ("max_iter", String(training.path.lbfgs.maxIterations)),
                    ("max_gradient_norm", try NumberParsing.format(worst)),
                    ("converged", String(result.reports.allSatisfy(\.converged)))]
    case .cosine, .tag:
        let batch = try TaskBatch(examples, schema: trained.schema, file: trainName)
        let objectives = TaskObjectives(model: model, batch: batch)
        if method == .cosine {
            (raw, cost) = gradientCosineMatrix(objectives, at: trained.parameters)
        } else {
            // The L-BFGS stage of mtif-train's path: to the hand-over when the
            // training was polished by Newton (then w* ends the trajectory).
            let path = TrainingPath()
            let tolerance = options.tolerance ?? recordedTolerance(trained) ?? path.tolerance
            let polished = recordedOptimizer(trained)?.contains("newton") ?? false
            var lbfgs = path.lbfgs
            lbfgs.tolerance = polished ? max(path.handover, tolerance) : tolerance
            lbfgs.maxIterations = options.maxIterations
            let seed = UInt64(trained.metadata["seed"] ?? "0") ?? 0
            if let inputs = trained.metadata["inputs"], (try? JSONValue.parse(inputs))?["init"] != nil {
                log.warning("\(parametersName) was warm-started (--init); the TAG re-run starts from the seed-\(seed) initialisation instead")
            }
            let run = try options.lookahead.run(
                objectives, from: model.initialParameters(seed: seed), lbfgs: lbfgs,
                final: polished ? trained.parameters : nil, log: log)
            (raw, cost) = (run.raw, run.cost)
            settings = [("lookahead_rate", try NumberParsing.format(options.lookahead.rate)), ("every", String(options.lookahead.every)),
                        ("steps_logged", String(run.steps)), ("seed", String(seed)),
                        ("rerun_gradient_norm", try NumberParsing.format(run.result.gradientNorm)),
                        ("rerun_polished", String(polished)),
                        ("rerun_reaches_parameters", String(polished || Fingerprint.of(run.result.parameters) == trained.fingerprint))]
        }
    case .vmtl:
        (raw, cost) = try mixtureWeightMatrix(trained, name: parametersName)
    }
    if method != .mtif && method != .vmtl { cost.seconds = clock.seconds }
    if let seconds = options.seconds { cost.seconds = seconds }
    var matrix = RelatednessMatrix(
        method: method, tasks: tasks, raw: raw, counts: trained.schema.tasks.map(\.count), cost: cost,
        parameters: trained.fingerprint)
    matrix.settings = settings
    let output = try OutputFile(path: options.outputPath)
    for line in try matrix.lines() { try output.write(line) }
    try output.commit()
    log.info("\(method.rawValue): \(tasks.count)×\(tasks.count) matrix\(cost.seconds.map { " in \(formatSeconds($0))" } ?? "")")
}

extension TrainOptions {
    /// The objective settings of a trained model (architecture, λ, c, loss),
    /// with mtif-train's default optimizer; paths and tasks left to the caller.
    package init(matching trained: ParameterFile) {
        self.init()
        let a = trained.architecture
        sharing = a.sharing
        hidden = a.hidden
        activation = a.activation
        loss = a.loss
        lambda = a.lambda
        coupling = a.coupling
        seed = UInt64(trained.metadata["seed"] ?? "0") ?? 0
        outputPath = "-"
    }
}

/// `inputs.train`: the fingerprint of the examples mtif-train fitted.
private func recordedTrainFingerprint(_ file: ParameterFile) -> String? {
    guard let text = file.metadata["inputs"], let inputs = try? JSONValue.parse(text) else { return nil }
    return inputs["train"]?.string
}

/// The optimizers the parameters were trained by ("lbfgs+newton", …).
private func recordedOptimizer(_ file: ParameterFile) -> String? {
    let report: TrainingReport? = try? JSONText.decode(file.metadata["training"], field: "training", file: "")
    return report?.optimizer
}

/// The relative gradient tolerance the parameters were trained to.
private func recordedTolerance(_ file: ParameterFile) -> Double? {
    let report: TrainingReport? = try? JSONText.decode(file.metadata["training"], field: "training", file: "")
    return report?.tolerance
}

/// mtif: R(l→k) as mtif-influence wrote it, in the model's task order; the
/// cost is the inverse-HVP solver's (HVPs and wall time) when --ihvp is given.
private func influenceMatrix(
    _ options: RelateOptions, trained: ParameterFile, parametersName: String
) throws -> (raw: [[Double?]], cost: RelatednessCost) {
    guard let path = options.matrixPath else {
        throw MTIFError.usage(
            "--method mtif reads the task matrix of mtif-influence: give --matrix FILE",
            hint: "mtif-grad PARAMS TRAIN | mtif-influence --matrix matrix.ndjson IHVP > scores.ndjson")
    }
    let reader = try RecordReader(path: path)
    if let meta = try reader.next(type: "meta"), let recorded = meta["parameters"]?.string, recorded != trained.fingerprint {
        throw MTIFError.input(
            "\(reader.file): the matrix was computed at parameters \(recorded), not at \(parametersName) (\(trained.fingerprint))",
            file: reader.file, line: reader.lineNumber, field: "parameters",
            hint: "re-run mtif-grad | mtif-influence at \(parametersName)")
    }
    let matrix = try TaskMatrix.read(path: path)
    let tasks = trained.architecture.tasks
    var raw = [[Double?]](repeating: [Double?](repeating: nil, count: tasks.count), count: tasks.count)
    for (i, source) in matrix.tasks.enumerated() {
        guard let l = tasks.firstIndex(of: source) else {
            throw MTIFError.input("\(reader.file): task \(JSONValue.quoted(source)) is not a task of \(parametersName)")
        }
        for (j, target) in matrix.tasks.enumerated() {
            guard let value = matrix.values[i][j] else { continue }
            guard let k = tasks.firstIndex(of: target) else {
                throw MTIFError.input("\(reader.file): task \(JSONValue.quoted(target)) is not a task of \(parametersName)")
            }
            raw[l][k] = value
        }
    }
    var cost = RelatednessCost()
    if let ihvpPath = options.inverseHVPPath {
        let header = try VectorFileReader(path: ihvpPath).header
        try requireSameParameters(
            (file: displayName(ihvpPath), fingerprint: header.parametersFingerprint),
            (file: parametersName, fingerprint: trained.fingerprint),
            hint: "give the inverse-HVP file the matrix was computed from")
        let report: SolverReport = try JSONText.decode(header.extra["solver"], field: "solver", file: displayName(ihvpPath))
        cost.hessianVectorProducts = report.hessianVectorProducts
        cost.iterations = report.iterations?.reduce(0, +) ?? 0
        cost.seconds = report.wallSeconds
        cost.note = "the \(report.name) solver's wall time and HVPs (mtif-ihvp); the gradient passes of mtif-grad come on top"
    } else {
        cost.note = "read from \(displayName(path)); give --ihvp for the solver's cost"
    }
    return (raw, cost)
}
