// mtif-select: drop the training examples that the influence scores say hurt
// the target task(s), and write the rest of the training set unchanged.
import Shared

let usage = """
usage: mtif-select [options] SCORES.ndjson TRAIN.ndjson > KEPT.ndjson

Writes the examples of TRAIN that survive selection, each line byte for byte,
in input order. SCORES is mtif-influence's output for TRAIN: score_k(z) > 0
means z hurts target k. With several targets an example's selection score is
the sum of its scores over them. Either input may be '-' (stdin).

Default rule: candidates with selection score > 0 are dropped, most harmful
first (ties in input order), up to the budget; a score ≤ 0 is never dropped.
A task always keeps at least one example (the drop that would empty it is
skipped), except under --whole-tasks, which removes tasks entirely.

selection:
  --target T[,T…]         target task(s) (required)
  --candidates others|all examples that may go: other tasks' or all (others)
  --fraction F            drop at most floor(F · candidates) (all harmful)
  --count N               drop at most N (all harmful)
  --whole-tasks           baseline: drop every non-target task l with
                          R(l→targets) > 0, all its examples
  --matrix FILE           --whole-tasks: R(l→k) from this task matrix instead
                          of SCORES (mtif-relate's value, or mtif-influence --by-task)
  --random                baseline: drop as many as the rule above would,
                          chosen uniformly among the candidates
  --seed S                seed of --random (0)
  --min-t T               drop only candidates whose score stands T standard
                          errors above 0 over the targets' single validation
                          points (the sampling noise of the validation split)
  --point-scores FILE     --min-t: scores of TRAIN on single validation points
                          (mtif-grad --dense PARAMS POINTS | mtif-ihvp, then
                          mtif-grad PARAMS TRAIN | mtif-influence)
  --points FILE           --min-t: those points (NDJSON), for their tasks
outputs:
  -o, --output FILE       kept examples, written atomically ('-' = stdout)
  --report FILE           NDJSON: a "dropped" record per task, a "selection" total,
                          and a "planted" record when TRAIN marks "corrupted" or
                          "unrelated" examples (mtif-data synth)
  --dropped-ids FILE      dropped ids, one per line, in input order
  --tag KEY=VALUE         add a string field to every report record (repeatable)
  -q, --quiet             no summary on stderr
  -h, --help              this text

examples:
  mtif-select --target t01 --fraction 0.1 scores.ndjson train.ndjson > kept.ndjson
  mtif-select --target t01,t02 --candidates all --count 20 --report report.ndjson scores.ndjson train.ndjson -o kept.ndjson
  mtif-select --target t01 --fraction 0.1 --random --seed 7 --dropped-ids gone.txt scores.ndjson train.ndjson > random.ndjson
  mtif-select --target t01 --fraction 0.1 --min-t 2 --point-scores point-scores.ndjson --points val.ndjson scores.ndjson train.ndjson > kept.ndjson
"""

runTool("mtif-select") {
    let args = try Arguments(
        tool: "mtif-select", Array(CommandLine.arguments.dropFirst()),
        options: ["--target", "--candidates", "--fraction", "--count", "--seed", "--output", "--report", "--dropped-ids", "--tag", "--matrix",
                  "--min-t", "--point-scores", "--points"],
        flags: ["--whole-tasks", "--random"])
    if args.help { return try printUsage(usage) }
    var options = SelectOptions()
    let paths = try args.positionals(exactly: ["SCORES.ndjson", "TRAIN.ndjson"])
    (options.scoresPath, options.trainPath) = (paths[0], paths[1])
    guard paths != ["-", "-"] else { throw MTIFError.usage("SCORES and TRAIN cannot both be standard input") }
    options.outputPath = args.string("--output", default: "-")
    options.reportPath = args.string("--report")
    options.droppedIdsPath = args.string("--dropped-ids")
    options.tags = try args.tags()
    guard let targets = args.list("--target"), !targets.isEmpty else {
        throw MTIFError.usage("--target is required", hint: "e.g. --target t01, or --target t01,t02 for several")
    }
    options.selection.targets = targets
    options.selection.scope = CandidateScope(rawValue: try args.choice("--candidates", ["others", "all"], default: "others"))!
    let fraction = try args.double("--fraction"), count = try args.int("--count")
    if fraction != nil && count != nil { throw MTIFError.usage("--fraction and --count exclude each other") }
    if let fraction { options.selection.budget = .fraction(fraction) }
    if let count { options.selection.budget = .count(count) }
    if args.has("--random") && args.has("--whole-tasks") {
        throw MTIFError.usage("--random and --whole-tasks exclude each other")
    }
    options.selection.rule = args.has("--whole-tasks") ? .wholeTasks : args.has("--random") ? .random : .mtif
    options.selection.seed = try args.uint64("--seed", default: 0)
    options.matrixPath = args.string("--matrix")
    if options.matrixPath != nil && options.selection.rule != .wholeTasks { throw MTIFError.usage("--matrix applies to --whole-tasks only") }
    options.selection.minT = try args.double("--min-t")
    options.pointScoresPath = args.string("--point-scores")
    options.pointsPath = args.string("--points")
    if options.selection.minT == nil && (options.pointScoresPath != nil || options.pointsPath != nil) {
        throw MTIFError.usage("--point-scores and --points apply to --min-t only")
    }
    try runSelection(options, log: Log(tool: "mtif-select", quiet: args.quiet))
}
