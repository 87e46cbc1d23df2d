/// One predicted-versus-actual effect of a retraining, as `mtif-eval compare
/// --pairs FILE` writes it: `{"type":"pair","experiment":"loo","scope":
/// "within_task","removed":…,"source":…,"target":…,"predicted":…,
/// "predicted_uncorrected":…,"actual":…}`. Both effects are
/// V_k(full) − V_k(retrained): positive, what was removed hurt the target.
package struct EffectPair: Sendable, Equatable {
    /// Which retraining, and for leave-one-out whether the example came from the target's own task.
    package enum Group: String, CaseIterable, Sendable {
        case withinTask = "within_task"
        case betweenTask = "between_task"
        case loto
        /// Part of one task left out (make linearity), by the target's task.
        case partWithinTask = "group_within_task"
        case partBetweenTask = "group_between_task"
        case lds

        /// How legends name the group.
        package var label: String {
            switch self {
            case .withinTask: return "LOO within-task"
            case .betweenTask: return "LOO between-task"
            case .loto: return "leave one task out"
            case .partWithinTask: return "part of a task, within-task"
            case .partBetweenTask: return "part of a task, between-task"
            case .lds: return "LDS random subsets"
            }
        }

        /// The `experiment` value of the pair records in this group.
        package var experiment: String {
            switch self {
            case .withinTask, .betweenTask: return "loo"
            case .loto: return "loto"
            case .partWithinTask, .partBetweenTask: return "group"
            case .lds: return "lds"
            }
        }
    }

    /// Which prediction to compare: the reweighting-corrected one (what a literal
    /// retrain measures, the default) or the plain sum of scores.
    package enum Truth: String, Sendable { case corrected, uncorrected }

    package var group: Group
    /// The target: a task, or a single test point's id.
    package var target: String
    package var predicted: Double
    package var actual: Double
    /// A single test point's task (`target_task`); nil for a task-mean target.
    package var targetTask: String?
    /// The task of the removed example(s) (`source`), if recorded.
    package var source: String?
    /// The error bar of `actual` (`actual_error`), if recorded.
    package var actualError: Double?

    package init(
        group: Group, target: String, predicted: Double, actual: Double,
        targetTask: String? = nil, source: String? = nil, actualError: Double? = nil
    ) {
        self.group = group
        self.target = target
        self.predicted = predicted
        self.actual = actual
        self.targetTask = targetTask
        self.source = source
        self.actualError = actualError
    }

    /// The pair records of `path` ('-' = stdin) whose experiment is `experiment`
    /// (nil: all), with the `truth` prediction. Other record types are skipped;
    /// malformed lines, missing fields, unknown experiments or scopes, and no
    /// pairs at all are input errors naming the file and line.
    package static func read(path: String, experiment: String? = nil, truth: Truth = .corrected) throws -> [EffectPair] {
        let reader = try RecordReader(path: path)
        let file = reader.file
        let predictedKey = truth == .corrected ? "predicted" : "predicted_uncorrected"
        var pairs: [EffectPair] = []
        var sawPairs = false
        while let record = try reader.next(type: "pair") {
            sawPairs = true
            func fail(_ field: String, _ message: String) -> MTIFError {
                MTIFError.input(message, file: file, line: reader.lineNumber, field: field,
                                hint: "pair records come from mtif-eval compare SCORES EFFECTS --pairs FILE")
            }
            guard let kind = record["experiment"]?.string else { throw fail("experiment", "missing or not a string") }
            let group: Group
            switch kind {
            case "loo", "group":
                let scope = record["scope"]?.string
                guard scope == "within_task" || scope == "between_task" else {
                    throw fail("scope", "expected within_task or between_task for a \(kind) pair, found \(scope.map(JSONValue.quoted) ?? "nothing")")
                }
                let within = scope == "within_task"
                group = kind == "loo" ? (within ? .withinTask : .betweenTask) : (within ? .partWithinTask : .partBetweenTask)
            case "loto": group = .loto
            case "lds": group = .lds
            default: throw fail("experiment", "expected loo, loto, group or lds, found \(JSONValue.quoted(kind))")
            }
            guard experiment == nil || experiment == kind else { continue }
            guard let target = record["target"]?.string else { throw fail("target", "missing or not a string") }
            guard let predicted = record[predictedKey]?.double else { throw fail(predictedKey, "missing or not a number") }
            guard let actual = record["actual"]?.double else { throw fail("actual", "missing or not a number") }
            pairs.append(EffectPair(
                group: group, target: target, predicted: predicted, actual: actual,
                targetTask: record["target_task"]?.string, source: record["source"]?.string,
                actualError: record["actual_error"]?.double))
        }
        guard !pairs.isEmpty else {
            if sawPairs, let experiment {
                throw MTIFError.input("\(file): no pair records of experiment \(experiment)",
                                      hint: "choose another --experiment, or all")
            }
            throw MTIFError.input("\(file): no pair records",
                                  hint: "write them with mtif-eval compare SCORES EFFECTS --pairs FILE")
        }
        return pairs
    }
}
