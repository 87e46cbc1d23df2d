/// mtif-train's flags → TrainOptions (the tool itself only declares them and prints its usage).
extension TrainOptions {
    package init(parsing args: Arguments) throws {
        var options = TrainOptions()
        options.trainPath = try args.positionals(exactly: ["TRAIN.ndjson"])[0]
        options.outputPath = args.string("--output", default: "-")
        let sharing = try args.choice("--sharing", Sharing.allCases.map(\.rawValue) + ["vmtl"], default: "hard")
        options.sharing = Sharing(rawValue: sharing) ?? .hard
        options.variational = try VariationalOptions(args, enabled: sharing == "vmtl")
        if let widths = args.list("--hidden") {
            // `--hidden=` (empty) is the Makefile's way to say "no hidden layer"; an
            // empty item inside a list ("3,,4") is a typo, not a width.
            options.hidden = try (widths == [""] ? [] : widths).map {
                guard let w = Int($0), w > 0 else { throw MTIFError.usage("--hidden: expected positive widths, found '\($0)'") }
                return w
            }
        }
        options.activation = Activation(
            rawValue: try args.choice("--activation", Activation.allCases.map(\.rawValue), default: "tanh"))!
        if args.string("--loss") != nil {
            options.loss = LossKind(rawValue: try args.choice("--loss", LossKind.allCases.map(\.rawValue), default: ""))
        }
        options.lambda = try args.double("--lambda", default: options.lambda)
        options.coupling = try args.double("--coupling", default: options.coupling)
        var path = TrainingPath()
        path.optimizer = Optimizer(rawValue: try args.choice("--optimizer", Optimizer.allCases.map(\.rawValue), default: "lbfgs"))!
        path.polish = Polish(rawValue: try args.choice("--polish", Polish.allCases.map(\.rawValue), default: "newton"))!
        path.tolerance = try args.double("--tol", default: path.tolerance, atLeast: 0)
        path.handover = try args.double("--handover", default: path.handover, atLeast: 0)
        path.lbfgs.maxIterations = try args.int("--max-iter", default: path.lbfgs.maxIterations, atLeast: 0)
        path.newton.maxIterations = try args.int("--newton-iter", default: path.newton.maxIterations, atLeast: 0)
        path.newton.maxInnerIterations = try args.int("--cg-iter", default: path.newton.maxInnerIterations, atLeast: 1)
        path.curvatureSteps = try args.int("--curvature-check", default: path.curvatureSteps, atLeast: 0)
        path.lbfgs.memory = try args.int("--memory", default: path.lbfgs.memory, atLeast: 1)
        path.adam.epochs = try args.int("--epochs", default: path.adam.epochs, atLeast: 1)
        path.adam.batchSize = try args.int("--batch-size", default: path.adam.batchSize, atLeast: 1)
        path.adam.learningRate = try args.double("--learning-rate", default: path.adam.learningRate, atLeast: 0, strictly: true)
        options.seed = try args.uint64("--seed", default: 0)
        path.adam.seed = options.seed
        options.path = path
        options.initPath = args.string("--init")
        options.importPath = args.string("--import")
        options.excludePath = args.string("--exclude")
        options.excludeWeights = ExcludeWeights(
            rawValue: try args.choice("--exclude-weights", ExcludeWeights.allCases.map(\.rawValue), default: "renormalized"))!
        if args.string("--exclude-weights") != nil && options.excludePath == nil {
            throw MTIFError.usage("--exclude-weights applies with --exclude only", hint: "give --exclude FILE, or drop --exclude-weights")
        }
        try Arguments.requireOneStandardInput(options.trainPath, options.initPath, options.excludePath, options.importPath)
        options.tasks = args.list("--tasks")
        options.arguments = args.recordable
        self = options
    }
}
