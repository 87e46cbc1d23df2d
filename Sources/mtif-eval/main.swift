// mtif-eval: how well a trained model does on a data set, per task; the
// actual effect of a retraining; how well scores predicted those effects; and
// SVG pictures of the task matrix and of predicted vs actual effects.
import Shared

let usage = """
usage: mtif-eval [options] PARAMS.safetensors DATA.ndjson
       mtif-eval --baseline FULL.safetensors [options] PARAMS.safetensors DATA.ndjson
       mtif-eval compare [options] SCORES.ndjson EFFECTS.ndjson
       mtif-eval plot heatmap [options] MATRIX.ndjson
       mtif-eval plot scatter [options] PAIRS.ndjson

Metrics (first form): one NDJSON line per task present in DATA ({"type":"task",
"n", "loss", "accuracy" or "rmse"}) and an {"type":"overall"} line with the pooled
values and the mean of the per-task losses. DATA's tasks and classes must be ones
the model was trained on; '-' reads stdin.

Effects (--baseline): PARAMS was retrained from FULL without some examples
(mtif-train --exclude) or tasks (--tasks); one {"type":"effect"} line per target
task with actual = V_k(FULL) − V_k(PARAMS) on DATA (positive: what was left out
hurt the target) and the removed ids and tasks.

Agreement (compare): predicted effects from mtif-influence scores against actual
effects; {"type":"agreement"} lines with Pearson and Spearman for leave-one-out
(within-task, between-task, all), leave-one-task-out, and the linear datamodeling
score (subsets), each with the reweighting-corrected and the uncorrected prediction.

Plots (plot), SVG: heatmap reads the task matrix ({"type":"relatedness"} lines of
mtif-influence --by-task): rows = source tasks l, columns = target tasks k, red
where l hurts k (R > 0), blue where it helps, diagonal outlined, missing cells
hatched. scatter reads compare's --pairs file: predicted vs actual, y = x, and
Pearson and Spearman per group (LOO within/between-task, LOTO, LDS).

  --predictions           metrics form: one {"type":"prediction"} line per example
                          instead: id, task, y, prediction, loss, class probabilities
  --tasks A,B,…           metrics form: only these tasks' examples of DATA
  --tag KEY=VALUE         metrics form: add a string field to every record (repeatable)
  --baseline FULL         effects form, see above
  --pairs FILE            compare: also write every predicted/actual pair to FILE
  --title TEXT            plot: the title
  --experiment NAME       plot scatter: loo | loto | lds | all (all)
  --truth NAME            plot scatter: corrected | uncorrected prediction (corrected)
  -o, --output FILE       write there (atomically) instead of stdout
  -q, --quiet             no progress on stderr
  -h, --help              this text

examples:
  mtif-eval params.safetensors test.ndjson
  mtif-eval --baseline params.safetensors loo.safetensors val.ndjson >> effects.ndjson
  mtif-eval compare scores.ndjson effects.ndjson --pairs pairs.ndjson
  mtif-eval plot heatmap matrix.ndjson -o heatmap.svg
  mtif-eval plot scatter pairs.ndjson --experiment loo -o scatter.svg
"""

runTool("mtif-eval") {
    let args = try Arguments(
        tool: "mtif-eval", Array(CommandLine.arguments.dropFirst()),
        options: ["--output", "--baseline", "--pairs", "--title", "--experiment", "--truth", "--tasks", "--tag"], flags: ["--predictions"])
    if args.help { return try printUsage(usage) }
    let output = try OutputFile(path: args.string("--output"))
    if args.positionals.first == "plot" {
        try runPlot(args, output: output, log: Log(tool: "mtif-eval", quiet: args.quiet))
        return try output.commit()
    }
    try rejectPlotOptions(args)
    if args.positionals.first == "compare" {
        let paths = try args.positionals(exactly: ["compare", "SCORES.ndjson", "EFFECTS.ndjson"])
        try runAgreement(
            scoresPath: paths[1], effectsPath: paths[2], pairsPath: args.string("--pairs"), output: output,
            log: Log(tool: "mtif-eval", quiet: args.quiet))
    } else if let baseline = args.string("--baseline") {
        let paths = try args.positionals(exactly: ["PARAMS.safetensors", "DATA.ndjson"])
        try runEffects(baselinePath: baseline, parametersPath: paths[0], dataPath: paths[1], output: output)
    } else {
        let paths = try args.positionals(exactly: ["PARAMS.safetensors", "DATA.ndjson"])
        try runEvaluation(
            parametersPath: paths[0], dataPath: paths[1], predictions: args.has("--predictions"),
            tasks: args.list("--tasks"), tags: try args.tags(), output: output)
    }
    try output.commit()
}
