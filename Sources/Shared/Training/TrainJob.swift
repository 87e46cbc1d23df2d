/// Everything `mtif-train` needs, with the defaults its usage text states.
package struct TrainOptions: Sendable {
    package var trainPath = "-"
    package var outputPath = "-"
    package var sharing = Sharing.hard
    /// nil: 64 for hard sharing, linear (none) for soft sharing.
    package var hidden: [Int]? = nil
    package var activation = Activation.tanh
    package var loss: LossKind? = nil
    package var lambda = 1e-2
    package var coupling = 0.1
    package var path = TrainingPath()
    package var seed: UInt64 = 0
    package var initPath: String? = nil
    /// A model trained elsewhere (safetensors under our tensor names): measured, not fitted.
    package var importPath: String? = nil
    package var excludePath: String? = nil
    /// How the examples that stay are weighted when --exclude leaves some out.
    package var excludeWeights = ExcludeWeights.renormalized
    package var tasks: [String]? = nil
    /// VMTL (`--sharing vmtl`): hard sharing with variational heads; nil = plain training.
    package var variational: VariationalOptions? = nil
    /// The command line without the output path, recorded in the metadata.
    package var arguments: [String] = []

    package init() {}
}

/// Reads the training set, builds the model, fits it and writes the parameter file.
package func runTraining(_ options: TrainOptions, log: Log) throws {
    try trainParameters(options, log: log).write(to: options.outputPath)
}

/// Reads the training set, builds the model and fits it: what `mtif-train`
/// writes (leave-one-task-out retraining calls it in-process).
package func trainParameters(_ options: TrainOptions, log: Log) throws -> ParameterFile {
    let fileName = displayName(options.trainPath)
    var examples = try ExampleReader.readAll(path: options.trainPath)
    if let tasks = options.tasks {
        examples = try Shared.examples(examples, ofTasks: tasks, in: fileName)
    }
    // Classes come from the whole training file, so that leaving examples out
    // never changes a head's shape (warm starts and leave-one-out rely on it).
    var schema = try TaskSchema.derive(from: examples, file: fileName, loss: options.loss)
    // A warm start keeps the model's classes: a selection that removed every
    // example of a class from some task must not change that task's head.
    let initial = try options.initPath.map { try ParameterFile.read(path: $0) }
    if let initial {
        for kept in schema.adoptClasses(of: initial.schema) {
            log.info("warm start: task \"\(kept.task)\" keeps the model's \(kept.model) classes (its training labels alone give \(kept.training))")
        }
    }
    log.info("labels\(options.loss == nil ? "" : " (--loss \(schema.loss.rawValue))"): \(schema.labelSummary)")
    let scale = ScaleCheck(examples, regression: schema.loss == .squaredError)
    if let scale {
        log.info("scale: \(scale.summary), far from unit scale; training converges slowly on badly scaled data (\(scale.remedy))")
    }
    var excludedIds: [String] = []
    var originalCounts: [String: Int] = [:]
    for e in examples { originalCounts[e.task, default: 0] += 1 }
    if let excludePath = options.excludePath {
        let excluded = try readIdList(excludePath, known: Set(examples.map(\.id)), dataName: fileName)
        excludedIds = examples.filter { excluded.contains($0.id) }.map(\.id)
        examples = examples.filter { !excluded.contains($0.id) }
    }
    var counts: [String: Int] = [:]
    for e in examples { counts[e.task, default: 0] += 1 }
    for k in schema.tasks.indices {
        schema.tasks[k].count = counts[schema.tasks[k].name] ?? 0
        if schema.tasks[k].count == 0 {
            throw MTIFError.usage(
                "--exclude leaves task \"\(schema.tasks[k].name)\" without examples",
                hint: "use --tasks to train without a task")
        }
    }
    // The fingerprint of what was actually trained on: tools that need the
    // training set again (the Hessian) check they were given the same one.
    let trainFingerprint = Fingerprint.of(examples)
    var batch = try TaskBatch(examples, schema: schema, file: fileName)
    let weights = options.excludePath == nil ? nil : ExcludeWeightsRecord(
        mode: options.excludeWeights, counts: options.excludeWeights == .original ? originalCounts : counts)
    if let weights, weights.mode == .original { weights.apply(to: &batch, schema: schema) }
    let architecture = Architecture(
        sharing: options.sharing, inputs: schema.features,
        hidden: options.hidden ?? (options.sharing == .hard ? [64] : []),
        activation: options.activation, loss: schema.loss, tasks: schema.taskNames,
        outputs: schema.tasks.map(\.outputs), lambda: options.lambda, coupling: options.coupling)
    // L-BFGS keeps 2m + about a dozen P-vectors (history, iterate, gradient,
    // line search, Newton's CG), each forward/backward chunk a few activations.
    let model = try makeModel(architecture)  // validates, allocates nothing of size P
    let parameterCount = Double(model.layout.count)
    let vectors = Double(2 * options.path.lbfgs.memory + 12)
    try MemoryBudget.check(
        parameterCount * 8 * vectors,
        for: "training \(Int(parameterCount)) parameters (\(Int(vectors)) vectors of P doubles)",
        change: "use smaller --hidden widths (or fewer features or tasks)")
    var start = model.initialParameters(seed: options.seed)
    var inputs: [String: String] = ["train": trainFingerprint, "train_file": options.trainPath]
    if let initPath = options.initPath, let initial {
        let (copied, unmatched) = try warmStart(&start, layout: model.layout, schema: schema, from: initial, name: initPath)
        inputs["init"] = initial.fingerprint
        log.info("warm start from \(initPath): \(copied) of \(model.layout.tensors.count) tensors")
        // A partial match is allowed (a model of fewer tasks, say) but never silent:
        // a file for another architecture would otherwise pass for a warm start.
        if let first = unmatched.first {
            log.warning("warm start from \(initPath): \(unmatched.count) of \(model.layout.tensors.count) tensors have no match of the same name and shape (first: \"\(first)\") and keep their random initialisation")
        }
    }
    let clock = Stopwatch()
    let parameters: [Double], report: TrainingReport
    var variationalJSON: String? = nil
    if let importPath = options.importPath {
        guard options.initPath == nil, options.variational == nil else {
            throw MTIFError.usage("--import excludes --init and --sharing vmtl",
                                  hint: "import first, then polish: mtif-train --init IMPORTED.safetensors …")
        }
        let imported = try ImportedModel(path: importPath, layout: model.layout, architecture: architecture)
        parameters = imported.parameters
        var gradient = [Double](repeating: 0, count: model.layout.count)
        let initialValue = model.objective(start, batch, regularized: true, gradient: &gradient)
        let initialNorm = euclideanNorm(gradient)
        try checkStartingPoint(model, batch, start, value: initialValue, gradient: gradient, norm: initialNorm)
        let value = model.objective(parameters, batch, regularized: true, gradient: &gradient)
        let norm = euclideanNorm(gradient)
        try checkStartingPoint(model, batch, parameters, value: value, gradient: gradient, norm: norm)
        report = TrainingReport.imported(objective: value, gradientNorm: norm, initialGradientNorm: initialNorm, tolerance: options.path.tolerance)
        inputs["import"] = Fingerprint.of(parameters)
        inputs["import_file"] = importPath
        let limit = stationarityWarningThreshold * max(1, initialNorm)
        let relative = norm / max(1, initialNorm)
        if norm > limit {
            log.warning(
                "\(displayName(importPath)) is not a stationary point of our objective (\(examples.count) examples, λ = \(short(options.lambda))): ‖∇L‖ = \(short(norm)), \(short(relative)) relative to max(1, ‖∇L(w₀)‖) = \(short(max(1, initialNorm))), above \(short(stationarityWarningThreshold)); influence scores assume ∇L = 0 (polish it: mtif-train --init \(options.outputPath == "-" ? "IMPORTED.safetensors" : options.outputPath) with the same flags and TRAIN)")
        } else {
            log.info("imported \(displayName(importPath)): L = \(value), ‖∇L‖ = \(short(norm)) (\(short(relative)) relative): stationary under our objective")
        }
    } else {
        log.info(
        "training \(options.sharing.rawValue) sharing on \(examples.count) examples, \(schema.tasks.count) tasks, P = \(model.layout.count)")
    if let variational = options.variational {
        let fit = try fitVariational(try VariationalModel(architecture), batch, from: start, options: variational, log: log)
        (parameters, report) = (fit.parameters, fit.report)
        variationalJSON = try JSONText.encode(fit.variational)
    } else {
        (parameters, report) = try fitModel(model, batch, from: start, path: options.path, log: log)
    }
    }
    let stages = (report.stages ?? [TrainingStage(optimizer: report.optimizer, iterations: report.iterations, evaluations: report.evaluations, gradientNorm: report.gradientNorm, stop: report.stop)])
        .map { "\($0.optimizer) \($0.iterations)" }.joined(separator: " + ")
    if options.importPath == nil { log.info(
        "\(report.stop) after \(stages) iterations in \(formatSeconds(clock.seconds)): L = \(report.objective), ‖∇L‖ = \(report.gradientNorm)") }
    let threshold = report.tolerance * max(1, report.initialGradientNorm)
    if let floor = report.roundingFloor, report.stop == TrustRegionNewton.Stop.roundingFloor.rawValue {
        log.info(
            "stopped at the rounding floor: ‖∇L‖ = \(short(report.gradientNorm)) is within 100× the measured rounding error of the gradient (\(short(floor))), above the tolerance \(short(threshold)); no step can do better in Float64")
    } else if !report.converged && options.variational == nil && options.importPath == nil {
        log.warning(
            "training stopped (\(report.stop)) at ‖∇L‖ = \(report.gradientNorm), above the tolerance \(threshold); influence scores assume a stationary point (\(scale.map { "\($0.summary): \($0.remedy); or " } ?? "")raise --max-iter or --newton-iter, or --init from this file)")
    }
    if let curvature = report.curvature { log.info(curvatureSummary(curvature)) }
    var metadata: [String: String] = [
        "tool": "mtif-train",
        "arguments": try JSONText.encode(options.arguments),
        "seed": String(options.seed),
        "training": try JSONText.encode(report),
        "inputs": try JSONText.encode(inputs),
    ]
    // Which examples were left out, in training-file order: mtif-eval --baseline
    // reports effects against them, mtif-eval compare predicts them.
    if !excludedIds.isEmpty { metadata["excluded"] = try JSONText.encode(excludedIds) }
    if let weights { metadata["exclude_weights"] = try JSONText.encode(weights) }
    if let variationalJSON { metadata["vmtl"] = variationalJSON }
    return ParameterFile(architecture: architecture, schema: schema, parameters: parameters, metadata: metadata)
}

/// Copies every tensor of `source` whose name and shape match `layout` into `w`.
/// Returns how many were copied and the names of the tensors that were not;
/// none copied is an error (the file is for another model).
private func warmStart(
    _ w: inout [Double], layout: ParameterLayout, schema: TaskSchema, from source: ParameterFile, name: String
) throws -> (copied: Int, unmatched: [String]) {
    let sourceModel = try makeModel(source.architecture)
    for task in schema.tasks {
        if let other = source.schema.tasks.first(where: { $0.name == task.name }), other.labels != task.labels {
            throw MTIFError.input(
                "\(name): task \"\(task.name)\" has other class labels than the training set",
                hint: "warm-start from a model trained on the same data")
        }
    }
    var copied = 0
    var unmatched: [String] = []
    for tensor in layout.tensors {
        guard let match = sourceModel.layout.tensor(named: tensor.name), match.shape == tensor.shape else {
            unmatched.append(tensor.name)
            continue
        }
        w.replaceSubrange(tensor.range, with: source.parameters[match.range])
        copied += 1
    }
    guard copied > 0 else {
        throw MTIFError.input(
            "\(name): no tensor matches the model being trained (\(source.architecture.sharing.rawValue) sharing, \(source.architecture.tasks.count) tasks)",
            hint: "--init needs parameters of the same architecture")
    }
    return (copied, unmatched)
}

/// Reads example ids, one per line (blank lines ignored). An id that is not in
/// the data set is an error: a typo must not silently retrain on everything.
package func readIdList(_ path: String, known: Set<String>, dataName: String) throws -> Set<String> {
    let reader = try LineReader(path: path)
    var ids = Set<String>()
    while let line = try reader.next() {
        let id = String(decoding: line, as: UTF8.self).trimmingWhitespace()
        if id.isEmpty { continue }
        guard known.contains(id) else {
            throw MTIFError.input(
                "id \"\(id)\" is not in \(dataName)", file: reader.displayName, line: reader.lineNumber,
                hint: "the exclude list must name examples of the training set")
        }
        ids.insert(id)
    }
    return ids
}

package func displayName(_ path: String) -> String { path == "-" ? "standard input" : path }

package func formatSeconds(_ seconds: Double) -> String {
    seconds < 10 ? "\(Double(Int(seconds * 1000)) / 1000) s" : "\(Double(Int(seconds * 10)) / 10) s"
}

extension String {
    package func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
