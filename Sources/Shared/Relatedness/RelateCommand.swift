/// The forms of `mtif-relate`, told apart by the first positional argument:
/// `compare`, or else one method's matrix (`--method`). Options of one form
/// are usage errors in the other, never silently ignored.
package func runRelateTool(_ arguments: Arguments) throws {
    let log = Log(tool: arguments.tool, quiet: arguments.quiet)
    let compare = arguments.positionals.first == "compare"
    let methodOnly = ["--method", "--matrix", "--ihvp", "--tol", "--max-iter", "--every", "--lookahead-rate", "--seconds"]
    let compareOnly = ["--truth", "--svg", "--markdown", "--accuracy", "--title"]
    for name in compare ? methodOnly : compareOnly where arguments.string(name) != nil {
        throw MTIFError.usage(
            compare ? "\(name) does not apply to 'compare'" : "\(name) applies to 'compare' only",
            hint: "see '\(arguments.tool) --help'")
    }
    if compare {
        let paths = arguments.positionals
        guard paths.count >= 3 else {
            throw MTIFError.usage(
                "compare needs the LOTO matrix and at least one other method's matrix",
                hint: "mtif-relate compare loto.ndjson mtif.ndjson cosine.ndjson …")
        }
        var options = RelateCompareOptions()
        options.groundTruthPath = paths[1]
        options.matrixPaths = Array(paths.dropFirst(2))
        options.truthPath = arguments.string("--truth")
        options.svgPath = arguments.string("--svg")
        options.markdownPath = arguments.string("--markdown")
        options.accuracyPath = arguments.string("--accuracy")
        options.title = arguments.string("--title") ?? options.title
        options.outputPath = arguments.string("--output", default: "-")
        try Arguments.requireOneStandardInput(options.groundTruthPath, options.truthPath, options.accuracyPath)
        try runRelateCompare(options, log: log)
        return
    }
    var options = RelateOptions()
    let paths = try arguments.positionals(exactly: ["PARAMS.safetensors", "TRAIN.ndjson", "VAL.ndjson"])
    (options.parametersPath, options.trainPath, options.validationPath) = (paths[0], paths[1], paths[2])
    if let name = arguments.string("--method") {
        options.method = RelatednessMethod(
            rawValue: try arguments.choice("--method", RelatednessMethod.allCases.map(\.rawValue), default: name))
    }
    options.matrixPath = arguments.string("--matrix")
    options.inverseHVPPath = arguments.string("--ihvp")
    options.tolerance = try arguments.double("--tol")
    if let tol = options.tolerance, !(tol >= 0 && tol.isFinite) { throw MTIFError.usage("--tol must be ≥ 0") }
    options.maxIterations = try arguments.int("--max-iter", default: options.maxIterations, atLeast: 0)
    options.lookahead.every = try arguments.int("--every", default: options.lookahead.every, atLeast: 1)
    options.lookahead.rate = try arguments.double("--lookahead-rate", default: options.lookahead.rate, atLeast: 0, strictly: true)
    options.seconds = try arguments.double("--seconds")
    options.outputPath = arguments.string("--output", default: "-")
    if options.method == .loto, options.trainPath == "-" || options.parametersPath == "-" {
        throw MTIFError.usage("--method loto reads PARAMS and TRAIN once per retraining: give them as files, not '-'")
    }
    try runRelate(options, log: log)
}
