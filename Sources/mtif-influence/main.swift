// mtif-influence: joins per-example gradients with inverse-HVPs into influence
// scores per training example and target task, and the task×task matrix.
import Shared

let usage = """
usage: mtif-influence [options] IHVP.safetensors [GRADS.safetensors | -]
       mtif-influence [options] IHVP.safetensors --params PARAMS --data TRAIN

For each training example z of task l (a row of GRADS, from mtif-grad; default
stdin) and each target k (a row s_k = (H + δI)⁻¹∇V_k of IHVP, from mtif-ihvp):

    score_k(z) = −(1/n_l) · s_k · ∇ℓ_l(w*; z)      n_l = training examples of task l

Positive = the example hurts target k (removing it is predicted to lower V_k);
negative = it helps. Writes NDJSON: a {"type":"meta"} line (sign, formula,
parameters, targets; left out for shards after 0, so shard outputs concatenate),
then one line per example in input order:
{"type":"score","id":…,"task":…,"scores":{target: score, …}}.
Both files must come from the same parameter file; GRADS must be of the
training set the Hessian was built on. With --params and --data (the fused
join) the examples are read here and their gradients never formed: a layer's
gradient is dz aᵀ, so s·∇ℓ = Σ dzᵀ(S a + s_b); the same scores as mtif-grad
PARAMS TRAIN | mtif-influence IHVP up to rounding (~1e-15 of the largest).

  --by-task               instead of per-example lines, the task×task matrix:
                          {"type":"relatedness","source":l,"target":k,
                          "value":R(l→k) = Σ_{z∈D_l} score_k(z),"n":examples summed}
  --matrix FILE           write the matrix to FILE (atomically) as well
  --chunk R               gradient rows per GEMM (64); with --params, examples
                          per batch (1024, and at most 4 MiB of their text)
  --params PARAMS         fused join: the parameter file mtif-ihvp solved at
  --data TRAIN            fused join: the training examples (NDJSON) to score
  -o, --output FILE       write there (atomically) instead of stdout
  -q, --quiet             no progress on stderr
  -h, --help              this text

examples:
  mtif-grad params.safetensors train.ndjson | mtif-influence ihvp.safetensors > scores.ndjson
  mtif-influence --by-task ihvp.safetensors grads.safetensors | jq -c 'select(.value > 0)'
  mtif-influence --params params.safetensors --data train.ndjson ihvp.safetensors > scores.ndjson
"""

runTool("mtif-influence") {
    let args = try Arguments(
        tool: "mtif-influence", Array(CommandLine.arguments.dropFirst()),
        options: ["--matrix", "--chunk", "--output", "--params", "--data"], flags: ["--by-task"])
    if args.help { return try printUsage(usage) }
    var options = InfluenceOptions()
    options.parametersPath = args.string("--params")
    options.dataPath = args.string("--data")
    let fused = options.parametersPath != nil || options.dataPath != nil
    if fused && args.positionals.count == 2 {
        throw MTIFError.usage(
            "unexpected argument '\(args.positionals[1])': with --params and --data the gradients are computed, not read",
            hint: "give either GRADS or --params PARAMS --data TRAIN")
    }
    guard (1 ... 2).contains(args.positionals.count) else {
        throw MTIFError.usage(
            args.positionals.isEmpty ? "missing argument: expected <IHVP.safetensors> [GRADS.safetensors]"
                : "unexpected argument '\(args.positionals[2])'",
            hint: "see 'mtif-influence --help'")
    }
    options.inverseHVPPath = args.positionals[0]
    options.gradientsPath = args.positionals.count == 2 ? args.positionals[1] : "-"
    try Arguments.requireOneStandardInput(
        options.inverseHVPPath, options.parametersPath, options.dataPath, fused ? nil : options.gradientsPath)
    options.outputPath = args.string("--output", default: "-")
    options.byTask = args.has("--by-task")
    options.matrixPath = args.string("--matrix")
    options.chunkRows = try args.int("--chunk", atLeast: 1)
    try runInfluence(options, log: Log(tool: "mtif-influence", quiet: args.quiet))
}
