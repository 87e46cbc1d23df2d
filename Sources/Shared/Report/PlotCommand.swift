/// `mtif-eval plot heatmap MATRIX` and `mtif-eval plot scatter PAIRS`: SVG
/// pictures for the experiment report, written to `output`.
///
/// Options read from `arguments`: `--title TEXT` (both); scatter only:
/// `--experiment loo|loto|lds|all` (all) and `--truth corrected|uncorrected`
/// (corrected). Missing matrix cells are drawn hatched and reported as a
/// warning on stderr; everything else wrong with the input is an input error.
package func runPlot(_ arguments: Arguments, output: OutputFile, log: Log) throws {
    let kind = arguments.positionals.count > 1 ? arguments.positionals[1] : "heatmap|scatter"
    let input = kind == "heatmap" ? "MATRIX.ndjson" : kind == "scatter" ? "PAIRS.ndjson" : "FILE.ndjson"
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
        let experiment = try arguments.choice("--experiment", ["loo", "loto", "lds", "all"], default: "all")
        let truth = EffectPair.Truth(
            rawValue: try arguments.choice("--truth", ["corrected", "uncorrected"], default: "corrected"))!
        let pairs = try EffectPair.read(path: paths[2], experiment: experiment == "all" ? nil : experiment, truth: truth)
        let scatter = Scatter(pairs: pairs, title: title, truth: truth)
        try output.write(scatter.render())
        log.info("scatter of \(pairs.count) pairs: " + scatter.legendLines().map(\.text).joined(separator: "; "))
    default:
        throw MTIFError.usage("unknown plot '\(paths[1])': expected heatmap or scatter",
                              hint: "see '\(arguments.tool) --help'")
    }
}

