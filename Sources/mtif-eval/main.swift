// mtif-eval: how well a trained model does on a data set, per task; the
// actual effect of a retraining; how well scores predicted those effects; SVG
// pictures of the task matrix and of predicted vs actual effects; and the
// summary of the main experiment.
import Shared

let usage = """
usage: mtif-eval [options] PARAMS.safetensors DATA.ndjson
       mtif-eval --baseline FULL.safetensors [options] PARAMS.safetensors DATA.ndjson
       mtif-eval compare [options] SCORES.ndjson EFFECTS.ndjson
       mtif-eval plot heatmap [options] MATRIX.ndjson
       mtif-eval plot scatter [options] PAIRS.ndjson
       mtif-eval plot figure [options] PAIRS.ndjson [PAIRS.ndjson …]
       mtif-eval plot deltas [options] SUMMARY.ndjson
       mtif-eval summarize [options] RESULTS.ndjson

Metrics (first form): one NDJSON line per task present in DATA ({"type":"task",
"n", "loss", "accuracy" or "rmse"}) and an {"type":"overall"} line with the pooled
values and the mean of the per-task losses. DATA's tasks and classes must be ones
the model was trained on; '-' reads stdin.

Effects (--baseline): PARAMS was retrained from FULL without some examples
(mtif-train --exclude) or tasks (--tasks); one {"type":"effect"} line per target
task with actual = V_k(FULL) − V_k(PARAMS) on DATA (positive: what was left out
hurt the target), the removed ids and tasks, and shared_move = ‖γ − γ_FULL‖ of
the shared parameters. With --train, also both models'
‖∇L‖ and actual_error: the change of the target one more Newton step at each
model would still make (error_method says how it was found, or that it is unknown).

Agreement (compare): predicted effects from mtif-influence scores against actual
effects; {"type":"agreement"} lines with Pearson and Spearman for leave-one-out
(within-task, between-task, all), leave-one-task-out, part of one task left out
(group: within-task, between-task, all), and the linear datamodeling score
(subsets), each with the reweighting-corrected and the uncorrected prediction,
on all pairs, on those above the noise (|actual| > 3 × actual_error) and without
basin jumps; {"type":"noise"} lines with the noise floor; {"type":"jumps"} lines
naming the retrains whose shared_move is above 3× their experiment's median (a
non-convex model that settled in another basin); per single test point its own
correlations.

Plots (plot), SVG: heatmap reads the task matrix ({"type":"relatedness"} lines of
mtif-influence --by-task): rows = source tasks l, columns = target tasks k, red
where l hurts k (R > 0), blue where it helps, diagonal outlined, missing cells
hatched. scatter reads compare's --pairs file: predicted vs actual, y = x, and
Pearson and Spearman per group (LOO within/between-task, LOTO, part of a task,
LDS). figure reads the pairs of single test points (the paper's Figure 1): per
PAIRS file a row of a within-task and a between-task panel, x = actual LOO
change, y = prediction, r and ρ per panel (with several test points their median and range). deltas reads
summarize's output: per target the mean Δ test loss vs mtl of each selection arm
with its 95 % bootstrap interval over the repeats.

Summary (summarize): RESULTS holds the experiment's test evaluations ("task"
records tagged arm, target, budget, seed, repeat; split=val for the same model on
the validation split), selection reports and planted-truth records. Writes
{"type":"result"} per target and arm (test loss, accuracy or RMSE, Δ vs the mtl
arm of the same repeat, mean over repeats with a 95 % bootstrap interval, dropped,
seeds), including mtif@val (per target and repeat the budget, 0 = mtl, of lowest
validation loss) and random@val; {"type":"mean"} per arm; {"type":"test"} paired
Wilcoxon signed-rank tests across targets (every arm vs mtl, mtif arms vs random
and whole_tasks); {"type":"planted"} recall and precision; a table on stderr; with
--markdown a readable report. Every target needs an mtl arm.

  --predictions           metrics form: one {"type":"prediction"} line per example
                          instead: id, task, y, prediction, loss, class probabilities
  --shard i/N             --predictions: only examples [⌊i·n/N⌋, ⌊(i+1)·n/N⌋) of
                          DATA (0-based); shards 0..N−1 concatenate to the whole
  --tasks A,B,…           metrics form: only these tasks' examples of DATA
  --tag KEY=VALUE         metrics form: add a string field to every record (repeatable)
  --baseline FULL         effects form, see above
  --train TRAIN           effects form: the training file (before --exclude), for
                          the Newton-step error of actual
  --per-example           effects form: one line per example z of DATA instead
                          (target = its id, target_task), ℓ(FULL; z) − ℓ(PARAMS; z)
  --baseline-step FILE    effects form: keep FULL's Newton step in FILE (reused while
                          FULL and TRAIN are the same)
  --step FILE             effects form: the same for PARAMS' step, so effects on other
                          targets of the same retrain (e.g. --per-example) reuse it
  --pairs FILE            compare: also write every predicted/actual pair to FILE
  --title TEXT            plot, summarize: the title
  --experiment NAME       plot scatter: loo | loto | group | lds | all (all)
  --truth NAME            plot scatter, figure: corrected | uncorrected (corrected)
  --label NAME            plot figure: a row's label, once per PAIRS file (its run's name)
  --agreement FILE        summarize: compare's agreement records, for the report
  --markdown FILE         summarize: write the report there (atomically)
  --heatmap, --scatter F  summarize: SVGs the report links (relative to FILE)
  --deltas FILE           summarize: write the per-target Δ picture there and link it
  -o, --output FILE       write there (atomically) instead of stdout
  -q, --quiet             no progress on stderr
  -h, --help              this text

examples:
  mtif-eval params.safetensors test.ndjson
  mtif-eval --baseline params.safetensors --train train.ndjson loo.safetensors val.ndjson >> effects.ndjson
  mtif-eval compare scores.ndjson effects.ndjson --pairs pairs.ndjson
  mtif-eval plot heatmap matrix.ndjson -o heatmap.svg
  mtif-eval plot scatter pairs.ndjson --experiment loo -o scatter.svg
  mtif-eval plot figure --label synthetic synth-pairs.ndjson --label HAR har-pairs.ndjson -o fig1.svg
  mtif-eval summarize results.ndjson --markdown report.md --heatmap heatmap.svg
"""

runTool("mtif-eval") {
    let args = try Arguments(
        tool: "mtif-eval", Array(CommandLine.arguments.dropFirst()),
        options: ["--output", "--baseline", "--train", "--baseline-step", "--step", "--pairs", "--title", "--experiment",
                  "--truth", "--label",
                  "--agreement", "--markdown", "--heatmap", "--scatter", "--deltas", "--tasks", "--tag", "--shard"],
        flags: ["--predictions", "--per-example"])
    if args.help { return try printUsage(usage) }
    let output = try OutputFile(path: args.string("--output"))
    try runEvalTool(args, output: output)
    try output.commit()
}
