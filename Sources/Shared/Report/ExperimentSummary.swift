/// The results of the main experiment (`make experiment`), read from the
/// concatenation of its tagged records and reduced to one number per target
/// task and arm.
///
/// Dimensions: K target tasks, A arms (an arm is a training recipe and, for
/// the selection rules, a budget), S seeds of a random arm.
///
/// Records read (other types are skipped; tags are string fields added by
/// `--tag key=value`):
///   task       `mtif-eval` on the target's test split, tagged `arm`, `target`,
///              and for the selection arms `budget` (the requested fraction)
///              and `seed`. Only records whose `task` is the `target` count;
///              `mtl` and `single` records may omit `target` (then it is the
///              task). Needs `loss`, `n` and `accuracy` or `rmse`.
///   selection  `mtif-select --report`: `dropped` of the arm (arm defaults to
///              the `rule`, target to the only element of `targets`, budget to
///              `max_fraction`).
///   planted    `mtif-select` on synthetic data: how many planted corrupted
///              and unrelated-task examples were candidates and were dropped.
/// A `target_unrelated` tag ("true"/"false") on any record says whether the
/// target itself is one of the unrelated tasks of the synthetic data.
/// A `repeat` tag names the repeat (seed of split and initialisation) of
/// `make experiment REPEATS=n`; a `split` tag "val" marks the evaluation of
/// the same model on the target's validation split (`mtif@val` chooses by it).
///
/// Lower test loss is better; Δ = arm − plain multitask (`mtl`) on the same
/// target and repeat, so a negative Δ loss is an improvement. Per target:
/// the mean over repeats of Δ, with a 95 % percentile-bootstrap interval over
/// the repeats (≥ 2). Across targets: Wilcoxon signed-rank tests of the
/// per-target mean differences (`Comparison`).
///
/// `mtif@val` (and `<variant>@val` for every other `mtif…` arm with budgets):
/// per target and repeat, the budget among 0 (plain MTL) and the arm's
/// fractions whose model has the lowest loss on the target's VALIDATION split
/// (ties: the smaller budget); its TEST loss is reported. `random@val` is
/// random removal at the budget `mtif@val` chose (MTL where it chose 0).
package struct ExperimentSummary: Sendable {
    /// One training recipe: `mtl`, `single`, `mtif`, `random`, `whole_tasks`
    /// (or any other name the tags give), with its budget for the selection rules.
    package struct Arm: Hashable, Sendable {
        package var name: String
        package var budget: Double?
        /// The budget chosen per target and repeat on validation (`mtif@val`).
        package var byValidation: Bool

        package init(_ name: String, budget: Double? = nil, byValidation: Bool = false) {
            self.name = name
            self.budget = budget
            self.byValidation = byValidation
        }

        /// `mtl`, `mtif@0.1`, `mtif@val`.
        package var label: String { byValidation ? "\(name)@val" : budget.map { "\(name)@\($0)" } ?? name }

        /// A selection arm of the MTIF family (`mtif`, `mtif_own`, …).
        package var isMTIF: Bool { name == "mtif" || name.hasPrefix("mtif_") }

        /// mtl, single, mtif, random, whole_tasks, then other names.
        var rank: Int { ["mtl", "single", "mtif", "random", "whole_tasks"].firstIndex(of: name) ?? 5 }
    }

    /// The test metric beside the loss: accuracy (classification) or RMSE (regression).
    package enum Metric: String, Sendable {
        case accuracy, rmse
    }

    /// One target × arm: means over the arm's repeats of the means over its seeds.
    package struct Result: Sendable {
        package var target: String
        package var arm: Arm
        /// Test examples of the target.
        package var n: Int
        package var testLoss: Double
        /// Sample standard deviation of the test loss over seeds (≥ 2 seeds).
        package var testLossSD: Double?
        package var metric: Metric
        package var testMetric: Double
        package var deltaLoss: Double
        package var deltaMetric: Double
        /// Examples the selection dropped (mean over seeds), when a selection record says.
        package var dropped: Double?
        package var seeds: Int
        /// Repeats the arm was run in, and per repeat its test loss (mean over seeds).
        package var repeats: Int = 1
        package var lossByRepeat: [String: Double] = [:]
        /// 95 % bootstrap interval of `deltaLoss` over the repeats (≥ 2 repeats).
        package var deltaInterval: Statistics.Interval?
        /// `@val` arms: the budget chosen in each repeat (0 = plain MTL).
        package var chosenBudgets: [String: Double]?
    }

    /// A paired comparison of two arms across the targets that have both: per
    /// target d = mean over common repeats of (arm − versus) test loss, and the
    /// Wilcoxon signed-rank test of the d (nil when every d is 0).
    package struct Comparison: Sendable {
        package var arm: Arm
        package var versus: Arm
        package var targets: Int
        /// Targets with d < 0 (arm's loss lower), d > 0, d = 0.
        package var lower: Int
        package var higher: Int
        package var ties: Int
        package var meanDifference: Double
        package var medianDifference: Double
        package var test: Statistics.SignedRank?

        /// At two-sided 5 %: −1 arm lower, +1 arm higher, 0 no significant difference.
        package var direction: Int {
            guard let test, test.p < 0.05 else { return 0 }
            return test.wPlus < test.wMinus ? -1 : 1
        }
    }

    /// One arm over the targets it was run on.
    package struct Mean: Sendable {
        package var arm: Arm
        package var targets: Int
        package var testLoss: Double
        package var deltaLoss: Double
        /// Means over the targets with that metric (nil when none has it).
        package var testAccuracy: Double?
        package var deltaAccuracy: Double?
        package var testRMSE: Double?
        package var deltaRMSE: Double?
        /// 95 % bootstrap interval over the targets of `deltaLoss` (≥ 2 targets).
        package var deltaInterval: Statistics.Interval? = nil
        /// Targets where this arm's test loss < mtl's (strictly).
        package var winsVsMTL: Int
        /// mtif arms with a random arm at the same budget: targets where mtif's
        /// loss < random's mean loss, out of `randomTargets` that have both.
        package var winsVsRandom: Int?
        package var randomTargets: Int?
    }

    /// Planted-truth recall and precision of one arm, pooled over a group of targets.
    package struct Planted: Sendable {
        /// "related", "unrelated" (the target is itself an unrelated task), or
        /// "unknown" (no `target_unrelated` tag).
        package enum Group: String, Sendable, CaseIterable { case related, unrelated, unknown }
        package var arm: Arm
        package var group: Group
        package var targets: Int
        package var candidates = 0
        package var dropped = 0
        package var corruptedCandidates = 0
        package var corruptedDropped = 0
        package var unrelatedCandidates = 0
        package var unrelatedDropped = 0

        /// Σ corrupted dropped / Σ corrupted candidates (nil without candidates).
        package var corruptedRecall: Double? { ratio(corruptedDropped, corruptedCandidates) }
        package var unrelatedRecall: Double? { ratio(unrelatedDropped, unrelatedCandidates) }
        /// Share of the dropped examples that were planted (corrupted or unrelated).
        package var precision: Double? { ratio(corruptedDropped + unrelatedDropped, dropped) }

        private func ratio(_ a: Int, _ b: Int) -> Double? { b > 0 ? Double(a) / Double(b) : nil }
    }

    /// (K) target names in natural order (t2 before t10).
    package var targets: [String]
    /// (A) arms in display order: mtl, single, mtif by budget, random by budget, whole_tasks, others.
    package var arms: [Arm]
    /// K × A at most, target-major in the orders above; a missing cell is absent.
    package var results: [Result]
    /// (A)
    package var means: [Mean]
    /// Paired tests: every arm vs mtl; every MTIF arm vs random (same budget) and vs whole_tasks.
    package var comparisons: [Comparison] = []
    /// The distinct repeats in the results ("" when untagged).
    package var repeats: [String] = [""]
    package var planted: [Planted]
    /// Which targets are unrelated tasks, where a tag said.
    package var targetUnrelated: [String: Bool]

    package func result(_ target: String, _ arm: Arm) -> Result? {
        results.first { $0.target == target && $0.arm == arm }
    }

    package func mean(_ arm: Arm) -> Mean? { means.first { $0.arm == arm } }

    package func comparison(_ arm: Arm, versus: Arm) -> Comparison? {
        comparisons.first { $0.arm == arm && $0.versus == versus }
    }

    /// The distinct seeds of the arm with the most (1 for arms without seeds).
    package func seeds(_ arm: Arm) -> Int { results.filter { $0.arm == arm }.map(\.seeds).max() ?? 0 }
}

// MARK: Reading

extension ExperimentSummary {
    /// Reads the experiment's records from `path` ('-' = stdin).
    package static func read(path: String) throws -> ExperimentSummary {
        let reader = try LineReader(path: path)
        var builder = Builder(file: reader.displayName)
        while let line = try reader.next() {
            try builder.add(String(decoding: line, as: UTF8.self), line: reader.lineNumber)
        }
        return try builder.finish()
    }

    /// Summarizes NDJSON `text`; errors name `file`.
    package static func parse(_ text: String, file: String = "input") throws -> ExperimentSummary {
        var builder = Builder(file: file)
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            try builder.add(String(line), line: i + 1)
        }
        return try builder.finish()
    }

    private struct Cell: Hashable { var target: String; var arm: Arm }
    private struct Evaluation { var n: Int; var loss: Double; var metric: Metric; var value: Double; var line: Int }

    private struct Builder {
        let file: String
        var evaluations: [Cell: [String: Evaluation]] = [:]     // run key (repeat, seed) → evaluation
        var validations: [Cell: [String: Evaluation]] = [:]     // the same on the validation split
        var dropped: [Cell: [String: Int]] = [:]
        var plantedRecords: [(cell: Cell, counts: [Int], line: Int)] = []
        var plantedSeen: Set<String> = []
        var targetUnrelated: [String: (value: Bool, line: Int)] = [:]
        var firstLine: [String: Int] = [:]                        // target → first line naming it

        init(file: String) { self.file = file }

        func fail(_ line: Int, _ field: String, _ message: String, hint: String? = nil) -> MTIFError {
            MTIFError.input(message, file: file, line: line, field: field, hint: hint)
        }

        mutating func add(_ text: String, line: Int) throws {
            if text.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { return }
            let record = try JSONValue.parse(text, file: file, line: line)
            guard record.object != nil else { throw MTIFError.input("expected a JSON object", file: file, line: line) }
            switch record["type"]?.string {
            case "task": try addEvaluation(record, line: line)
            case "selection": try addSelection(record, line: line)
            case "planted": try addPlanted(record, line: line)
            default: return
            }
        }

        func string(_ record: JSONValue, _ key: String, _ line: Int) throws -> String? {
            guard let value = record[key] else { return nil }
            guard let text = value.string, !text.isEmpty else { throw fail(line, key, "expected a non-empty string") }
            return text
        }

        func number(_ record: JSONValue, _ key: String, _ line: Int) throws -> Double {
            guard let value = record[key]?.double else { throw fail(line, key, "missing or not a number") }
            return value
        }

        func count(_ record: JSONValue, _ key: String, _ line: Int) throws -> Int {
            guard let value = record[key]?.int, value >= 0 else { throw fail(line, key, "missing or not a count") }
            return value
        }

        /// A tag written as a string ("0.1") or, by hand, as a number.
        func budget(_ record: JSONValue, key: String = "budget", _ line: Int) throws -> Double? {
            guard let value = record[key] else { return nil }
            if let number = value.double, number.isFinite, number >= 0 { return number }
            if let text = value.string, let number = Double(text), number.isFinite, number >= 0 { return number }
            throw fail(line, key, "expected a non-negative number such as \"0.1\"")
        }

        func seed(_ record: JSONValue, _ line: Int, key: String = "seed") throws -> String {
            guard let value = record[key] else { return "" }
            if let number = value.int { return String(number) }
            if let text = value.string, !text.isEmpty { return text }
            throw fail(line, key, "expected a \(key) such as \"1\"")
        }

        /// The run of a record: its repeat and seed tags, joined by a NUL.
        func run(_ record: JSONValue, _ line: Int) throws -> String {
            try seed(record, line, key: "repeat") + "\u{0}" + seed(record, line)
        }

        mutating func noteTarget(_ record: JSONValue, _ target: String, _ line: Int) throws {
            if firstLine[target] == nil { firstLine[target] = line }
            guard let value = record["target_unrelated"] else { return }
            let flag: Bool
            switch value {
            case .bool(let b): flag = b
            case .string("true"): flag = true
            case .string("false"): flag = false
            default: throw fail(line, "target_unrelated", "expected \"true\" or \"false\"")
            }
            if let earlier = targetUnrelated[target], earlier.value != flag {
                throw fail(line, "target_unrelated",
                           "\(flag) for target \"\(target)\", but line \(earlier.line) says \(earlier.value)")
            }
            targetUnrelated[target] = (flag, line)
        }

        mutating func addEvaluation(_ record: JSONValue, line: Int) throws {
            guard let task = try string(record, "task", line) else { throw fail(line, "task", "missing") }
            guard let armName = try string(record, "arm", line) else {
                throw fail(line, "arm", "missing: cannot tell which arm this evaluation belongs to",
                           hint: "tag each evaluation: mtif-eval … --tag arm=mtl --tag target=\(task)")
            }
            let target: String
            if let tagged = try string(record, "target", line) {
                target = tagged
            } else if armName == "mtl" || armName == "single" {
                target = task
            } else {
                throw fail(line, "target", "missing for arm \"\(armName)\"",
                           hint: "tag the evaluation with --tag target=NAME (the task the selection was for)")
            }
            guard task == target else { return }
            try noteTarget(record, target, line)
            let arm = Arm(armName, budget: try budget(record, line))
            let seed = try run(record, line)
            let isValidation: Bool
            switch record["split"]?.string {
            case nil, "test": isValidation = false
            case "val": isValidation = true
            default: throw fail(line, "split", "expected \"val\" or \"test\"")
            }
            guard let n = record["n"]?.int, n > 0 else { throw fail(line, "n", "missing or not a positive count") }
            let loss = try number(record, "loss", line)
            let metric: Metric, value: Double
            if record["accuracy"] != nil {
                (metric, value) = (.accuracy, try number(record, "accuracy", line))
            } else if record["rmse"] != nil {
                (metric, value) = (.rmse, try number(record, "rmse", line))
            } else {
                throw fail(line, "accuracy", "missing (a task record has \"accuracy\" or \"rmse\")")
            }
            let cell = Cell(target: target, arm: arm)
            let evaluation = Evaluation(n: n, loss: loss, metric: metric, value: value, line: line)
            if let earlier = (isValidation ? validations : evaluations)[cell]?[seed] {
                let named = seed.split(separator: "\u{0}", omittingEmptySubsequences: false)
                let which = (named[0].isEmpty ? "" : " repeat \(named[0])") + (named[1].isEmpty ? "" : " seed \(named[1])")
                throw MTIFError.input(
                    "second \(isValidation ? "validation " : "")evaluation of arm \(arm.label) on target \"\(target)\"\(which) (first on line \(earlier.line))",
                    file: file, line: line, hint: "random arms need a distinct --tag seed=N per run, repeats a distinct --tag repeat=R")
            }
            if isValidation {
                validations[cell, default: [:]][seed] = evaluation
            } else {
                evaluations[cell, default: [:]][seed] = evaluation
            }
        }

        mutating func addSelection(_ record: JSONValue, line: Int) throws {
            guard let armName = try string(record, "arm", line) ?? record["rule"]?.string else {
                throw fail(line, "arm", "missing (and no \"rule\")")
            }
            let target: String
            if let tagged = try string(record, "target", line) {
                target = tagged
            } else if let list = record["targets"]?.array, list.count == 1, let only = list[0].string {
                target = only
            } else {
                throw fail(line, "target", "missing, and \"targets\" does not name exactly one task")
            }
            try noteTarget(record, target, line)
            let budget = try budget(record, line) ?? budget(record, key: "max_fraction", line)
            let cell = Cell(target: target, arm: Arm(armName, budget: budget))
            dropped[cell, default: [:]][try run(record, line)] = try count(record, "dropped", line)
        }

        mutating func addPlanted(_ record: JSONValue, line: Int) throws {
            guard let armName = try string(record, "arm", line) else { throw fail(line, "arm", "missing") }
            guard let target = try string(record, "target", line) else { throw fail(line, "target", "missing") }
            try noteTarget(record, target, line)
            let cell = Cell(target: target, arm: Arm(armName, budget: try budget(record, line)))
            let seed = try run(record, line)
            guard plantedSeen.insert("\(cell.target)\u{0}\(cell.arm.label)\u{0}\(seed)").inserted else {
                let shown = seed.split(separator: "\u{0}").joined(separator: " ")
                throw MTIFError.input(
                    "second planted record of arm \(cell.arm.label) on target \"\(target)\"\(shown.isEmpty ? "" : " (repeat, seed) \(shown)")",
                    file: file, line: line)
            }
            let keys = ["candidates", "dropped", "corrupted_candidates", "corrupted_dropped",
                        "unrelated_candidates", "unrelated_dropped"]
            let counts = try keys.map { try count(record, $0, line) }
            for (part, whole) in [(1, 0), (3, 2), (5, 4)] where counts[part] > counts[whole] {
                throw fail(line, keys[part], "\(counts[part]) is more than \(keys[whole]) \(counts[whole])")
            }
            if counts[3] + counts[5] > counts[1] {
                throw fail(line, "dropped", "\(counts[1]) is fewer than the planted examples dropped (\(counts[3] + counts[5]))")
            }
            plantedRecords.append((cell, counts, line))
        }

        static func repeatOf(_ run: String) -> String {
            String(run.split(separator: "\u{0}", omittingEmptySubsequences: false)[0])
        }

        /// A cell's evaluations grouped by repeat.
        static func byRepeat(_ runs: [String: Evaluation]) -> [String: [Evaluation]] {
            var groups: [String: [Evaluation]] = [:]
            for (key, evaluation) in runs { groups[repeatOf(key), default: []].append(evaluation) }
            return groups
        }

        /// The `@val` arms of one target: for each MTIF arm name with budgets,
        /// per repeat the budget (0 = mtl) of lowest validation loss, its test
        /// loss, and random removal at the chosen budget. None for an arm
        /// some of whose models lack a validation evaluation.
        func validationChoices(_ target: String, arms: [Arm], baselineRuns: [String: [Evaluation]]) -> [Result] {
            guard let mtlValidation = validations[Cell(target: target, arm: Arm("mtl"))].map(Builder.byRepeat) else { return [] }
            var results: [Result] = []
            let names = Set(arms.filter { $0.isMTIF && $0.budget != nil }.map(\.name)).sorted()
            for name in names {
                let budgets = arms.filter { $0.name == name }.compactMap(\.budget).sorted()
                var chosen: [String: Double] = [:], loss: [String: Double] = [:], metric: [String: Double] = [:]
                var randomLoss: [String: Double] = [:], randomMetric: [String: Double] = [:]
                var complete = true, randomComplete = true
                for (r, base) in baselineRuns {
                    guard let baseValidation = mtlValidation[r] else { complete = false; break }
                    var best = (budget: 0.0, loss: ExperimentSummary.average(baseValidation.map(\.loss)))
                    for b in budgets {
                        let cell = Cell(target: target, arm: Arm(name, budget: b))
                        guard let v = validations[cell].map(Builder.byRepeat)?[r], evaluations[cell].map(Builder.byRepeat)?[r] != nil else {
                            complete = false; break
                        }
                        let value = ExperimentSummary.average(v.map(\.loss))
                        if value < best.loss { best = (b, value) }
                    }
                    guard complete else { break }
                    chosen[r] = best.budget
                    let test = best.budget == 0 ? base : evaluations[Cell(target: target, arm: Arm(name, budget: best.budget))].map(Builder.byRepeat)![r]!
                    loss[r] = ExperimentSummary.average(test.map(\.loss))
                    metric[r] = ExperimentSummary.average(test.map(\.value))
                    let random = best.budget == 0 ? base : evaluations[Cell(target: target, arm: Arm("random", budget: best.budget))].map(Builder.byRepeat)?[r]
                    if let random {
                        randomLoss[r] = ExperimentSummary.average(random.map(\.loss))
                        randomMetric[r] = ExperimentSummary.average(random.map(\.value))
                    } else {
                        randomComplete = false
                    }
                }
                guard complete, !chosen.isEmpty else { continue }
                func result(_ arm: Arm, _ loss: [String: Double], _ metric: [String: Double]) -> Result {
                    let order = loss.keys.sorted(by: naturalOrder)
                    let baseLoss = baselineRuns.mapValues { ExperimentSummary.average($0.map(\.loss)) }
                    let baseMetric = baselineRuns.mapValues { ExperimentSummary.average($0.map(\.value)) }
                    let deltas = order.map { loss[$0]! - baseLoss[$0]! }
                    let first = baselineRuns.values.first![0]
                    return Result(
                        target: target, arm: arm, n: first.n, testLoss: ExperimentSummary.average(order.map { loss[$0]! }),
                        testLossSD: nil, metric: first.metric, testMetric: ExperimentSummary.average(order.map { metric[$0]! }),
                        deltaLoss: ExperimentSummary.average(deltas),
                        deltaMetric: ExperimentSummary.average(order.map { metric[$0]! - baseMetric[$0]! }),
                        dropped: nil, seeds: 1, repeats: order.count, lossByRepeat: loss,
                        deltaInterval: Statistics.bootstrapMean(deltas, seed: taskStream(target + "\u{0}" + arm.label)),
                        chosenBudgets: chosen)
                }
                results.append(result(Arm(name, byValidation: true), loss, metric))
                if name == "mtif" && randomComplete {
                    results.append(result(Arm("random", byValidation: true), randomLoss, randomMetric))
                }
            }
            return results
        }

        func finish() throws -> ExperimentSummary {
            guard !evaluations.isEmpty else {
                throw MTIFError.input(
                    "\(file): no evaluation of a target task (a \"task\" record tagged with arm whose task is its target)",
                    hint: "concatenate the tagged outputs of mtif-eval on each target's test split")
            }
            let targets = Set(evaluations.keys.map(\.target)).sorted(by: naturalOrder)
            let arms = Set(evaluations.keys.map(\.arm)).sorted(by: ExperimentSummary.displayOrder)
            let repeats = Set(evaluations.values.flatMap { $0.keys.map(Builder.repeatOf) }).sorted(by: naturalOrder)
            var results: [Result] = []
            for target in targets {
                guard let mtlRuns = evaluations[Cell(target: target, arm: Arm("mtl"))] else {
                    throw fail(firstLine[target] ?? 1, "arm",
                               "target \"\(target)\" has no evaluation of arm \"mtl\" (plain multitask training), so no Δ",
                               hint: "evaluate the plain multitask model on \(target)'s test split with --tag arm=mtl --tag target=\(target)")
                }
                let baselineRuns = Builder.byRepeat(mtlRuns)
                let baseline = mtlRuns.values.min { $0.line < $1.line }!
                for arm in arms {
                    guard let runs = evaluations[Cell(target: target, arm: arm)] else { continue }
                    let list = runs.values.sorted { $0.line < $1.line }
                    for run in list where run.metric != baseline.metric {
                        throw fail(run.line, run.metric.rawValue,
                                   "target \"\(target)\" is measured by \(baseline.metric.rawValue) in the mtl arm (line \(baseline.line))")
                    }
                    let perRepeat = Builder.byRepeat(runs)
                    var deltas: [Double] = [], deltaMetrics: [Double] = []
                    for (r, runsOfRepeat) in perRepeat.sorted(by: { naturalOrder($0.key, $1.key) }) {
                        guard let base = baselineRuns[r] else {
                            throw fail(runsOfRepeat[0].line, "repeat",
                                       "target \"\(target)\" has no mtl evaluation in repeat \"\(r)\", so no Δ for arm \(arm.label)")
                        }
                        deltas.append(ExperimentSummary.average(runsOfRepeat.map(\.loss)) - ExperimentSummary.average(base.map(\.loss)))
                        deltaMetrics.append(ExperimentSummary.average(runsOfRepeat.map(\.value)) - ExperimentSummary.average(base.map(\.value)))
                    }
                    let lossByRepeat = perRepeat.mapValues { ExperimentSummary.average($0.map(\.loss)) }
                    let losses = list.map(\.loss)
                    var sd: Double? = nil
                    if perRepeat.count == 1, losses.count > 1 {
                        let mean = ExperimentSummary.average(losses)
                        let squares = losses.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
                        sd = (squares / Double(losses.count - 1)).squareRoot()
                    }
                    let drops = dropped[Cell(target: target, arm: arm)].map { Array($0.values) }
                    results.append(Result(
                        target: target, arm: arm, n: list[0].n,
                        testLoss: ExperimentSummary.average(Array(lossByRepeat.values)), testLossSD: sd,
                        metric: baseline.metric,
                        testMetric: ExperimentSummary.average(perRepeat.values.map { ExperimentSummary.average($0.map(\.value)) }),
                        deltaLoss: ExperimentSummary.average(deltas), deltaMetric: ExperimentSummary.average(deltaMetrics),
                        dropped: drops.map { ExperimentSummary.average($0.map(Double.init)) },
                        seeds: perRepeat.values.map(\.count).max() ?? 1, repeats: perRepeat.count,
                        lossByRepeat: lossByRepeat,
                        deltaInterval: Statistics.bootstrapMean(deltas, seed: taskStream(target + "\u{0}" + arm.label))))
                }
                results += validationChoices(target, arms: arms, baselineRuns: baselineRuns)
            }
            var allArms = arms
            for arm in results.map(\.arm) where !allArms.contains(arm) { allArms.append(arm) }
            allArms.sort(by: ExperimentSummary.displayOrder)
            var summary = ExperimentSummary(
                targets: targets, arms: allArms, results: results, means: [], planted: [],
                targetUnrelated: targetUnrelated.mapValues(\.value))
            summary.repeats = repeats
            summary.means = allArms.map { summary.computeMean($0) }
            summary.comparisons = summary.computeComparisons()
            summary.planted = summary.computePlanted(plantedRecords.map { ($0.cell.target, $0.cell.arm, $0.counts) })
            return summary
        }
    }

    private func computeMean(_ arm: Arm) -> Mean {
        let rows = results.filter { $0.arm == arm }
        let accuracy = rows.filter { $0.metric == .accuracy }
        let rmse = rows.filter { $0.metric == .rmse }
        var mean = Mean(
            arm: arm, targets: rows.count,
            testLoss: Self.average(rows.map(\.testLoss)), deltaLoss: Self.average(rows.map(\.deltaLoss)),
            testAccuracy: accuracy.isEmpty ? nil : Self.average(accuracy.map(\.testMetric)),
            deltaAccuracy: accuracy.isEmpty ? nil : Self.average(accuracy.map(\.deltaMetric)),
            testRMSE: rmse.isEmpty ? nil : Self.average(rmse.map(\.testMetric)),
            deltaRMSE: rmse.isEmpty ? nil : Self.average(rmse.map(\.deltaMetric)),
            winsVsMTL: rows.filter { $0.deltaLoss < 0 }.count)
        mean.deltaInterval = Statistics.bootstrapMean(
            rows.map(\.deltaLoss), seed: taskStream("mean\u{0}" + arm.label))
        let random = Arm("random", budget: arm.budget, byValidation: arm.byValidation)
        if arm.name == "mtif", arms.contains(random) {
            let pairs = rows.compactMap { row in result(row.target, random).map { (row.testLoss, $0.testLoss) } }
            mean.randomTargets = pairs.count
            mean.winsVsRandom = pairs.filter { $0.0 < $0.1 }.count
        }
        return mean
    }

    /// The order of arms in tables: mtl, single, mtif by budget then @val,
    /// random likewise, whole_tasks, then other names alphabetically.
    static func displayOrder(_ a: Arm, _ b: Arm) -> Bool {
        if a.rank != b.rank { return a.rank < b.rank }
        if a.name != b.name { return a.name < b.name }
        if a.byValidation != b.byValidation { return !a.byValidation }
        return (a.budget ?? -1) < (b.budget ?? -1)
    }

    /// Every arm vs mtl; every MTIF arm vs random at its budget (or random@val)
    /// and vs whole_tasks. Per target d = mean over the repeats both arms have
    /// of (arm − versus) test loss.
    private func computeComparisons() -> [Comparison] {
        var pairs: [(Arm, Arm)] = []
        let mtl = Arm("mtl")
        for arm in arms where arm != mtl { pairs.append((arm, mtl)) }
        for arm in arms where arm.isMTIF {
            let random = arm.name == "mtif" ? Arm("random", budget: arm.budget, byValidation: arm.byValidation)
                                            : Arm("random", budget: arm.budget)
            if !arm.byValidation || arm.name == "mtif", arms.contains(random) { pairs.append((arm, random)) }
            if arms.contains(Arm("whole_tasks")) { pairs.append((arm, Arm("whole_tasks"))) }
        }
        var comparisons: [Comparison] = []
        for (arm, versus) in pairs {
            var d: [Double] = []
            for target in targets {
                guard let a = result(target, arm), let b = result(target, versus) else { continue }
                let common = a.lossByRepeat.keys.filter { b.lossByRepeat[$0] != nil }
                guard !common.isEmpty else { continue }
                d.append(Self.average(common.map { a.lossByRepeat[$0]! - b.lossByRepeat[$0]! }))
            }
            guard !d.isEmpty else { continue }
            let sorted = d.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                                               : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            comparisons.append(Comparison(
                arm: arm, versus: versus, targets: d.count, lower: d.filter { $0 < 0 }.count,
                higher: d.filter { $0 > 0 }.count, ties: d.filter { $0 == 0 }.count,
                meanDifference: Self.average(d), medianDifference: median, test: Statistics.wilcoxonSignedRank(d)))
        }
        return comparisons
    }

    private func computePlanted(_ records: [(target: String, arm: Arm, counts: [Int])]) -> [Planted] {
        var order: [Arm] = arms
        for record in records where !order.contains(record.arm) { order.append(record.arm) }
        var planted: [Planted] = []
        for arm in order {
            for group in Planted.Group.allCases {
                let members = records.filter { record in
                    guard record.arm == arm else { return false }
                    switch targetUnrelated[record.target] {
                    case .some(true): return group == .unrelated
                    case .some(false): return group == .related
                    case .none: return group == .unknown
                    }
                }
                guard !members.isEmpty else { continue }
                var total = Planted(arm: arm, group: group, targets: Set(members.map(\.target)).count)
                for member in members {
                    let c = member.counts
                    total.candidates += c[0]; total.dropped += c[1]
                    total.corruptedCandidates += c[2]; total.corruptedDropped += c[3]
                    total.unrelatedCandidates += c[4]; total.unrelatedDropped += c[5]
                }
                planted.append(total)
            }
        }
        return planted
    }

    static func average(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}

/// Task names with their digit runs compared as numbers: s2 < s10, t01 < t02.
package func naturalOrder(_ a: String, _ b: String) -> Bool {
    func parts(_ s: String) -> [(text: String, number: Int?)] {
        var result: [(String, Int?)] = []
        var current = ""
        var digits = false
        for ch in s {
            let isDigit = ch.isASCII && ch.isNumber
            if !current.isEmpty && isDigit != digits {
                result.append((current, digits ? Int(current) : nil))
                current = ""
            }
            digits = isDigit
            current.append(ch)
        }
        if !current.isEmpty { result.append((current, digits ? Int(current) : nil)) }
        return result
    }
    let x = parts(a), y = parts(b)
    for (p, q) in zip(x, y) {
        if let m = p.number, let n = q.number {
            if m != n { return m < n }
        } else if p.text != q.text {
            return p.text < q.text
        }
    }
    return x.count != y.count ? x.count < y.count : a < b
}
