/// The subcommands of `mtif-data`. Each takes its own arguments (after the
/// subcommand name) and writes NDJSON examples or records to `-o` or stdout.
package enum DataCommand: String, CaseIterable, Sendable {
    case synth, split, csv, har, standardize, stats, sample

    package func run(_ arguments: [String], usage: String) throws {
        let tool = "mtif-data \(rawValue)"
        let args = try Arguments(tool: tool, arguments, options: options, flags: flags)
        if args.help { return try printUsage(usage) }
        let log = Log(tool: tool, quiet: args.quiet)
        switch self {
        case .synth: try runSynth(args, log: log)
        case .split: try runSplit(args, log: log)
        case .csv: try runCSV(args, log: log)
        case .har: try runHAR(args, log: log)
        case .standardize: try runStandardize(args, log: log)
        case .stats: try runStats(args)
        case .sample: try runSample(args, log: log)
        }
    }

    private var options: [String] {
        switch self {
        case .synth:
            return ["--tasks", "--features", "--classes", "--train", "--val", "--test", "--unrelated", "--corrupt",
                    "--deviation", "--noise", "--seed", "--output"]
        case .split: return ["--fractions", "--seed", "--prefix", "--train", "--val", "--test", "--tasks", "--blocks", "--gap"]
        case .csv: return ["--task", "--label", "--id", "--features", "--task-prefix", "--label-kind", "--output"]
        case .har, .stats: return ["--output"]
        case .standardize: return ["--fit", "--output"]
        case .sample: return ["--count", "--fraction", "--seed", "--tasks", "--output"]
        }
    }

    private var flags: [String] {
        switch self {
        case .synth: return ["--regression"]
        case .sample: return ["--per-task", "--ids", "--complement"]
        default: return []
        }
    }
}

private func runSynth(_ args: Arguments, log: Log) throws {
    guard args.positionals.isEmpty else {
        throw MTIFError.usage("synth reads no input, found '\(args.positionals[0])'", hint: "see 'mtif-data --help'")
    }
    var spec = SyntheticSpec()
    spec.tasks = try args.int("--tasks", default: spec.tasks)
    spec.features = try args.int("--features", default: spec.features)
    spec.classes = try args.int("--classes", default: spec.classes)
    if args.has("--regression") { spec.kind = .regression }
    spec.train = try args.int("--train", default: spec.train)
    spec.val = try args.int("--val", default: spec.val)
    spec.test = try args.int("--test", default: spec.test)
    spec.unrelatedFraction = try args.double("--unrelated", default: spec.unrelatedFraction)
    spec.corruptFraction = try args.double("--corrupt", default: spec.corruptFraction)
    spec.taskDeviation = try args.double("--deviation", default: spec.taskDeviation)
    spec.noise = try args.double("--noise", default: spec.noise)
    spec.seed = try args.uint64("--seed", default: spec.seed)
    let examples = try makeSyntheticData(spec)
    try writeExamples(examples, to: args.string("--output"))
    log.info("\(examples.count) examples, \(spec.tasks) tasks (\(spec.unrelatedCount) unrelated), \(spec.corruptedPerTask) corrupted training labels per related task")
}

private func runSplit(_ args: Arguments, log: Log) throws {
    let input = try singleInput(args)
    var fractions = (train: 0.6, val: 0.2, test: 0.2)
    if let parts = args.list("--fractions") {
        let values = parts.compactMap(Double.init)
        guard values.count == 3, parts.count == 3 else {
            throw MTIFError.usage("--fractions: expected three numbers TRAIN,VAL,TEST, found '\(args.string("--fractions")!)'")
        }
        fractions = (values[0], values[1], values[2])
    }
    let paths: [String]
    if let prefix = args.string("--prefix") {
        paths = ["train", "val", "test"].map { prefix + $0 + ".ndjson" }
    } else if let train = args.string("--train"), let val = args.string("--val"), let test = args.string("--test") {
        paths = [train, val, test]
    } else {
        throw MTIFError.usage("split needs --prefix P, or all of --train, --val and --test", hint: "see 'mtif-data --help'")
    }
    var examples = try ExampleReader.readAll(path: input)
    if let tasks = args.list("--tasks") {
        examples = try Shared.examples(examples, ofTasks: tasks, in: displayName(input))
    }
    var blocks: BlockSplit? = nil
    if let count = try args.int("--blocks") { blocks = BlockSplit(count: count, gap: try args.int("--gap", default: 0)) }
    if blocks == nil, args.string("--gap") != nil { throw MTIFError.usage("--gap applies to --blocks") }
    let mode = blocks == nil ? splitMode(of: examples) : .blocks
    let seed = try args.uint64("--seed", default: 0)
    let parts: SplitParts
    var redealt: [String] = [], uncovered: [(task: String, missing: Int)] = []
    do {
        if let blocks {
            (parts, redealt, uncovered) = try splitByBlocksReporting(examples, blocks: blocks, fractions: fractions, seed: seed)
        } else {
            parts = try splitExamples(examples, fractions: fractions, seed: seed)
        }
    } catch let error as MTIFError where error.kind == .input {
        // The split functions see examples, not files: say which file held them.
        throw MTIFError(.input, "\(displayName(input)): \(error.message)", hint: error.hint)
    }
    for (path, part) in zip(paths, [parts.train, parts.val, parts.test]) {
        try writeExamples(part, to: path)
    }
    let how: String
    switch mode {
    case .field: how = "by the examples' split field"
    case .fractions: how = "by fractions"
    case .blocks: how = "by \(blocks!.count) contiguous blocks per task, gap \(blocks!.gap)"
    }
    let gaps = examples.count - parts.train.count - parts.val.count - parts.test.count
    log.info("\(how): train \(parts.train.count), val \(parts.val.count), test \(parts.test.count)\(gaps > 0 ? ", \(gaps) dropped in gaps" : "") → \(paths.joined(separator: ", "))")
    if !redealt.isEmpty {
        log.info("blocks dealt again (seeded) so that training holds every label of: \(redealt.joined(separator: ", "))")
    }
    for (task, missing) in uncovered {
        log.warning("no deal of task \"\(task)\"'s blocks puts all its labels in training: \(missing) label\(missing == 1 ? " is" : "s are") only in validation or test (raise --blocks)")
    }
}

private func runStandardize(_ args: Arguments, log: Log) throws {
    guard let fitPath = args.string("--fit") else {
        throw MTIFError.usage("standardize needs --fit TRAIN.ndjson (the training split only)")
    }
    let input = try singleInput(args)
    try Arguments.requireOneStandardInput(fitPath, input)
    let standardizer = try Standardizer(fitting: try ExampleReader.readAll(path: fitPath))
    let examples = try standardizer.apply(try ExampleReader.readAll(path: input))
    try writeExamples(examples, to: args.string("--output"))
    log.info("standardized \(examples.count) examples by mean and std of \(fitPath)")
}

private func runStats(_ args: Arguments) throws {
    let stats = try DatasetStats(try ExampleReader.readAll(path: try singleInput(args)))
    let out = try OutputFile(path: args.string("--output"))
    for line in try stats.records() { try out.write(line.hasSuffix("\n") ? line : line + "\n") }
    try out.commit()
}

private func runSample(_ args: Arguments, log: Log) throws {
    let size: SampleSize
    switch (try args.int("--count"), try args.double("--fraction")) {
    case (let n?, nil): size = .count(n)
    case (nil, let f?): size = .fraction(f)
    default: throw MTIFError.usage("sample needs one of --count N or --fraction F")
    }
    let input = try singleInput(args)
    var examples = try ExampleReader.readAll(path: input)
    if let tasks = args.list("--tasks") { examples = try Shared.examples(examples, ofTasks: tasks, in: displayName(input)) }
    var chosen = Set(try sampleExamples(examples, size: size, perTask: args.has("--per-task"), seed: try args.uint64("--seed", default: 0)))
    if args.has("--complement") { chosen = Set(examples.indices).subtracting(chosen) }
    let picked = examples.indices.filter { chosen.contains($0) }.map { examples[$0] }
    if args.has("--ids") {
        let out = try OutputFile(path: args.string("--output"))
        for example in picked { try out.write(example.id + "\n") }
        try out.commit()
    } else {
        try writeExamples(picked, to: args.string("--output"))
    }
    log.info("sampled \(picked.count) of \(examples.count) examples")
}

/// The one input path of a subcommand: a positional, or stdin when none.
private func singleInput(_ args: Arguments) throws -> String {
    guard args.positionals.count <= 1 else {
        throw MTIFError.usage("unexpected argument '\(args.positionals[1])'", hint: "see 'mtif-data --help'")
    }
    return args.positionals.first ?? "-"
}

/// Writes examples as NDJSON, atomically when `path` is a file.
package func writeExamples(_ examples: [Example], to path: String?) throws {
    let out = try OutputFile(path: path)
    var writer = ExampleWriter(output: out)
    try writer.write(examples)
    try out.commit()
}

private func runCSV(_ args: Arguments, log: Log) throws {
    guard let task = args.string("--task"), let label = args.string("--label") else {
        throw MTIFError.usage("csv needs --task COLUMN and --label COLUMN", hint: "see 'mtif-data --help'")
    }
    let kind = try args.choice("--label-kind", CSVConversion.LabelKind.allCases.map(\.rawValue), default: "auto")
    let conversion = CSVConversion(
        taskColumn: task, labelColumn: label, idColumn: args.string("--id"), featureColumns: args.list("--features"),
        labelKind: CSVConversion.LabelKind(rawValue: kind)!, taskPrefix: args.string("--task-prefix", default: ""))
    let examples = try conversion.convert(path: try singleInput(args))
    try writeExamples(examples, to: args.string("--output"))
    log.info("\(examples.count) examples, \(Set(examples.map(\.task)).count) tasks, \(examples.first?.x.count ?? 0) features")
}

private func runHAR(_ args: Arguments, log: Log) throws {
    guard args.positionals.count == 1 else {
        throw MTIFError.usage("har needs the \"UCI HAR Dataset\" folder", hint: "mtif-data har 'UCI HAR Dataset' > har.ndjson")
    }
    let examples = try HARLayout.read(folder: args.positionals[0])
    try writeExamples(examples, to: args.string("--output"))
    log.info("\(examples.count) examples, \(Set(examples.map(\.task)).count) subjects")
}
