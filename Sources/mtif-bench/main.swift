// mtif-bench: the pipeline's speed and memory on a HAR-shaped workload,
// against the machine's own FMA peak and GEMM rate. `make bench` runs it.
import Shared

let usage = """
usage: mtif-bench [options] > bench.ndjson

Measures the FMA peak and our GEMM at the model's shapes (1 thread and all),
then runs each stage of the pipeline as the built tools, on generated
HAR-shaped data (7,352 × scale training and 1,500 validation examples, 561
features, 30 tasks of 6 classes; hard sharing, one tanh layer of 64,
λ = 0.01) and on the real HAR when --har is given. Per stage: wall time,
floating-point operations counted from the shapes and the recorded iteration
counts, GFLOP/s, fractions of the FMA peak and of the best GEMM rate, and
peak resident memory summed over a pipeline's processes. One NDJSON record
per kernel and per stage on stdout; a table on stderr.

The frontier: on each workload every solver setting (cg and bcg at several
tolerances with f64 and f32 products, pcg, ekfac, lissa auto and fixed depth) solves the
same right-hand sides at the CG damping; a {"type":"frontier"} record gives its
time, peak memory, share of the GEMM rate, the largest relative error of its
rows against a reference CG solve, and the Pearson r of its scores (fused join)
with the reference's. The stage mtif_fast adds targets, the fastest setting within
--accuracy of the reference and the fused join (join_fused).

  --tools DIR             the built tools (the directory of mtif-bench)
  --dir DIR               work directory (runs/bench)
  --scales S[,S…]         workload sizes in multiples of 7,352 (1,4)
  --har FILE              also the UCI HAR CSV (gzip), split 60/20/20 per subject
  --iterations N          L-BFGS iterations of the train stage (300; then 200
                          Newton iterations at tolerance 0, as every frontier
                          so far: the synthetic model is not stationary)
  --depth N               LiSSA depth (1000)
  --batch-size B          LiSSA minibatch (256)
  --damping δ             LiSSA's damping (0.01)
  --cg-damping δ          CG's damping (0.02: at 4× the model is not at a minimum
                          and H + 0.01·I is indefinite)
  --cg-tol T              CG relative residual (1e-6)
  --reference-tol T       the frontier's reference CG residual (1e-10)
  --accuracy A            mtif_fast's inverse-HVP error bound (1e-3)
  --skip NAME[,NAME…]     leave out stages (e.g. ihvp_cg, frontier)
  --experiment REPO       also time `make experiment` in REPO on the first workload
                          (every arm of every target, 100 iterations per retraining)
  --base N                training examples at scale 1 (7352; smaller for tests)
  --kernel-seconds S      time per kernel measurement (0.4)
  -o, --output FILE       records, written atomically ('-' = stdout)
  -q, --quiet             no progress on stderr
  -h, --help              this text
"""

runTool("mtif-bench") {
    let args = try Arguments(
        tool: "mtif-bench", Array(CommandLine.arguments.dropFirst()),
        options: ["--tools", "--dir", "--scales", "--har", "--iterations", "--depth", "--batch-size", "--damping",
                  "--cg-tol", "--cg-damping", "--reference-tol", "--accuracy", "--skip", "--experiment", "--base", "--kernel-seconds", "--output"], flags: [])
    if args.help { return try printUsage(usage) }
    _ = try args.positionals(exactly: [])
    var options = BenchOptions()
    options.tools = args.string("--tools", default: options.tools)
    options.directory = args.string("--dir", default: options.directory)
    if let scales = args.list("--scales") {
        options.scales = try scales.map { text in
            guard let scale = Int(text), scale >= 1 else { throw MTIFError.usage("--scales: \(text) is not a positive integer") }
            return scale
        }
    }
    options.harCSV = args.string("--har")
    options.trainIterations = try args.int("--iterations") ?? options.trainIterations
    options.lissaDepth = try args.int("--depth") ?? options.lissaDepth
    options.lissaBatch = try args.int("--batch-size") ?? options.lissaBatch
    options.damping = try args.double("--damping") ?? options.damping
    options.cgTolerance = try args.double("--cg-tol") ?? options.cgTolerance
    options.cgDamping = try args.double("--cg-damping") ?? options.cgDamping
    options.referenceTolerance = try args.double("--reference-tol", default: options.referenceTolerance, atLeast: 0, strictly: true)
    options.frontierAccuracy = try args.double("--accuracy", default: options.frontierAccuracy, atLeast: 0, strictly: true)
    options.skip = Set(args.list("--skip") ?? [])
    options.experimentRepository = args.string("--experiment")
    options.baseExamples = try args.int("--base") ?? options.baseExamples
    options.kernelSeconds = try args.double("--kernel-seconds") ?? options.kernelSeconds
    guard options.baseExamples >= 30 else { throw MTIFError.usage("--base must be at least 30 (one example per task)") }
    options.outputPath = args.string("--output", default: "-")
    try runBench(options, log: Log(tool: "mtif-bench", quiet: args.quiet))
}
