/// `mtif-eval compare SCORES EFFECTS`: how well the scores predict what
/// retraining actually did, the way the field measures it.
///
/// Each effect record (from `mtif-eval --baseline`) is one retraining:
///   loo   one example left out: pairs grouped within-task (target = the
///         example's task) and between-task;
///   loto  whole tasks left out: the task-level matrix R(l→k);
///   lds   a random subset left out (the linear datamodeling score): for each
///         target, Spearman over subsets, averaged over targets.
/// Predictions are `predictedEffect`: "corrected" accounts for the other
/// examples of a task gaining weight when one leaves (the ground truth a
/// literal retrain measures); "uncorrected" is the plain sum of scores.
package func runAgreement(scoresPath: String, effectsPath: String, pairsPath: String?, output: OutputFile, log: Log) throws {
    let table = try ScoreTable(path: scoresPath)
    let effectsFile = displayName(effectsPath)
    struct Pair { var experiment: String; var scope: String; var subset: String; var removed: String; var source: String; var target: String; var corrected: Double; var uncorrected: Double; var actual: Double }
    var pairs: [Pair] = []
    let reader = try RecordReader(path: effectsPath)
    while let record = try reader.next(type: "effect") {
        func field(_ name: String) -> MTIFError {
            MTIFError.input("missing or malformed", file: effectsFile, line: reader.lineNumber, field: name)
        }
        guard let target = record["target"]?.string else { throw field("target") }
        guard let actual = record["actual"]?.double else { throw field("actual") }
        guard let removed = record["removed"]?.array?.compactMap(\.string) else { throw field("removed") }
        guard let removedTasks = record["removed_tasks"]?.array?.compactMap(\.string) else { throw field("removed_tasks") }
        if let scored = table.parameters, let baseline = record["baseline"]?.string, scored != baseline {
            throw MTIFError.input(
                "the effect was measured against parameters \(baseline), but \(table.file) was computed at \(scored)",
                file: effectsFile, line: reader.lineNumber, field: "baseline",
                hint: "re-run mtif-eval --baseline with the parameter file the scores were computed at (or re-run mtif-grad | mtif-influence at the baseline)")
        }
        guard let k = table.targetIndex(target) else {
            throw MTIFError.input(
                "target \"\(target)\" has no scores", file: effectsFile, line: reader.lineNumber, field: "target",
                hint: "the scores' targets are \(table.targets.joined(separator: ", "))")
        }
        let prediction = try predictedEffect(table, target: k, removed: removed, removedTasks: removedTasks, file: effectsFile)
        let experiment: String, scope: String, source: String
        if !removedTasks.isEmpty {
            experiment = "loto"; scope = "between_task"; source = removedTasks.joined(separator: ",")
        } else if removed.count == 1 {
            experiment = "loo"
            source = table.examples[removed[0]]!.task
            scope = source == target ? "within_task" : "between_task"
        } else {
            experiment = "lds"; scope = "all"; source = "*"
        }
        var subset = Fingerprint()
        for id in removed { subset.add(id) }
        pairs.append(Pair(
            experiment: experiment, scope: scope, subset: subset.hex,
            removed: removed.count == 1 ? removed[0] : "\(removed.count) examples", source: source, target: target,
            corrected: prediction.corrected, uncorrected: prediction.uncorrected, actual: actual))
    }
    guard !pairs.isEmpty else {
        throw MTIFError.input("\(effectsFile): no effect records", hint: "produce them with mtif-eval --baseline FULL PARAMS VAL")
    }
    if let pairsPath {
        let out = try OutputFile(path: pairsPath)
        for p in pairs {
            var record = Record(type: "pair")
            record.add("experiment", p.experiment)
            record.add("scope", p.scope)
            record.add("removed", p.removed)
            record.add("source", p.source)
            record.add("target", p.target)
            try record.add("predicted", p.corrected)
            try record.add("predicted_uncorrected", p.uncorrected)
            try record.add("actual", p.actual)
            try out.write(record.line)
        }
        try out.commit()
    }
    var rows: [String] = []
    func report(_ experiment: String, _ scope: String, _ group: [Pair]) throws {
        for truth in ["corrected", "uncorrected"] {
            let predicted = group.map { truth == "corrected" ? $0.corrected : $0.uncorrected }
            let actual = group.map(\.actual)
            var record = Record(type: "agreement")
            record.add("experiment", experiment)
            record.add("scope", scope)
            record.add("truth", truth)
            record.add("n", group.count)
            if let r = pearson(predicted, actual) { try record.add("pearson", r) }
            if let rho = spearman(predicted, actual) { try record.add("spearman", rho) }
            try output.write(record.line)
            rows.append("\(experiment)\t\(scope)\t\(truth)\t\(group.count)\t\(format(pearson(predicted, actual)))\t\(format(spearman(predicted, actual)))")
        }
    }
    for experiment in ["loo", "loto"] {
        let group = pairs.filter { $0.experiment == experiment }
        guard !group.isEmpty else { continue }
        if experiment == "loo" {
            for scope in ["within_task", "between_task"] {
                let part = group.filter { $0.scope == scope }
                if !part.isEmpty { try report(experiment, scope, part) }
            }
        }
        try report(experiment, experiment == "loo" ? "all" : "between_task", group)
    }
    let lds = pairs.filter { $0.experiment == "lds" }
    if !lds.isEmpty {
        for truth in ["corrected", "uncorrected"] {
            var perTarget: [Double] = []
            var pearsons: [Double] = []
            for target in table.targets {
                let group = lds.filter { $0.target == target }
                let predicted = group.map { truth == "corrected" ? $0.corrected : $0.uncorrected }
                if let rho = spearman(predicted, group.map(\.actual)) { perTarget.append(rho) }
                if let r = pearson(predicted, group.map(\.actual)) { pearsons.append(r) }
            }
            var record = Record(type: "agreement")
            record.add("experiment", "lds")
            record.add("scope", "mean_over_targets")
            record.add("truth", truth)
            record.add("n", Set(lds.map(\.subset)).count)
            record.add("targets", perTarget.count)
            if !pearsons.isEmpty { try record.add("pearson", pearsons.reduce(0, +) / Double(pearsons.count)) }
            if !perTarget.isEmpty { try record.add("spearman", perTarget.reduce(0, +) / Double(perTarget.count)) }
            try output.write(record.line)
            let meanRho = perTarget.isEmpty ? nil : perTarget.reduce(0, +) / Double(perTarget.count)
            let meanR = pearsons.isEmpty ? nil : pearsons.reduce(0, +) / Double(pearsons.count)
            rows.append("lds\tmean_over_targets\t\(truth)\t\(Set(lds.map(\.subset)).count)\t\(format(meanR))\t\(format(meanRho))")
        }
    }
    log.info("agreement of predicted and actual effects:\nexperiment\tscope\ttruth\tn\tpearson\tspearman\n" + rows.joined(separator: "\n"))
}

private func format(_ value: Double?) -> String {
    guard let value else { return "-" }
    return String(Double(Int((value * 1000).rounded())) / 1000)
}
