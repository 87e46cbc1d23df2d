import Foundation

/// `mtif-bench`: the pipeline's stages on a HAR-shaped workload, each timed,
/// its memory sampled, and its floating-point work counted from the shapes
/// (and from the iteration counts the tools record), against the machine's
/// FMA peak and our best GEMM rate measured first.
///
/// Workload: 7,352·scale training and 1,500 validation examples, 561
/// features, 30 tasks of 6 classes (`mtif-data synth`, seeded), hard sharing
/// with one tanh layer of 64, λ = 0.01; optionally the real UCI HAR CSV.
package struct BenchOptions: Sendable {
    /// Directory of the built tools: by default the one this executable is in.
    package var tools = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ".build/release/mtif-bench")
        .deletingLastPathComponent().path
    /// Work directory (data, parameters, scores).
    package var directory = "runs/bench"
    /// Workload sizes, in multiples of 7,352 training examples.
    package var scales: [Int] = [1, 4]
    /// The real HAR CSV (gzip), benchmarked too when given.
    package var harCSV: String?
    /// Enough for H + 0.01·I to be positive definite, so CG runs at the stated damping.
    package var trainIterations = 300
    /// L-BFGS iterations of each retraining inside `make experiment`.
    package var experimentIterations = 100
    package var lissaDepth = 1000
    package var lissaBatch = 256
    /// LiSSA's damping, as in the issue's target.
    package var damping = 0.01
    /// CG's: at 4× the 300-iteration model has λ_min(H) ≈ −0.0104, so H + 0.01·I
    /// is not positive definite there and CG (rightly) refuses it.
    package var cgDamping = 0.02
    package var cgTolerance = 1e-6
    /// The frontier's reference solve: CG to this relative residual.
    package var referenceTolerance = 1e-10
    /// The accuracy `mtif_fast` asks of its inverse-HVPs (relative error against the reference).
    package var frontierAccuracy = 1e-3
    /// Stages to leave out (names as in the output).
    package var skip: Set<String> = []
    /// Training examples at scale 1 (7,352 as in UCI HAR; smaller for tests).
    package var baseExamples = 7352
    /// Seconds each kernel measurement runs.
    package var kernelSeconds = 0.4
    /// A repository whose Makefile `make experiment` runs on the first workload.
    package var experimentRepository: String?
    package var outputPath = "-"

    package init() {}
}

/// The floating-point work of the hard-sharing MLP x → tanh(D→H) → C per
/// task, per row, by pass. Multiply and add count as two operations; the
/// activations and losses (O(H + C) per row) are left out.
package struct WorkModel: Sendable {
    package var features: Int
    package var hidden: Int
    package var classes: Int

    package init(features: Int, hidden: Int, classes: Int) {
        self.features = features
        self.hidden = hidden
        self.classes = classes
    }

    var dh: Double { Double(features * hidden) }
    var hc: Double { Double(hidden * classes) }
    /// Forward: x W₀ᵀ, a W₁ᵀ.
    var forwardRow: Double { 2 * dh + 2 * hc }
    /// Objective and gradient: forward, both weight gradients, the head's input gradient.
    var objectiveRow: Double { forwardRow + 2 * dh + 4 * hc }
    /// Per-example gradient: forward, the head's input gradient, the outer products.
    var gradientRow: Double { forwardRow + 2 * hc + dh + hc }
    /// The forward/backward pass shared by a batched HVP's directions.
    var hvpPassRow: Double { forwardRow + 2 * hc }
    /// One direction's R forward and R backward passes (see LayeredModel).
    var hvpDirectionRow: Double { 4 * dh + 10 * hc }
    /// Width of a task-block gradient row (γ, θ_l).
    var blockWidth: Double { Double((features + 1) * hidden + (hidden + 1) * classes) }
}

package func runBench(_ options: BenchOptions, log: Log) throws {
    let tools = URL(fileURLWithPath: options.tools).standardizedFileURL.path
    let root = URL(fileURLWithPath: options.directory).standardizedFileURL.path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let output = try OutputFile(path: options.outputPath)
    var bench = Bench(tools: tools, output: output, log: log)

    // The machine's limits.
    let threads = ProcessInfo.processInfo.activeProcessorCount
    let fmaPeak1 = KernelBench.fmaPeak(threads: 1, seconds: options.kernelSeconds)
    bench.fmaPeakAll = KernelBench.fmaPeak(threads: threads, seconds: options.kernelSeconds)
    try bench.emit(try kernelRecord("fma_peak", threads: 1, rate: fmaPeak1, peak: fmaPeak1))
    try bench.emit(try kernelRecord("fma_peak", threads: threads, rate: bench.fmaPeakAll, peak: bench.fmaPeakAll))
    let n = options.baseExamples, d = 561, h = 64, r = 30, b = options.lissaBatch
    let shapes = [
        KernelBench.Shape("forward x·W0ᵀ", m: n, n: h, k: d, transposeB: true),
        KernelBench.Shape("weight gradient dzᵀ·x", m: h, n: d, k: n, transposeA: true),
        KernelBench.Shape("R-op x·V0ᵀ (30 directions)", m: b, n: r * h, k: d, transposeB: true),
        KernelBench.Shape("R-op R{dz}ᵀ·x (30 directions)", m: r * h, n: d, k: b, transposeA: true),
    ]
    // The R-op shapes again in Float32 (`--products f32`); stage shares stay
    // fractions of the best Float64 rate.
    let runs = shapes.map { ($0, GemmPrecision.float64) } + shapes[2...].map { ($0, GemmPrecision.float32) }
    for (shape, precision) in runs {
        let one = KernelBench.gemmRate(shape, threads: 1, precision: precision, seconds: options.kernelSeconds)
        let all = KernelBench.gemmRate(shape, threads: threads, precision: precision, seconds: options.kernelSeconds)
        if precision == .float64 { bench.gemmBestAll = max(bench.gemmBestAll, all) }
        for (count, rate) in [(1, one), (threads, all)] {
            var record = try kernelRecord("gemm", threads: count, rate: rate, peak: count == 1 ? fmaPeak1 : bench.fmaPeakAll)
            record.add("shape", "\(shape.name) (\(shape.m)×\(shape.n)×\(shape.k))")
            record.add("precision", precision.rawValue)
            if count > 1 { try record.add("speedup", all / one) }
            try bench.emit(record)
        }
    }

    for (position, scale) in options.scales.enumerated() {
        let name = "synthetic-\(scale)x"
        let dir = "\(root)/\(name)"
        try bench.workload(name: name, directory: dir, target: "t01", options: options) { dir in
            let perTask = (n * scale + r - 1) / r
            return "\(bench.tool("mtif-data")) synth --tasks 30 --features 561 --classes 6 --train \(perTask) --val 50 --test 50 --seed 1 -q > all.ndjson"
                + " && \(bench.tool("mtif-data")) split --prefix raw- -q all.ndjson"
                + " && \(bench.tool("mtif-data")) sample --count \(n * scale) -q raw-train.ndjson > train.ndjson"
                + " && mv raw-val.ndjson val.ndjson && rm raw-train.ndjson raw-test.ndjson"
        }
        if position == 0, let repository = options.experimentRepository {
            let absolute = URL(fileURLWithPath: repository).standardizedFileURL.path
            try bench.experiment(workload: name, directory: dir, repository: absolute, options: options)
        }
    }
    if let csv = options.harCSV {
        let path = URL(fileURLWithPath: csv).standardizedFileURL.path
        try bench.workload(name: "har", directory: "\(root)/har", target: "s01", options: options) { _ in
            "zcat \(shellQuoted(path)) | \(bench.tool("mtif-data")) csv --task subject --label activity --task-prefix s -q"
                + " | \(bench.tool("mtif-data")) split --prefix raw- -q"
                + " && \(bench.tool("mtif-data")) standardize --fit raw-train.ndjson raw-train.ndjson -q > train.ndjson"
                + " && \(bench.tool("mtif-data")) standardize --fit raw-train.ndjson raw-val.ndjson -q > val.ndjson"
                + " && rm raw-*.ndjson"
        }
    }
    try output.commit()
}

private func kernelRecord(_ kind: String, threads: Int, rate: Double, peak: Double) throws -> Record {
    var record = Record(type: "kernel")
    record.add("kernel", kind)
    record.add("threads", threads)
    try record.add("gflops", rate)
    try record.add("fraction_of_fma_peak", rate / peak)
    return record
}

func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// One benchmark run: the machine's rates and where the records go.
private struct Bench {
    let tools: String
    let output: OutputFile
    let log: Log
    /// On all cores: what the stages are measured against.
    var fmaPeakAll = 0.0, gemmBestAll = 0.0

    init(tools: String, output: OutputFile, log: Log) {
        self.tools = tools
        self.output = output
        self.log = log
    }

    func tool(_ name: String) -> String { shellQuoted("\(tools)/\(name)") }

    func emit(_ record: Record) throws { try output.write(record.line) }

    /// The stages on one data set; `makeData(dir)` is the shell command that
    /// writes train.ndjson and val.ndjson into dir; `target` is the task the
    /// selection stage selects for.
    func workload(
        name: String, directory dir: String, target: String, options: BenchOptions, makeData: (String) -> String
    ) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let work = WorkModel(features: 561, hidden: 64, classes: 6)
        var stages: [String: (StageMeasurement, Double)] = [:]
        func run(_ stage: String, _ command: String, bytes: Double? = nil, note: String? = nil,
                 flops: () throws -> Double) throws {
            guard !options.skip.contains(stage) else { return }
            let measured: StageMeasurement
            do {
                measured = try measureCommand(command, directory: dir, log: log)
            } catch let error as MTIFError {
                try emitFailure(workload: name, stage: stage, error)
                return
            }
            let count = try flops()
            stages[stage] = (measured, count)
            try emitStage(workload: name, stage: stage, measured, flops: count, bytes: bytes, note: note)
        }
        try run("data", makeData(dir)) { 0 }
        let trainBytes = Double(fileSize("\(dir)/train.ndjson"))
        let n = Double(try countLines("\(dir)/train.ndjson"))
        try run("ingest", "\(tool("mtif-data")) stats train.ndjson > stats.ndjson", bytes: trainBytes,
                note: "parsing NDJSON text; no floating-point work") { 0 }
        let model = "--hidden 64 --lambda 0.01"
        try run("train", "\(tool("mtif-train")) \(model) --max-iter \(options.trainIterations) --newton-iter 200 --tol 0 -q train.ndjson -o params.safetensors",
                note: "reading the training set, the tanh and softmax of every row and the L-BFGS vector updates are outside the products") {
            let meta = try SafeTensorsFile(path: "\(dir)/params.safetensors").metadata
            let report: TrainingReport = try JSONText.decode(meta["training"], field: "training", file: "params.safetensors")
            return Double(report.evaluations) * n * work.objectiveRow
        }
        try run("targets", "\(tool("mtif-grad")) --mean-by-task -q params.safetensors val.ndjson -o rhs.safetensors",
                note: "reading the validation set dominates a stage of so little arithmetic") {
            Double(try countLines("\(dir)/val.ndjson")) * work.objectiveRow
        }
        try run("gradients", "\(tool("mtif-grad")) -q params.safetensors train.ndjson > /dev/null",
                bytes: n * work.blockWidth * 8,
                note: "memory-bound: writes an (N, W) gradient table, one multiply per entry") {
            n * work.gradientRow
        }
        let solverFlops = { (file: String) throws -> Double in
            let meta = try SafeTensorsFile(path: "\(dir)/\(file)").metadata
            let report: SolverReport = try JSONText.decode(meta["solver"], field: "solver", file: file)
            return Double(report.rowPasses ?? 0) * work.hvpPassRow + Double(report.rowDirections ?? 0) * work.hvpDirectionRow
        }
        let damping = "--damping \(options.damping)"
        try run("ihvp_lissa",
                "\(tool("mtif-ihvp")) --solver lissa --depth \(options.lissaDepth) --batch-size \(options.lissaBatch) \(damping) -q params.safetensors train.ndjson rhs.safetensors -o ihvp-lissa.safetensors",
                note: "reading the training set, the minibatch gathers and the LiSSA updates are outside the products") {
            try solverFlops("ihvp-lissa.safetensors")
        }
        try run("ihvp_cg",
                "\(tool("mtif-ihvp")) --solver cg --tol \(options.cgTolerance) --damping \(options.cgDamping) -q params.safetensors train.ndjson rhs.safetensors -o ihvp-cg.safetensors",
                note: "reading the training set and the CG vector updates are outside the products") {
            try solverFlops("ihvp-cg.safetensors")
        }
        try run("join",
                "\(tool("mtif-grad")) -q params.safetensors train.ndjson | \(tool("mtif-influence")) -q ihvp-lissa.safetensors > scores.ndjson",
                note: "mtif-grad parses the training set twice (memory bounded in n) and the gradients cross a pipe as an (N, W) table of f64") {
            n * (work.gradientRow + 30 * 2 * work.blockWidth)
        }
        try run("join_fused",
                "\(tool("mtif-influence")) -q --params params.safetensors --data train.ndjson ihvp-lissa.safetensors > scores-fused.ndjson",
                note: "the per-example gradients are never formed: per layer, the batch's inputs times the stacked inverse-HVP blocks, then dz·(S a + s_b)") {
            n * (work.gradientRow + 30 * 2 * work.blockWidth)
        }
        let frontierRows = try frontier(workload: name, directory: dir, options: options, solverFlops: solverFlops)
        try run("select", "\(tool("mtif-select")) -q --target \(target) --fraction 0.1 scores.ndjson train.ndjson > kept.ndjson",
                note: "text in, text out; no floating-point work") { 0 }
        // Stages run one after the other: seconds and FLOPs add, memory peaks.
        func emitSum(_ stage: String, _ parts: [(StageMeasurement, Double)], note: String, alwaysNote: Bool = false) throws {
            let total = StageMeasurement(
                seconds: parts.reduce(0) { $0 + $1.0.seconds },
                peakBytes: parts.map(\.0.peakBytes).max() ?? 0,
                largestProcessBytes: parts.map(\.0.largestProcessBytes).max() ?? 0)
            try emitStage(workload: name, stage: stage, total, flops: parts.reduce(0) { $0 + $1.1 }, bytes: nil,
                          note: note, alwaysNote: alwaysNote)
        }
        // Full MTIF: targets, LiSSA inverse-HVPs and the join (which computes the per-example gradients).
        let parts = ["targets", "ihvp_lissa", "join"].compactMap { stages[$0] }
        if parts.count == 3 {
            try emitSum("mtif_total", parts, note: "targets + ihvp_lissa + join, run one after the other")
        }
        // The fast path: targets, the fastest frontier setting within the accuracy, the fused join.
        if let targets = stages["targets"], let join = stages["join_fused"],
           let best = frontierRows.filter({ $0.error <= options.frontierAccuracy }).min(by: { $0.measured.seconds < $1.measured.seconds }) {
            try emitSum(
                "mtif_fast", [targets, (best.measured, best.flops), join],
                note: "targets + \(best.setting) (the fastest setting within \(short(options.frontierAccuracy)) of the reference) + join_fused",
                alwaysNote: true)
        }
    }

    /// One solver setting of the frontier, as measured.
    struct FrontierRow {
        var setting: String
        var measured: StageMeasurement
        var flops: Double
        /// Largest relative error of a row against the reference solve.
        var error: Double
    }

    /// The accuracy-vs-time frontier of the inverse-HVP solvers on this
    /// workload: every setting solves the same right-hand sides at the same δ
    /// (the CG damping); each is timed and its memory sampled, its rows are
    /// compared with a reference CG solve, and its scores (fused join) with
    /// the reference's scores. One "frontier" record per setting.
    func frontier(
        workload name: String, directory dir: String, options: BenchOptions, solverFlops: (String) throws -> Double
    ) throws -> [FrontierRow] {
        guard !options.skip.contains("frontier") else { return [] }
        let inputs = "--damping \(options.cgDamping) -q params.safetensors train.ndjson rhs.safetensors"
        let scoreCommand = { (ihvp: String, scores: String) in
            "\(tool("mtif-influence")) -q --params params.safetensors --data train.ndjson \(ihvp) > \(scores)"
        }
        let reference = "ihvp-reference.safetensors"
        do {
            _ = try measureCommand(
                "\(tool("mtif-ihvp")) --solver cg --tol \(options.referenceTolerance) --max-iter 10000 \(inputs) -o \(reference)"
                    + " && " + scoreCommand(reference, "scores-reference.ndjson"),
                directory: dir, log: log)
        } catch let error as MTIFError {
            try emitFailure(workload: name, stage: "frontier_reference", error)
            return []
        }
        let referenceRows = try VectorFileReader(path: "\(dir)/\(reference)").readAllDense()
        let referenceScores = try ScoreTable(path: "\(dir)/scores-reference.ndjson")
        let settings: [(String, String)] = [
            ("cg tol 1e-3", "--solver cg --tol 1e-3"),
            ("cg tol 5e-4", "--solver cg --tol 5e-4"),
            ("cg tol 1e-4", "--solver cg --tol 1e-4"),
            ("cg tol 1e-6", "--solver cg --tol 1e-6"),
            ("cg tol 1e-3 f32", "--solver cg --tol 1e-3 --products f32"),
            ("cg tol 5e-4 f32", "--solver cg --tol 5e-4 --products f32"),
            ("cg tol 1e-4 f32", "--solver cg --tol 1e-4 --products f32"),
            ("bcg tol 1e-3", "--solver bcg --tol 1e-3"),
            ("bcg tol 5e-4", "--solver bcg --tol 5e-4"),
            ("bcg tol 1e-6", "--solver bcg --tol 1e-6"),
            ("bcg tol 5e-4 f32", "--solver bcg --tol 5e-4 --products f32"),
            ("bcg tol 2.5e-4 f32", "--solver bcg --tol 2.5e-4 --products f32"),
            ("pcg tol 1e-3", "--solver pcg --tol 1e-3"),
            ("pcg tol 1e-4", "--solver pcg --tol 1e-4"),
            ("ekfac", "--solver ekfac"),
            ("lissa auto 1e-3", "--solver lissa --accuracy 1e-3 --batch-size \(options.lissaBatch)"),
            ("lissa depth \(options.lissaDepth)", "--solver lissa --depth \(options.lissaDepth) --batch-size \(options.lissaBatch)"),
        ]
        var rows: [FrontierRow] = []
        for (index, (setting, flags)) in settings.enumerated() {
            let file = "ihvp-frontier-\(index).safetensors", scores = "scores-frontier-\(index).ndjson"
            let measured: StageMeasurement
            do {
                measured = try measureCommand("\(tool("mtif-ihvp")) \(flags) \(inputs) -o \(file)", directory: dir, log: log)
                _ = try measureCommand(scoreCommand(file, scores), directory: dir, log: log)
            } catch let error as MTIFError {
                try emitFailure(workload: name, stage: "frontier \(setting)", error)
                continue
            }
            let solved = try VectorFileReader(path: "\(dir)/\(file)")
            let x = try solved.readAllDense()
            let p = x.count / max(solved.header.rows.count, 1)
            var error = 0.0
            for r in 0 ..< solved.header.rows.count {
                var d = 0.0, size = 0.0
                for i in r * p ..< (r + 1) * p {
                    d += (x[i] - referenceRows[i]) * (x[i] - referenceRows[i])
                    size += referenceRows[i] * referenceRows[i]
                }
                error = max(error, size > 0 ? (d / size).squareRoot() : d.squareRoot())
            }
            let report: SolverReport = try JSONText.decode(solved.header.extra["solver"], field: "solver", file: file)
            let flops = try solverFlops(file)
            let correlation = try scoreCorrelation(ScoreTable(path: "\(dir)/\(scores)"), referenceScores)
            var record = Record(type: "frontier")
            record.add("workload", name)
            record.add("setting", setting)
            record.add("solver", report.name)
            record.add("products", report.products ?? "f64")
            try record.add("damping", report.damping)
            try record.add("seconds", measured.seconds)
            try record.add("flops", flops)
            try record.add("fraction_of_gemm", flops / measured.seconds / 1e9 / gemmBestAll)
            record.add("peak_rss_mb", measured.peakBytes / 1_000_000)
            if let iterations = report.iterations, !iterations.isEmpty {
                try record.add("mean_iterations", Double(iterations.reduce(0, +)) / Double(iterations.count))
            }
            record.add("hessian_vector_products", report.hessianVectorProducts)
            try record.add("ihvp_error", error)
            if let met = report.accuracyMet { record.add("accuracy_met", met) }
            if let correlation { try record.add("score_pearson", correlation) }
            try emit(record)
            log.info(String(format: "\(name) frontier \(setting): %.2f s, error %.2e vs CG to \(short(options.referenceTolerance)), score r %.6f",
                            measured.seconds, error, correlation ?? .nan))
            rows.append(FrontierRow(setting: setting, measured: measured, flops: flops, error: error))
        }
        return rows
    }

    /// `make experiment` on the workload's examples, at the bench's model
    /// settings with one budget and one random seed, LiSSA scores, and a small
    /// validation: its time is the sum of many stages, so no FLOPs are counted.
    func experiment(workload: String, directory dir: String, repository: String, options: BenchOptions) throws {
        guard !options.skip.contains("experiment") else { return }
        let settings = [
            "DATA=\(shellQuoted("\(dir)/all.ndjson"))", "RUN=\(shellQuoted("\(dir)/experiment"))",
            "NO_BUILD=1", "HIDDEN=64", "LAMBDA=0.01", "MAXITER=\(options.experimentIterations)", "TOL=0", "SOLVER=lissa",
            "DAMPING=\(options.damping)", "FRACTIONS=0.1", "RANDOM_SEEDS=1", "LOO=5", "LDS=5", "QUIET=-q",
        ]
        let command = "rm -rf experiment && make -s -C \(shellQuoted(repository)) experiment \(settings.joined(separator: " ")) 2>&1 | tail -3 >&2"
        let measured: StageMeasurement
        do {
            measured = try measureCommand(command, directory: dir, log: log)
        } catch let error as MTIFError {
            try emitFailure(workload: workload, stage: "experiment", error)
            return
        }
        try emitStage(workload: workload, stage: "experiment", measured, flops: 0, bytes: nil,
                      note: "make experiment: every arm retrained for every target (\(options.experimentIterations) iterations each), LiSSA scores, LOO 5, LDS 5")
    }

    /// A long benchmark goes on after a failed stage: the failure is a record
    /// (and a warning), and stages needing that one's output fail in turn.
    func emitFailure(workload: String, stage: String, _ error: MTIFError) throws {
        log.warning("\(workload) \(stage): \(error.message)")
        var record = Record(type: "stage")
        record.add("workload", workload)
        record.add("stage", stage)
        record.add("error", error.message)
        try emit(record)
    }

    func emitStage(
        workload: String, stage: String, _ m: StageMeasurement, flops: Double, bytes: Double?, note: String?,
        alwaysNote: Bool = false
    ) throws {
        var record = Record(type: "stage")
        record.add("workload", workload)
        record.add("stage", stage)
        try record.add("seconds", m.seconds)
        try record.add("flops", flops)
        let rate = flops / m.seconds / 1e9
        try record.add("gflops", rate)
        try record.add("fraction_of_fma_peak", rate / fmaPeakAll)
        try record.add("fraction_of_gemm", rate / gemmBestAll)
        if let bytes { try record.add("mb_per_second", bytes / m.seconds / 1e6) }
        record.add("peak_rss_mb", m.peakBytes / 1_000_000)
        record.add("largest_process_rss_mb", m.largestProcessBytes / 1_000_000)
        // At the GEMM rate the FLOPs would take flops / gemmBestAll; a stage much slower than that says why.
        let bound = flops / (gemmBestAll * 1e9)
        if let note, alwaysNote || flops == 0 || m.seconds > 3 * bound { record.add("note", note) }
        try emit(record)
        var line = "\(workload) \(stage): \(formatSeconds(m.seconds))"
        if flops > 0 { line += String(format: ", %.1f GFLOP, %.1f GFLOP/s (%.0f%% of GEMM)", flops / 1e9, rate, 100 * rate / gemmBestAll) }
        if let bytes { line += String(format: ", %.0f MB/s", bytes / m.seconds / 1e6) }
        line += ", peak RSS \(m.peakBytes / 1_000_000) MB"
        log.info(line)
    }
}

/// Pearson r of all (example, target) scores of `table` against `reference`,
/// paired by example id and target name.
private func scoreCorrelation(_ table: ScoreTable, _ reference: ScoreTable) throws -> Double? {
    guard table.targets == reference.targets, table.examples.count == reference.examples.count else {
        throw MTIFError.computation("\(table.file): scores of other examples or targets than the reference's")
    }
    var x: [Double] = [], y: [Double] = []
    for (id, example) in reference.examples {
        guard let other = table.examples[id] else {
            throw MTIFError.computation("\(table.file): no score of example \(JSONValue.quoted(id))")
        }
        x += other.scores
        y += example.scores
    }
    return pearson(x, y)
}

private func countLines(_ path: String) throws -> Int {
    let reader = try LineReader(path: path)
    var count = 0
    while try reader.next() != nil { count += 1 }
    return count
}

private func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}
