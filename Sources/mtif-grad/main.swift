// mtif-grad: per-example gradients ∇ℓ(w*; z), or per-task mean gradients ∇V_k,
// at trained parameters, streamed into a safetensors vector file.
import Shared

let usage = """
usage: mtif-grad [options] PARAMS.safetensors DATA.ndjson -o GRADS.safetensors

Writes ∇ℓ(w*; z) of every example z of DATA, in input order, as rows of a
safetensors vector file (kind "gradients"): rows [id, task], the parameter and
data fingerprints in its metadata. A row of task l is zero outside (γ, θ_l), so
rows are stored as task blocks (γ, θ_l) unless --dense. Computed in batches and
streamed: a DATA file is read twice and never held, so memory grows only with
the [id, task] list of the header; from stdin ('-') the examples are held. DATA
is NDJSON examples; its tasks must be ones the model was trained on.

  --mean-by-task          one dense row per task of DATA instead: ∇V_k, the mean
                          gradient of its examples (kind "mean_gradients", row id
                          = task), the right-hand sides for mtif-ihvp
  --dense                 rows in the full parameter layout (P wide)
  --shard i/N             only examples [⌊i·n/N⌋, ⌊(i+1)·n/N⌋) of DATA (0-based);
                          shards 0..N−1 concatenate to the whole
  --batch-size B          examples per batched gradient computation (128)
  -o, --output FILE       write there (atomically) instead of stdout ('-')
  -q, --quiet             no progress on stderr
  -h, --help              this text

examples:
  mtif-grad --mean-by-task params.safetensors val.ndjson -o rhs.safetensors
  mtif-grad params.safetensors train.ndjson | mtif-influence ihvp.safetensors > scores.ndjson
"""

runTool("mtif-grad") {
    let args = try Arguments(
        tool: "mtif-grad", Array(CommandLine.arguments.dropFirst()),
        options: ["--shard", "--batch-size", "--output"], flags: ["--mean-by-task", "--dense"])
    if args.help { return try printUsage(usage) }
    var options = GradientOptions()
    let positionals = try args.positionals(exactly: ["PARAMS.safetensors", "DATA.ndjson"])
    options.parametersPath = positionals[0]
    options.dataPath = positionals[1]
    try Arguments.requireOneStandardInput(positionals[0], positionals[1])
    options.outputPath = args.string("--output", default: "-")
    options.meanByTask = args.has("--mean-by-task")
    options.dense = args.has("--dense")
    options.batchSize = try args.int("--batch-size", default: options.batchSize)
    options.shard = try args.string("--shard").map { try Shard(parsing: $0) }
    options.arguments = args.recordable
    try runGradients(options, log: Log(tool: "mtif-grad", quiet: args.quiet))
}
