#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum InverseHVPSolverKind: String, CaseIterable, Sendable {
    case exact, cg, bcg, lissa, ekfac, pcg, auto
}

/// Everything `mtif-ihvp` needs, with the defaults its usage text states.
package struct InverseHVPOptions: Sendable {
    package var parametersPath = ""
    package var trainPath = ""
    package var rhsPath = "-"
    package var outputPath = "-"
    package var solver = InverseHVPSolverKind.cg
    /// nil: `defaultDamping(for:)`.
    package var damping: Double? = nil
    package var curvature = Curvature.hessian
    /// The arithmetic of the R-op's matrix products; nil: `defaultProducts`.
    package var products: GemmPrecision? = nil
    package var exact = ExactSolver()
    package var cg = ConjugateGradient()
    package var bcg = BlockConjugateGradient()
    package var lissa = LiSSA()
    package var pcg = PreconditionedConjugateGradient()
    package var ekfac = EKFACSolver()
    /// auto and lissa's auto depth: the relative error aimed at.
    package var accuracy = 1e-3
    /// ekfac and pcg: the EK-FAC factors file, read when it exists (and fits
    /// the parameters and data), else computed and written there.
    package var factorsPath: String? = nil
    /// The command line without the output path, recorded in the metadata.
    package var arguments: [String] = []

    package init() {}
}

/// Float32 products for auto at accuracies ≥ 1e-4, else Float64. The
/// frontier of make bench: with f32 products cg's errors at tolerances 1e-3 to
/// 1e-4 equal f64's to two digits on the HAR-shaped and the real HAR models,
/// 1.1–1.4× faster (HAR's stiffer model takes 10–14 % more iterations).
package func defaultProducts(_ options: InverseHVPOptions) -> GemmPrecision {
    options.solver == .auto && options.accuracy >= 1e-4 ? .float32 : .float64
}

/// δ = 0 for a strictly convex objective (soft sharing with linear task
/// models and λ > 0), 0.01 otherwise.
package func defaultDamping(for architecture: Architecture) -> Double {
    isStrictlyConvex(architecture) ? 0 : 0.01
}

/// Soft sharing with linear task models and λ > 0: every loss is convex in
/// θ_k and Ω's Hessian is ⪰ λI, so λ_min(H) ≥ λ.
package func isStrictlyConvex(_ architecture: Architecture) -> Bool {
    architecture.sharing == .soft && architecture.hidden.isEmpty && architecture.lambda > 0
}

/// Reads the parameters, the training set they were fitted on and the
/// right-hand sides; solves (H + δI) x = v for every row; writes the
/// solutions with the right-hand sides' row identities. Nothing is written
/// when a solver fails.
package func runInverseHVP(_ options: InverseHVPOptions, log: Log) throws {
    let stdinUsers = [options.parametersPath, options.trainPath, options.rhsPath].filter { $0 == "-" }.count
    guard stdinUsers <= 1 else {
        throw MTIFError.usage("only one input can be standard input ('-')", hint: "give the others as files")
    }
    if options.outputPath == "-" && isatty(STDOUT_FILENO) == 1 {
        throw MTIFError.usage("refusing to write binary inverse-HVPs to a terminal", hint: "give -o FILE or redirect stdout")
    }
    let parametersName = displayName(options.parametersPath)
    let trainName = displayName(options.trainPath)
    let trained = try ParameterFile.read(path: options.parametersPath)
    let model = try makeModel(trained.architecture)
    let p = model.layout.count
    if let warning = stationarityWarning(trained.metadata["training"], parameters: parametersName) { log.warning(warning) }

    // The right-hand sides: computed at these parameters, any layout.
    let reader = try VectorFileReader(path: options.rhsPath)
    try requireSameParameters(
        (file: reader.file, fingerprint: reader.header.parametersFingerprint),
        (file: parametersName, fingerprint: trained.fingerprint),
        hint: "re-run mtif-grad --mean-by-task with \(parametersName) to compute the right-hand sides at these parameters")
    guard reader.header.kind != .inverseHVP else {
        throw MTIFError.input(
            "\(reader.file) already holds inverse-HVPs; the right-hand sides are gradients",
            hint: "give the mean gradients (or per-example gradients) written by mtif-grad")
    }
    guard reader.header.architecture == trained.architecture else {
        throw MTIFError.input(
            "\(reader.file) was written for another architecture than \(parametersName)",
            hint: "recompute it from \(parametersName)")
    }
    // The right-hand sides, their solutions and the solvers' few work rows per
    // right-hand side are (R, P) each: estimate before reading R × P numbers.
    try MemoryBudget.check(
        Double(reader.header.rows.count) * Double(trained.parameters.count) * 8 * 5,
        for: "\(reader.header.rows.count) right-hand sides of P = \(trained.parameters.count) (the rows, their solutions and work rows)",
        change: "solve fewer right-hand sides per run (split \(reader.file) by target or test point)")
    let rhs = try reader.readAllDense()  // (R, P)
    let count = reader.header.rows.count
    // A non-finite right-hand side would surface as NaN curvature in cg and a
    // damping hint that cannot help: name the row instead.
    if let bad = rhs.firstIndex(where: { !$0.isFinite }) {
        let width = max(1, rhs.count / max(count, 1))
        let row = bad / width
        throw MTIFError.input(
            "\(reader.file): right-hand side row \(row + 1) (\(JSONValue.quoted(reader.header.rows[row].id))) holds \(rhs[bad]) at column \(bad % width)",
            hint: "recompute it with mtif-grad --mean-by-task from finite data and parameters")
    }

    // The training set the parameters were fitted on: the model's tasks only.
    var trainReader = try ExampleReader(path: options.trainPath)
    let (batch, trainFingerprint) = try TaskBatch.read(tasksOf: trained.schema, from: &trainReader, file: trainName)
    if let recorded = recordedTrainingFingerprint(trained) {
        guard recorded == trainFingerprint else {
            throw MTIFError.input(
                "\(trainName) is not the training set of \(parametersName): its examples of the model's tasks have fingerprint \(trainFingerprint), the parameters were trained on \(recorded)",
                hint: "the parameters were trained on other data; give the same training file (after the same --exclude) that mtif-train was given")
        }
    } else {
        log.warning("\(parametersName) does not record its training set's fingerprint; cannot check that \(trainName) is it")
    }

    let damping = options.damping ?? defaultDamping(for: trained.architecture)
    guard damping >= 0, damping.isFinite else { throw MTIFError.usage("--damping must be ≥ 0") }
    let products = options.products ?? defaultProducts(options)
    let op = HessianOperator(
        model: model, parameters: trained.parameters, batch: batch, damping: damping, curvature: options.curvature,
        precision: products)
    if options.curvature == .hessian, let note = curvatureNote(trained.metadata["training"], parameters: parametersName, damping: damping) {
        if note.warning { log.warning(note.text) } else { log.info(note.text) }
    }
    log.info(
        "\(options.solver.rawValue): \(count) right-hand side\(count == 1 ? "" : "s"), P = \(p), N = \(batch.count), δ = \(damping)\(options.damping == nil ? " (default)" : "")\(options.curvature == .ggn ? ", Gauss–Newton curvature" : "")\(products == .float32 ? ", Float32 products" : "")")
    var solution: InverseHVPSolution
    switch options.solver {
    case .exact:
        solution = try options.exact.solve(op, rhs: rhs, count: count, log: log)
    case .cg:
        solution = try options.cg.solve(op, rhs: rhs, count: count, log: log)
    case .bcg:
        solution = try options.bcg.solve(op, rhs: rhs, count: count, log: log)
    case .auto:
        // The frontier of make bench: block CG is the fastest setting within
        // 1e-3 on the stationary real HAR model (16–24 iterations against cg's
        // 67–94, 3–4× faster) and within 20 % of cg on the HAR-shaped one; its
        // error was 1.1–3× its residual tolerance: hence bcg at accuracy/4.
        var bcg = options.bcg
        bcg.tolerance = options.accuracy / 4
        log.info("auto: bcg to the relative residual \(short(bcg.tolerance)) for --accuracy \(short(options.accuracy))")
        solution = try bcg.solve(op, rhs: rhs, count: count, log: log)
        solution.report.selectedBy = "auto"
        solution.report.accuracy = options.accuracy
    case .lissa:
        var lissa = options.lissa
        lissa.accuracy = options.accuracy
        // H ⪰ λI when the objective is strictly convex, and the Gauss–Newton matrix is ⪰ ∇²Ω ⪰ λI always.
        lissa.curvatureFloor = isStrictlyConvex(trained.architecture) || options.curvature == .ggn ? trained.architecture.lambda : 0
        solution = try lissa.solve(op, rhs: rhs, count: count, log: log)
    case .ekfac, .pcg:
        let provenance = EKFACFactors.Provenance(
            parameters: trained.fingerprint, training: trainFingerprint, architecture: trained.architecture)
        let (factors, seconds, reused) = try ekfacFactors(
            options.factorsPath, model: model, parameters: trained.parameters, batch: batch, provenance: provenance, log: log)
        if options.solver == .ekfac {
            if options.curvature == .hessian {
                log.info("ekfac: the factors approximate the Gauss–Newton part of H (always ⪰ λI); --curvature hessian only sets what the residual is measured against")
            }
            solution = try options.ekfac.solve(op, factors: factors, rhs: rhs, count: count, log: log)
        } else {
            solution = try options.pcg.solve(op, preconditioner: factors, rhs: rhs, count: count, log: log)
        }
        solution.report.factorSeconds = seconds
        solution.report.factorsReused = reused
        solution.report.wallSeconds += seconds
    }
    solution.report.curvature = options.curvature.rawValue
    if products == .float32 { solution.report.products = "f32" }
    solution.report.rowPasses = op.work.rowPasses
    solution.report.rowDirections = op.work.rowDirections
    log.info(summary(solution.report))
    // A solver that overflowed (huge right-hand sides, a near-singular H) must
    // not reach the file, nor its diagnostics the metadata.
    guard solution.solutions.allSatisfy({ $0.isFinite }), (try? JSONText.encode(solution.report)) != nil else {
        throw MTIFError.computation(
            "\(options.solver.rawValue): the solution or its diagnostics are not finite (NaN or Inf); nothing was written",
            hint: "raise --damping, and check that \(reader.file) holds gradients of sensible size (mtif-grad at \(parametersName))")
    }

    var extra: [String: String] = [
        "solver": try JSONText.encode(solution.report),
        "training": try JSONText.encode(trainFingerprint),
        "tool": "mtif-ihvp",
        "arguments": try JSONText.encode(options.arguments),
        "parameters_file": options.parametersPath,
    ]
    if let training = trained.metadata["training"] { extra["trained"] = training }
    let header = VectorFileHeader(
        kind: .inverseHVP, layout: .dense, rows: reader.header.rows, at: trained,
        dataFingerprint: reader.header.dataFingerprint, extra: extra)
    let writer = try VectorFileWriter(path: options.outputPath, header: header)
    try writer.append(solution.solutions)
    try writer.commit()
}

/// The EK-FAC factors: read from `path` when it exists (refusing one fitted
/// elsewhere), else fitted and, with a path, written there atomically.
private func ekfacFactors(
    _ path: String?, model: any MultitaskModel, parameters: [Double], batch: TaskBatch,
    provenance: EKFACFactors.Provenance, log: Log
) throws -> (EKFACFactors, seconds: Double, reused: Bool) {
    if let path, access(path, F_OK) == 0 {
        let factors = try EKFACFactors.read(path: path, model: model, provenance: provenance)
        log.info("ekfac: factors read from \(path) (\(factors.blocks.count) blocks)")
        return (factors, 0, true)
    }
    let clock = Stopwatch()
    let factors = try EKFACFactors.compute(model: model, parameters: parameters, batch: batch)
    let seconds = clock.seconds
    log.info("ekfac: fitted \(factors.blocks.count) blocks (one per dense layer, heads separately) in \(formatSeconds(seconds)); smallest eigenvalue Λ_min = \(short(factors.smallestEigenvalue))")
    if let path {
        try factors.write(to: path, provenance: provenance)
        log.info("ekfac: factors written to \(path)")
    }
    return (factors, seconds, false)
}

/// `inputs.train` of a parameter file written by mtif-train.
private func recordedTrainingFingerprint(_ file: ParameterFile) -> String? {
    guard let text = file.metadata["inputs"], let inputs = try? JSONValue.parse(text) else { return nil }
    return inputs["train"]?.string
}

private func summary(_ report: SolverReport) -> String {
    var parts = ["\(report.name) done in \(formatSeconds(report.wallSeconds))", "\(report.hessianVectorProducts) HVPs"]
    if let iterations = report.iterations, let most = iterations.max() { parts.append("iterations ≤ \(most)") }
    if let residuals = report.residuals, let worst = residuals.max() { parts.append("relative residual ≤ \(short(worst))") }
    if let spread = report.spread, let worst = spread.max() { parts.append("spread ≤ \(short(worst))") }
    if let lambdaMax = report.lambdaMax { parts.append("λ_max ≈ \(short(lambdaMax))") }
    return parts.joined(separator: ", ")
}
