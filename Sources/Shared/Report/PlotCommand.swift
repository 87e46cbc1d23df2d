/// `mtif-eval plot heatmap MATRIX`, `mtif-eval plot scatter PAIRS`,
/// `mtif-eval plot figure PAIRS…` and `mtif-eval plot deltas SUMMARY`: SVG
/// pictures for the reports, written to `output`.
///
/// Options read from `arguments`: `--title TEXT` (all); scatter and figure:
/// `--truth corrected|uncorrected` (corrected); scatter: `--experiment
/// loo|loto|group|lds|all` (all); figure: `--label NAME` per PAIRS file (its
/// directory's name). Missing matrix cells are drawn hatched and reported as a
/// warning on stderr; everything else wrong with the input is an input error.
package func runPlot(_ arguments: Arguments, output: OutputFile, log: Log) throws {
    let kind = arguments.positionals.count > 1 ? arguments.positionals[1] : "heatmap|scatter|figure"
    if kind == "figure" { return try runFigurePlot(arguments, output: output, log: log) }
    if arguments.string("--label") != nil {
        throw MTIFError.usage("--label applies to 'plot figure' only", hint: "see '\(arguments.tool) --help'")
    }
    let input = kind == "heatmap" ? "MATRIX.ndjson" : kind == "scatter" ? "PAIRS.ndjson" : kind == "deltas" ? "SUMMARY.ndjson" : "FILE.ndjson"
    let paths = try arguments.positionals(exactly: ["plot", kind, input])
    for name in ["--baseline", "--pairs"] where arguments.string(name) != nil {
        throw MTIFError.usage("\(name) does not apply to 'plot'", hint: "see '\(arguments.tool) --help'")
    }
    if arguments.has("--predictions") {
        throw MTIFError.usage("--predictions does not apply to 'plot'", hint: "see '\(arguments.tool) --help'")
    }
    let title = arguments.string("--title")
    switch paths[1] {
    case "heatmap":
        for name in ["--experiment", "--truth"] where arguments.string(name) != nil {
            throw MTIFError.usage("\(name) applies to 'plot scatter' only", hint: "see '\(arguments.tool) --help'")
        }
        let matrix = try TaskMatrix.read(path: paths[2])
        let missing = matrix.missingCells
        if !missing.isEmpty {
            let shown = missing.prefix(8).map { "\($0.source) → \($0.target)" }.joined(separator: ", ")
            log.warning(
                "\(displayName(paths[2])): \(missing.count) of \(matrix.tasks.count * matrix.tasks.count) cells "
                    + "have no relatedness record (drawn hatched): \(shown)\(missing.count > 8 ? ", …" : "")")
        }
        try output.write(Heatmap(matrix: matrix, title: title).render())
        log.info("heatmap of \(matrix.tasks.count) tasks, |R| ≤ \(Ticks.significant(matrix.maxMagnitude, digits: 3))")
    case "scatter":
        let experiment = try arguments.choice("--experiment", ["loo", "loto", "group", "lds", "all"], default: "all")
        let truth = EffectPair.Truth(
            rawValue: try arguments.choice("--truth", ["corrected", "uncorrected"], default: "corrected"))!
        let pairs = try EffectPair.read(path: paths[2], experiment: experiment == "all" ? nil : experiment, truth: truth)
        let scatter = Scatter(pairs: pairs, title: title, truth: truth)
        try output.write(scatter.render())
        log.info("scatter of \(pairs.count) pairs: " + scatter.legendLines().map(\.text).joined(separator: "; "))
    case "deltas":
        for name in ["--experiment", "--truth"] where arguments.string(name) != nil {
            throw MTIFError.usage("\(name) applies to 'plot scatter' only", hint: "see '\(arguments.tool) --help'")
        }
        let plot = DeltaPlot(points: try DeltaPlot.read(path: paths[2]), title: title)
        try output.write(plot.render())
        log.info("deltas of \(Set(plot.points.map(\.target)).count) targets, \(Set(plot.points.map(\.arm)).count) arms")
    default:
        throw MTIFError.usage("unknown plot '\(paths[1])': expected heatmap, scatter, figure or deltas",
                              hint: "see '\(arguments.tool) --help'")
    }
}


/// `plot figure PAIRS…`: the paper's Figure 1, a row of within-task and
/// between-task panels per PAIRS file (its leave-one-out pairs).
private func runFigurePlot(_ arguments: Arguments, output: OutputFile, log: Log) throws {
    let paths = Array(arguments.positionals.dropFirst(2))
    guard !paths.isEmpty else {
        throw MTIFError.usage("missing argument: expected <PAIRS.ndjson> [PAIRS.ndjson …]", hint: "see '\(arguments.tool) --help'")
    }
    if arguments.string("--experiment") != nil {
        throw MTIFError.usage("--experiment does not apply to 'plot figure' (it shows leave-one-out pairs)",
                              hint: "see '\(arguments.tool) --help'")
    }
    for name in ["--baseline", "--pairs"] where arguments.string(name) != nil {
        throw MTIFError.usage("\(name) does not apply to 'plot'", hint: "see '\(arguments.tool) --help'")
    }
    guard paths.filter({ $0 == "-" }).count <= 1 else {
        throw MTIFError.usage("only one input can be standard input ('-')", hint: "give the others as files")
    }
    let labels = arguments.strings("--label")
    guard labels.isEmpty || labels.count == paths.count else {
        throw MTIFError.usage("--label given \(labels.count) times for \(paths.count) PAIRS files",
                              hint: "give one --label per file, in the same order, or none")
    }
    let truth = EffectPair.Truth(
        rawValue: try arguments.choice("--truth", ["corrected", "uncorrected"], default: "corrected"))!
    var datasets: [Figure.Dataset] = []
    for (i, path) in paths.enumerated() {
        let label = labels.isEmpty ? defaultLabel(path) : labels[i]
        datasets.append(Figure.Dataset(label: label, pairs: try EffectPair.read(path: path, experiment: "loo", truth: truth)))
    }
    let figure = Figure(datasets: datasets, title: arguments.string("--title"), truth: truth)
    try output.write(figure.render())
    for dataset in datasets {
        for group in [EffectPair.Group.withinTask, .betweenTask] {
            let members = Figure.members(dataset, group)
            log.info("\(dataset.label) \(group.label): " + Figure.caption(members, Figure.statistics(members)).joined(separator: "; "))
        }
    }
}

/// A PAIRS file's label by default: the name of the run directory it is in
/// ("runs/synth-hard-seed0/figure/pairs.ndjson" → "synth-hard-seed0").
private func defaultLabel(_ path: String) -> String {
    guard path != "-" else { return "" }
    var parts = path.split(separator: "/").map(String.init)
    parts.removeLast()
    if parts.last == "figure" { parts.removeLast() }
    return parts.last ?? ""
}
