// mtif-ihvp: inverse-Hessian-vector products s = (H + δI)⁻¹ v at trained
// parameters, one per right-hand side (per target task or per test point).
import Shared

let usage = """
usage: mtif-ihvp [options] PARAMS.safetensors TRAIN.ndjson RHS.safetensors -o IHVP.safetensors

Solves (H + δI) s = v for every row v of RHS (gradients from mtif-grad, dense
or task-block; '-' = stdin), H the exact Hessian of the training objective L at
PARAMS. TRAIN must be the examples PARAMS was trained on. Writes one dense row
per right-hand side, with the same row identities, and the solver's diagnostics.

  --solver NAME           exact | cg | bcg | lissa | ekfac | pcg | auto (cg);
                          bcg is block CG, every row in one shared Krylov space;
                          auto is bcg to the relative residual --accuracy/4 with
                          f32 products when --accuracy ≥ 1e-4, the fastest
                          setting within the accuracy on make bench's frontier
                          (bcg's error measured there: 1.1–3× its tolerance)
  --damping δ             added to H; default 0 for soft sharing with linear task
                          models and λ > 0 (strictly convex), else 0.01
  --curvature NAME        hessian | ggn (hessian): ggn solves with the generalised
                          Gauss–Newton matrix JᵀHJ + ∇²Ω instead, positive definite
                          for λ > 0, so no damping fights negative eigenvalues
  --products f64|f32      arithmetic of the R-op's matrix products (f64; auto:
                          see --solver); f32 GEMMs run 1.3–2× faster and add
                          ~1e-6 relative error to each product, which left cg's
                          errors at tolerances ≥ 1e-4 unchanged on make bench's
                          frontier; not for the exact reference
exact:
  --max-params N          refuse above N parameters (4000)
cg, bcg:
  --tol T                 stop when ‖r‖ ≤ T·‖v‖ (1e-8); lissa: early stop when
                          ‖h_{j+1} − h_j‖ ≤ T·‖h_j‖ (0 = off)
  --max-iter N            iterations (1000)
ekfac, pcg:
  --factors FILE          EK-FAC factors: read when FILE exists and was fitted at
                          PARAMS on TRAIN, else fitted and written there (none:
                          fitted and not kept); pcg preconditions with them and
                          takes --tol and --max-iter like cg
lissa:
  --depth N|auto          steps of h ← v + h − (H̃ + δI)h/s (auto: the fewest
                          with (1 − μ/s)^depth ≤ --accuracy, μ = δ + λ for a
                          strictly convex model, else δ; at most --max-depth)
  --accuracy A            auto, and auto depth's relative error (1e-3); every
                          row also records the bound ‖r‖/μ of its full-data
                          residual r, which covers the minibatch noise
  --max-depth N           auto depth's cap (10000)
  --repeats N             independent runs averaged; ≥ 2 records the spread (1)
  --batch-size B          rows per minibatch Hessian H̃ (256)
  --scale s               (1.1 · (λ_max + δ), λ_max by power iteration)
  --seed S                minibatches and power-iteration start (0)
  -o, --output FILE       inverse-HVP file, written atomically ('-' = stdout)
  -q, --quiet             no progress on stderr
  -h, --help              this text

example:
  mtif-ihvp --solver cg params.safetensors train.ndjson val-grads.safetensors -o ihvp.safetensors
"""

runTool("mtif-ihvp", mallocArenas: 1) {
    let args = try Arguments(
        tool: "mtif-ihvp", Array(CommandLine.arguments.dropFirst()),
        options: [
            "--solver", "--damping", "--curvature", "--products", "--max-params", "--tol", "--max-iter", "--depth", "--accuracy", "--max-depth", "--repeats", "--batch-size",
            "--scale", "--seed", "--output", "--factors",
        ], flags: [])
    if args.help { return try printUsage(usage) }
    var options = InverseHVPOptions()
    let paths = try args.positionals(exactly: ["PARAMS.safetensors", "TRAIN.ndjson", "RHS.safetensors"])
    (options.parametersPath, options.trainPath, options.rhsPath) = (paths[0], paths[1], paths[2])
    options.outputPath = args.string("--output", default: "-")
    options.solver = InverseHVPSolverKind(
        rawValue: try args.choice("--solver", InverseHVPSolverKind.allCases.map(\.rawValue), default: "cg"))!
    options.damping = try args.double("--damping")
    options.curvature = Curvature(
        rawValue: try args.choice("--curvature", Curvature.allCases.map(\.rawValue), default: "hessian"))!
    if args.string("--products") != nil {  // absent: the solver's default (defaultProducts)
        options.products = try args.choice("--products", ["f64", "f32"], default: "f64") == "f32" ? .float32 : .float64
    }
    options.exact.maxParameters = try args.int("--max-params", default: options.exact.maxParameters, atLeast: 1)
    options.cg.tolerance = try args.double("--tol", default: options.cg.tolerance, atLeast: 0)
    options.cg.maxIterations = try args.int("--max-iter", default: options.cg.maxIterations, atLeast: 1)
    options.bcg.tolerance = options.cg.tolerance
    options.bcg.maxIterations = options.cg.maxIterations
    options.pcg.tolerance = options.cg.tolerance
    options.pcg.maxIterations = options.cg.maxIterations
    options.factorsPath = args.string("--factors")
    if options.solver == .auto && args.string("--tol") != nil {
        throw MTIFError.usage("--solver auto sets its tolerance from --accuracy", hint: "give --accuracy A, or --solver bcg --tol T")
    }
    options.lissa.tolerance = try args.double("--tol", default: options.lissa.tolerance, atLeast: 0)
    if let depth = args.string("--depth"), depth != "auto" {
        guard let steps = Int(depth), steps >= 1 else {
            throw MTIFError.usage("--depth: expected auto or an integer ≥ 1, found '\(depth)'")
        }
        options.lissa.depth = steps
    }
    options.accuracy = try args.double("--accuracy", default: options.accuracy)
    guard options.accuracy > 0, options.accuracy < 1 else {
        throw MTIFError.usage("--accuracy: expected a number in (0, 1), found '\(args.string("--accuracy")!)'")
    }
    options.lissa.maxDepth = try args.int("--max-depth", default: options.lissa.maxDepth, atLeast: 1)
    options.lissa.repeats = try args.int("--repeats", default: options.lissa.repeats)
    options.lissa.batchSize = try args.int("--batch-size", default: options.lissa.batchSize)
    options.lissa.scale = try args.double("--scale")
    options.lissa.seed = try args.uint64("--seed", default: 0)
    options.arguments = args.recordable
    try runInverseHVP(options, log: Log(tool: "mtif-ihvp", quiet: args.quiet))
}
