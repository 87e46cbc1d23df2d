/// `mtif-eval compare SCORES EFFECTS`: how well the scores predict what
/// retraining actually did, the way the field measures it.
///
/// Each effect record (from `mtif-eval --baseline`) is one retraining:
///   loo   one example left out: pairs grouped within-task (target's task =
///         the example's task) and between-task;
///   loto  whole tasks left out: the task-level matrix R(l→k);
///   group part of one task left out (make linearity: a fraction of each
///         task, the step between one example and the whole task): pairs
///         grouped within-task and between-task like loo;
///   lds   a random subset left out (the linear datamodeling score): for each
///         target, Spearman over subsets, averaged over targets.
/// Targets are task means (V_k) or single test points (`mtif-eval --baseline
/// --per-example`: the target is an example id, its task in `target_task`);
/// the two are reported apart (`target_kind`: tasks | test_points), and for test
/// points each point's own correlation and their median and spread too.
///
/// Predictions are `predictedEffect`: "corrected" is the first-order
/// prediction of the retrain actually done — for a literal retrain
/// (renormalized weights) it accounts for the other examples of a task gaining
/// weight; for a fixed-weight retrain (`exclude_weights: original`) there is
/// nothing to correct and it is the plain sum of scores; "uncorrected" is
/// always that plain sum.
///
/// Basin jumps: an effect record with `shared_move` (‖γ − γ_full‖ of its
/// retrain) belongs to a retrain that jumped when that move is more than 3×
/// the median move of the experiment's retrains (at least 3 of them): a
/// non-convex objective let it settle in another basin, which no influence
/// function predicts. A {"type":"jumps"} record names them, and every
/// agreement is computed again without them (`subset`: without_jumps).
///
/// Noise: an effect record with `actual_error` (one more Newton step at both
/// models) is above the noise when |actual| > 3 · actual_error. Per
/// experiment and scope, a {"type":"noise"} record gives the floor (median and
/// max error) and the share above it, and every agreement is computed again
/// on the pairs above the noise (`subset`: above_noise).
package func runAgreement(scoresPath: String, effectsPath: String, pairsPath: String?, output: OutputFile, log: Log) throws {
    let table = try ScoreTable(path: scoresPath)
    var pairs = try readPairs(table, effectsPath: effectsPath)
    let truths = Set(pairs.compactMap(\.groundTruth))
    if truths.count > 1 {
        log.warning("\(displayName(effectsPath)) mixes literal and fixed-weight retrains; each pair is predicted for its own, but the groups pool them")
    }
    let jumps = markJumps(&pairs)
    if let pairsPath { try writePairs(pairs, to: pairsPath) }

    var report = AgreementTable()
    for kind in AgreementPair.TargetKind.allCases {
        let ofKind = pairs.filter { $0.targetKind == kind }
        guard !ofKind.isEmpty else { continue }
        var reported = Set<String>()
        for (experiment, scope) in agreementGroups {
            let group = ofKind.filter { $0.experiment == experiment && (scope == "all" || scope == "mean_over_targets" || $0.scope == scope) }
            guard !group.isEmpty else { continue }
            try report.noise(group, experiment: experiment, scope: scope == "mean_over_targets" ? "all" : scope, kind: kind, output: output)
            if !reported.contains(experiment), let jumped = jumps[experiment] {
                try report.jumps(jumped, experiment: experiment, kind: kind, output: output)
                reported.insert(experiment)
            }
            for subset in ["all", "above_noise", "without_jumps"] {
                let members = subset == "all" ? group : subset == "above_noise" ? group.filter(\.aboveNoise) : group.filter { !$0.jumped }
                if subset == "above_noise" && (members.isEmpty || !group.contains { $0.error != nil }) { continue }
                if subset == "without_jumps" && (members.isEmpty || members.count == group.count) { continue }
                for truth in ["corrected", "uncorrected"] {
                    try report.agreement(
                        members, experiment: experiment, scope: scope, truth: truth, subset: subset, kind: kind,
                        groundTruth: truths.count == 1 ? truths.first! : truths.isEmpty ? "literal" : "mixed", output: output)
                }
            }
        }
        if kind == .testPoints { try report.perPoint(ofKind.filter { $0.experiment == "loo" }, output: output) }
    }
    log.info(report.text(groundTruth: truths.isEmpty ? "literal" : truths.sorted().joined(separator: "+")))
}

/// The (experiment, scope) groups of the agreement records, in output order.
private let agreementGroups: [(String, String)] = [
    ("loo", "within_task"), ("loo", "between_task"), ("loo", "all"), ("loto", "between_task"),
    ("group", "within_task"), ("group", "between_task"), ("group", "all"), ("lds", "mean_over_targets"),
]

/// |actual| must exceed this multiple of its own error to count as above the noise.
package let noiseFactor = 3.0

/// One predicted-versus-actual effect of a retraining.
private struct AgreementPair {
    enum TargetKind: String, CaseIterable { case tasks, testPoints = "test_points" }

    var experiment: String
    var scope: String
    var subset: String
    var removed: String
    var source: String
    var target: String
    var targetTask: String
    var targetKind: TargetKind
    var corrected: Double
    var uncorrected: Double
    var actual: Double
    /// The error bar of `actual`, when the effect record has one.
    var error: Double?
    /// literal (renormalized weights) or fixed (original weights); nil when
    /// only whole tasks were left out, where the two are the same retrain.
    var groundTruth: String?
    /// ‖γ − γ_full‖ of the retrain, when the effect record has it.
    var move: Double?
    /// The retrain moved γ more than `jumpFactor` × its experiment's median.
    var jumped = false

    var aboveNoise: Bool { error.map { abs(actual) > noiseFactor * $0 } ?? false }

    func predicted(_ truth: String) -> Double { truth == "corrected" ? corrected : uncorrected }
}

private func readPairs(_ table: ScoreTable, effectsPath: String) throws -> [AgreementPair] {
    let effectsFile = displayName(effectsPath)
    var pairs: [AgreementPair] = []
    let reader = try RecordReader(path: effectsPath)
    while let record = try reader.next(type: "effect") {
        func field(_ name: String) -> MTIFError {
            MTIFError.input("missing or malformed", file: effectsFile, line: reader.lineNumber, field: name)
        }
        guard let target = record["target"]?.string else { throw field("target") }
        guard let actual = record["actual"]?.double else { throw field("actual") }
        guard let removed = record["removed"]?.array?.compactMap(\.string) else { throw field("removed") }
        guard let removedTasks = record["removed_tasks"]?.array?.compactMap(\.string) else { throw field("removed_tasks") }
        let targetTask = record["target_task"].map { $0.string } ?? target
        guard let targetTask else { throw field("target_task") }
        let error = record["actual_error"].map(\.double) ?? nil
        if record["actual_error"] != nil && error == nil { throw field("actual_error") }
        let move = record["shared_move"].map(\.double) ?? nil
        if record["shared_move"] != nil && (move == nil || move! < 0) { throw field("shared_move") }
        let weights = record["exclude_weights"].map(\.string) ?? ExcludeWeights.renormalized.rawValue
        guard let mode = weights.flatMap(ExcludeWeights.init(rawValue:)) else {
            throw MTIFError.input("expected renormalized or original", file: effectsFile, line: reader.lineNumber,
                                  field: "exclude_weights")
        }
        if let scored = table.parameters, let baseline = record["baseline"]?.string, scored != baseline {
            throw MTIFError.input(
                "the effect was measured against parameters \(baseline), but \(table.file) was computed at \(scored)",
                file: effectsFile, line: reader.lineNumber, field: "baseline",
                hint: "re-run mtif-eval --baseline with the parameter file the scores were computed at (or re-run mtif-grad | mtif-influence at the baseline)")
        }
        guard let k = table.targetIndex(target) else {
            throw MTIFError.input(
                "target \"\(target)\" has no scores", file: effectsFile, line: reader.lineNumber, field: "target",
                hint: "the scores' targets are \(table.targets.prefix(8).joined(separator: ", "))\(table.targets.count > 8 ? ", …" : "")")
        }
        let prediction = try predictedEffect(table, target: k, removed: removed, removedTasks: removedTasks, file: effectsFile)
        let experiment: String, scope: String, source: String
        if !removedTasks.isEmpty {
            experiment = "loto"; scope = "between_task"; source = removedTasks.joined(separator: ",")
        } else if removed.count == 1 || Set(removed.map { table.examples[$0]!.task }).count == 1 {
            experiment = removed.count == 1 ? "loo" : "group"
            source = table.examples[removed[0]]!.task
            scope = source == targetTask ? "within_task" : "between_task"
        } else {
            experiment = "lds"; scope = "all"; source = "*"
        }
        var subset = Fingerprint()
        for id in removed { subset.add(id) }
        pairs.append(AgreementPair(
            experiment: experiment, scope: scope, subset: subset.hex,
            removed: removed.count == 1 ? removed[0] : "\(removed.count) examples", source: source, target: target,
            targetTask: targetTask, targetKind: record["target_task"] == nil ? .tasks : .testPoints,
            corrected: mode == .original ? prediction.uncorrected : prediction.corrected,
            uncorrected: prediction.uncorrected, actual: actual, error: error,
            groundTruth: removed.isEmpty ? nil : mode.groundTruth, move: move))
    }
    guard !pairs.isEmpty else {
        throw MTIFError.input("\(effectsFile): no effect records", hint: "produce them with mtif-eval --baseline FULL PARAMS VAL")
    }
    return pairs
}

/// A retrain whose shared parameters moved more than this multiple of the
/// median move of its experiment's retrains jumped to another basin.
package let jumpFactor = 3.0

/// One retrain that jumped: what it left out and how far γ moved.
private struct Jump {
    var removed: String
    var source: String
    var move: Double
}

/// Marks the pairs of retrains that jumped; per experiment the median move
/// and the jumps (experiments with fewer than 3 measured retrains are left alone).
private func markJumps(_ pairs: inout [AgreementPair]) -> [String: (median: Double, retrains: Int, jumps: [Jump])] {
    var result: [String: (median: Double, retrains: Int, jumps: [Jump])] = [:]
    var experiments: [String] = []
    for pair in pairs where !experiments.contains(pair.experiment) { experiments.append(pair.experiment) }
    for experiment in experiments {
        // One retrain per removed set (examples, or whole tasks: source).
        func retrain(_ pair: AgreementPair) -> String { "\(pair.subset) \(pair.source)" }
        var moves: [String: Double] = [:]  // retrain → move
        for pair in pairs where pair.experiment == experiment { if let move = pair.move { moves[retrain(pair)] = move } }
        guard moves.count >= 3 else { continue }
        let middle = median(Array(moves.values))
        guard middle > 0 else { continue }
        let jumped = Set(moves.filter { $0.value > jumpFactor * middle }.keys)
        var jumps: [Jump] = []
        for i in pairs.indices where pairs[i].experiment == experiment && jumped.contains(retrain(pairs[i])) {
            pairs[i].jumped = true
            if !jumps.contains(where: { $0.removed == pairs[i].removed && $0.source == pairs[i].source }) {
                jumps.append(Jump(removed: pairs[i].removed, source: pairs[i].source, move: pairs[i].move!))
            }
        }
        result[experiment] = (middle, moves.count, jumps)
    }
    return result
}

private func writePairs(_ pairs: [AgreementPair], to path: String) throws {
    let out = try OutputFile(path: path)
    for p in pairs {
        var record = Record(type: "pair")
        record.add("experiment", p.experiment)
        record.add("scope", p.scope)
        record.add("removed", p.removed)
        record.add("source", p.source)
        record.add("target", p.target)
        if p.targetKind == .testPoints { record.add("target_task", p.targetTask) }
        try record.add("predicted", p.corrected)
        try record.add("predicted_uncorrected", p.uncorrected)
        try record.add("actual", p.actual)
        if let error = p.error {
            try record.add("actual_error", error)
            record.add("above_noise", p.aboveNoise)
        }
        if let truth = p.groundTruth { record.add("ground_truth", truth) }
        if let move = p.move {
            try record.add("shared_move", move)
            record.add("jumped", p.jumped)
        }
        try out.write(record.line)
    }
    try out.commit()
}

/// The records and the stderr table of one compare run.
private struct AgreementTable {
    /// Row keys (experiment, scope, truth, target kind) in order, and per key
    /// the (n, pearson, spearman) columns of each subset.
    private var keys: [String] = []
    private var columns: [String: [String: String]] = [:]
    private var noiseRows: [String] = []
    private var jumpRows: [String] = []
    private var pointRows: [String] = []

    mutating func agreement(
        _ group: [AgreementPair], experiment: String, scope: String, truth: String, subset: String,
        kind: AgreementPair.TargetKind, groundTruth: String, output: OutputFile
    ) throws {
        var record = Record(type: "agreement")
        record.add("experiment", experiment)
        record.add("scope", scope)
        record.add("truth", truth)
        record.add("subset", subset)
        record.add("target_kind", kind.rawValue)
        record.add("ground_truth", groundTruth)
        let r: Double?, rho: Double?, n: Int
        if experiment == "lds" {
            // Per target: correlation over the subsets; averaged over targets.
            var perTarget: [Double] = [], pearsons: [Double] = []
            var targets: [String] = []
            for pair in group where !targets.contains(pair.target) { targets.append(pair.target) }
            for target in targets {
                let part = group.filter { $0.target == target }
                let predicted = part.map { $0.predicted(truth) }
                if let value = spearman(predicted, part.map(\.actual)) { perTarget.append(value) }
                if let value = pearson(predicted, part.map(\.actual)) { pearsons.append(value) }
            }
            n = Set(group.map(\.subset)).count
            r = pearsons.isEmpty ? nil : pearsons.reduce(0, +) / Double(pearsons.count)
            rho = perTarget.isEmpty ? nil : perTarget.reduce(0, +) / Double(perTarget.count)
            record.add("n", n)
            record.add("targets", perTarget.count)
        } else {
            let predicted = group.map { $0.predicted(truth) }, actual = group.map(\.actual)
            n = group.count
            r = pearson(predicted, actual)
            rho = spearman(predicted, actual)
            record.add("n", n)
        }
        if let r { try record.add("pearson", r) }
        if let rho { try record.add("spearman", rho) }
        try output.write(record.line)
        let key = [experiment, scope, truth, kind.rawValue].joined(separator: "\t")
        if columns[key] == nil { keys.append(key) }
        columns[key, default: [:]][subset] = [String(n), format(r), format(rho)].joined(separator: "\t")
    }

    /// The noise floor of a group: how large the error bars of `actual` are
    /// and how many effects stand above them.
    mutating func noise(_ group: [AgreementPair], experiment: String, scope: String, kind: AgreementPair.TargetKind, output: OutputFile) throws {
        let errors = group.compactMap(\.error)
        let above = group.filter(\.aboveNoise).count
        var record = Record(type: "noise")
        record.add("experiment", experiment)
        record.add("scope", scope)
        record.add("target_kind", kind.rawValue)
        record.add("n", group.count)
        record.add("with_error", errors.count)
        try record.add("median_abs_actual", median(group.map { abs($0.actual) }))
        if !errors.isEmpty {
            try record.add("median_error", median(errors))
            try record.add("max_error", errors.max()!)
            record.add("above_noise", above)
            try record.add("share_above_noise", Double(above) / Double(group.count))
            try record.add("factor", noiseFactor)
        }
        try output.write(record.line)
        noiseRows.append([
            experiment, scope, kind.rawValue, String(group.count), String(errors.count),
            errors.isEmpty ? "-" : short(median(errors)), errors.isEmpty ? "-" : short(errors.max()!),
            short(median(group.map { abs($0.actual) })),
            errors.isEmpty ? "-" : "\(above) (\(Int((100 * Double(above) / Double(group.count)).rounded())) %)",
        ].joined(separator: "\t"))
    }

    /// The retrains of an experiment that jumped to another basin.
    mutating func jumps(
        _ found: (median: Double, retrains: Int, jumps: [Jump]), experiment: String, kind: AgreementPair.TargetKind,
        output: OutputFile
    ) throws {
        var record = Record(type: "jumps")
        record.add("experiment", experiment)
        record.add("target_kind", kind.rawValue)
        record.add("retrains", found.retrains)
        try record.add("median_shared_move", found.median)
        try record.add("factor", jumpFactor)
        record.add("jumped", found.jumps.count)
        try record.add("removed", json: JSONText.encode(found.jumps.map(\.removed)))
        try record.add("sources", json: JSONText.encode(found.jumps.map(\.source)))
        try record.add("shared_moves", found.jumps.map(\.move))
        try output.write(record.line)
        let named = found.jumps.map { "\($0.removed) of \($0.source) (\(short($0.move)))" }.joined(separator: ", ")
        jumpRows.append("\(experiment)\t\(kind.rawValue)\t\(found.retrains)\t\(short(found.median))\t\(found.jumps.isEmpty ? "none" : named)")
    }

    /// Single test points: each point's own leave-one-out correlation (over
    /// the training examples removed, per scope), and per scope the median and
    /// spread of those correlations over points.
    mutating func perPoint(_ pairs: [AgreementPair], output: OutputFile) throws {
        for scope in ["within_task", "between_task"] {
            let inScope = pairs.filter { $0.scope == scope }
            var points: [String] = []
            for pair in inScope where !points.contains(pair.target) { points.append(pair.target) }
            guard !points.isEmpty else { continue }
            for truth in ["corrected", "uncorrected"] {
                var rs: [Double] = [], rhos: [Double] = []
                for point in points {
                    let part = inScope.filter { $0.target == point }
                    let predicted = part.map { $0.predicted(truth) }, actual = part.map(\.actual)
                    let r = pearson(predicted, actual), rho = spearman(predicted, actual)
                    var record = Record(type: "point_agreement")
                    record.add("experiment", "loo")
                    record.add("scope", scope)
                    record.add("truth", truth)
                    record.add("target", point)
                    record.add("target_task", part[0].targetTask)
                    record.add("n", part.count)
                    if let r { try record.add("pearson", r); rs.append(r) }
                    if let rho { try record.add("spearman", rho); rhos.append(rho) }
                    try output.write(record.line)
                }
                var record = Record(type: "point_summary")
                record.add("experiment", "loo")
                record.add("scope", scope)
                record.add("truth", truth)
                record.add("points", points.count)
                for (name, values) in [("pearson", rs), ("spearman", rhos)] where !values.isEmpty {
                    let spread = Spread(values)
                    try record.add("\(name)_median", spread.median)
                    try record.add("\(name)_q1", spread.q1)
                    try record.add("\(name)_q3", spread.q3)
                    try record.add("\(name)_min", spread.min)
                    try record.add("\(name)_max", spread.max)
                }
                try output.write(record.line)
                func describe(_ values: [Double]) -> String {
                    guard !values.isEmpty else { return "-" }
                    let s = Spread(values)
                    return "\(format(s.median)) [\(format(s.min)), \(format(s.max))]"
                }
                pointRows.append([scope, truth, String(points.count), describe(rs), describe(rhos)].joined(separator: "\t"))
            }
        }
    }

    func text(groundTruth: String) -> String {
        var text = "agreement of predicted and actual effects (ground truth: \(groundTruth) leave-out):\n"
        text += "experiment\tscope\ttruth\ttargets\tn\tpearson\tspearman\tn_above_noise\tpearson\tspearman\tn_without_jumps\tpearson\tspearman\n"
        text += keys.map { key in
            [key, columns[key]?["all"] ?? "-\t-\t-", columns[key]?["above_noise"] ?? "-\t-\t-",
             columns[key]?["without_jumps"] ?? "-\t-\t-"].joined(separator: "\t")
        }.joined(separator: "\n")
        if !jumpRows.isEmpty {
            text += "\nbasin jumps (a retrain that moved the shared parameters more than \(Int(jumpFactor)) × the median move):\n"
            text += "experiment\ttargets\tretrains\tmedian_move\tjumped\n" + jumpRows.joined(separator: "\n")
        }
        if !noiseRows.isEmpty {
            text += "\nnoise floor (error of actual from one more Newton step at both models; above: |actual| > \(Int(noiseFactor)) × its error):\n"
            text += "experiment\tscope\ttargets\tn\twith_error\tmedian_error\tmax_error\tmedian_|actual|\tabove_noise\n"
            text += noiseRows.joined(separator: "\n")
        }
        if !pointRows.isEmpty {
            text += "\nsingle test points, leave-one-out correlation per point: median [min, max] over points:\n"
            text += "scope\ttruth\tpoints\tpearson\tspearman\n" + pointRows.joined(separator: "\n")
        }
        return text
    }
}

/// Median, quartiles and range of a non-empty sample (quartiles by linear
/// interpolation between order statistics).
package struct Spread: Sendable, Equatable {
    package var median, q1, q3, min, max: Double

    package init(_ values: [Double]) {
        precondition(!values.isEmpty)
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let low = Int(position.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
            return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
        }
        median = quantile(0.5); q1 = quantile(0.25); q3 = quantile(0.75)
        min = sorted.first!; max = sorted.last!
    }
}

private func format(_ value: Double?) -> String {
    guard let value else { return "-" }
    return String(Double(Int((value * 1000).rounded())) / 1000)
}
