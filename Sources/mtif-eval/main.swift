// mtif-eval: how well a trained model does on a data set, per task.
import Shared

let usage = """
usage: mtif-eval [options] PARAMS.safetensors DATA.ndjson

Writes one NDJSON line per task present in DATA ({"type":"task", "n", "loss",
"accuracy" or "rmse"}) and an {"type":"overall"} line with the pooled values and
the mean of the per-task losses. DATA is NDJSON examples ('-' = stdin); its
tasks and classes must be ones the model was trained on.

  --predictions           one {"type":"prediction"} line per example instead:
                          id, task, y, prediction, loss, class probabilities
  -o, --output FILE       write there (atomically) instead of stdout
  -q, --quiet             no progress on stderr
  -h, --help              this text

example:
  mtif-eval params.safetensors test.ndjson | jq -r 'select(.type=="task") | [.task, .accuracy] | @tsv'
"""

runTool("mtif-eval") {
    let args = try Arguments(
        tool: "mtif-eval", Array(CommandLine.arguments.dropFirst()), options: ["--output"], flags: ["--predictions"])
    if args.help { return try printUsage(usage) }
    let paths = try args.positionals(exactly: ["PARAMS.safetensors", "DATA.ndjson"])
    let output = try OutputFile(path: args.string("--output"))
    try runEvaluation(parametersPath: paths[0], dataPath: paths[1], predictions: args.has("--predictions"), output: output)
    try output.commit()
}
