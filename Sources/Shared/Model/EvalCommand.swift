/// The forms of `mtif-eval`, told apart by the first positional argument:
/// `compare`, `plot`, `summarize`, or else metrics of a model on data (effects
/// with `--baseline`). Options of one form are usage errors in the others,
/// never silently ignored. `output` is committed by the caller.
package func runEvalTool(_ arguments: Arguments, output: OutputFile) throws {
    let log = Log(tool: arguments.tool, quiet: arguments.quiet)
    let form = arguments.positionals.first
    let current = ["compare", "plot", "summarize"].contains(form ?? "") ? form! : "model"
    for (name, forms) in EvalForms.restricted where arguments.string(name) != nil || arguments.has(name) {
        guard !forms.contains(current) else { continue }
        let message = current != "model" && (forms == ["model"] || forms == ["compare"])
            ? "\(name) does not apply to '\(current)'"
            : "\(name) applies to \(EvalForms.describe(forms)) only"
        throw MTIFError.usage(message, hint: "see '\(arguments.tool) --help'")
    }
    switch current {
    case "plot":
        try runPlot(arguments, output: output, log: log)
    case "summarize":
        try runSummary(arguments, output: output, log: log)
    case "compare":
        let paths = try arguments.positionals(exactly: ["compare", "SCORES.ndjson", "EFFECTS.ndjson"])
        try Arguments.requireOneStandardInput(paths[1], paths[2])
        try runAgreement(
            scoresPath: paths[1], effectsPath: paths[2], pairsPath: arguments.string("--pairs"), output: output, log: log)
    default:
        let paths = try arguments.positionals(exactly: ["PARAMS.safetensors", "DATA.ndjson"])
        try Arguments.requireOneStandardInput(paths[0], paths[1], arguments.string("--baseline"))
        if let baseline = arguments.string("--baseline") {
            var options = EffectsOptions()
            options.baselinePath = baseline
            options.parametersPath = paths[0]
            options.dataPath = paths[1]
            options.trainPath = arguments.string("--train")
            options.perExample = arguments.has("--per-example")
            options.baselineStepPath = arguments.string("--baseline-step")
            options.stepPath = arguments.string("--step")
            for (name, path) in [("--baseline-step", options.baselineStepPath), ("--step", options.stepPath)]
            where path != nil && options.trainPath == nil {
                throw MTIFError.usage("\(name) keeps the Newton step of the error estimate; it needs --train",
                                      hint: "give --train TRAIN.ndjson")
            }
            if let step = options.stepPath, step == options.baselineStepPath {
                throw MTIFError.usage("--step and --baseline-step name the same file, \(step)",
                                      hint: "FULL's step and the retrain's are different vectors: give two files")
            }
            try Arguments.requireOneStandardInput(paths[0], paths[1], baseline, options.trainPath)
            try runEffects(options, output: output, log: log)
        } else {
            for name in ["--train", "--per-example", "--baseline-step", "--step"] where arguments.string(name) != nil || arguments.has(name) {
                throw MTIFError.usage("\(name) applies to the effects form (--baseline FULL) only",
                                      hint: "see '\(arguments.tool) --help'")
            }
            try runEvaluation(
                parametersPath: paths[0], dataPath: paths[1], predictions: arguments.has("--predictions"),
                tasks: arguments.list("--tasks"), tags: try arguments.tags(),
                shard: try arguments.string("--shard").map { try Shard(parsing: $0) }, output: output)
        }
    }
}

/// Which forms each form-specific option of mtif-eval belongs to ("model" is
/// the metrics/effects form on PARAMS and DATA).
private enum EvalForms {
    static let restricted: [(String, [String])] = [
        ("--predictions", ["model"]), ("--baseline", ["model"]), ("--train", ["model"]), ("--per-example", ["model"]),
        ("--baseline-step", ["model"]), ("--step", ["model"]),
        ("--pairs", ["compare"]),
        ("--tasks", ["model"]), ("--tag", ["model"]), ("--shard", ["model"]),
        ("--title", ["plot", "summarize"]), ("--experiment", ["plot"]), ("--truth", ["plot"]), ("--label", ["plot"]),
        ("--agreement", ["summarize"]), ("--markdown", ["summarize"]),
        ("--heatmap", ["summarize"]), ("--scatter", ["summarize"]),
    ]

    static func describe(_ forms: [String]) -> String {
        forms.map { $0 == "model" ? "the metrics and effects forms" : "'\($0)'" }.joined(separator: " and ")
    }
}
