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
///
/// Lower test loss is better; Δ = arm − plain multitask (`mtl`) on the same
/// target, so a negative Δ loss is an improvement.
package struct ExperimentSummary: Sendable {
    /// One training recipe: `mtl`, `single`, `mtif`, `random`, `whole_tasks`
    /// (or any other name the tags give), with its budget for the selection rules.
    package struct Arm: Hashable, Sendable {
        package var name: String
        package var budget: Double?

        package init(_ name: String, budget: Double? = nil) {
            self.name = name
            self.budget = budget
        }

        /// `mtl`, `mtif@0.1`.
        package var label: String { budget.map { "\(name)@\($0)" } ?? name }

        /// mtl, single, mtif, random, whole_tasks, then other names.
        var rank: Int { ["mtl", "single", "mtif", "random", "whole_tasks"].firstIndex(of: name) ?? 5 }
    }

    /// The test metric beside the loss: accuracy (classification) or RMSE (regression).
    package enum Metric: String, Sendable {
        case accuracy, rmse
    }

    /// One target × arm: means over the arm's seeds.
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
    package var planted: [Planted]
    /// Which targets are unrelated tasks, where a tag said.
    package var targetUnrelated: [String: Bool]

    package func result(_ target: String, _ arm: Arm) -> Result? {
        results.first { $0.target == target && $0.arm == arm }
    }

    package func mean(_ arm: Arm) -> Mean? { means.first { $0.arm == arm } }

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
        var evaluations: [Cell: [String: Evaluation]] = [:]     // seed ("" without) → evaluation
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

        func seed(_ record: JSONValue, _ line: Int) throws -> String {
            guard let value = record["seed"] else { return "" }
            if let number = value.int { return String(number) }
            if let text = value.string, !text.isEmpty { return text }
            throw fail(line, "seed", "expected a seed such as \"1\"")
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
            let seed = try seed(record, line)
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
            if let earlier = evaluations[cell]?[seed] {
                throw MTIFError.input(
                    "second evaluation of arm \(arm.label) on target \"\(target)\"\(seed.isEmpty ? "" : " seed \(seed)") (first on line \(earlier.line))",
                    file: file, line: line, hint: "random arms need a distinct --tag seed=N per run")
            }
            evaluations[cell, default: [:]][seed] = Evaluation(n: n, loss: loss, metric: metric, value: value, line: line)
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
            dropped[cell, default: [:]][try seed(record, line)] = try count(record, "dropped", line)
        }

        mutating func addPlanted(_ record: JSONValue, line: Int) throws {
            guard let armName = try string(record, "arm", line) else { throw fail(line, "arm", "missing") }
            guard let target = try string(record, "target", line) else { throw fail(line, "target", "missing") }
            try noteTarget(record, target, line)
            let cell = Cell(target: target, arm: Arm(armName, budget: try budget(record, line)))
            let seed = try seed(record, line)
            guard plantedSeen.insert("\(cell.target)\u{0}\(cell.arm.label)\u{0}\(seed)").inserted else {
                throw MTIFError.input(
                    "second planted record of arm \(cell.arm.label) on target \"\(target)\"\(seed.isEmpty ? "" : " seed \(seed)")",
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

        func finish() throws -> ExperimentSummary {
            guard !evaluations.isEmpty else {
                throw MTIFError.input(
                    "\(file): no evaluation of a target task (a \"task\" record tagged with arm whose task is its target)",
                    hint: "concatenate the tagged outputs of mtif-eval on each target's test split")
            }
            let targets = Set(evaluations.keys.map(\.target)).sorted(by: naturalOrder)
            let arms = Set(evaluations.keys.map(\.arm)).sorted { a, b in
                if a.rank != b.rank { return a.rank < b.rank }
                if a.name != b.name { return a.name < b.name }
                return (a.budget ?? -1) < (b.budget ?? -1)
            }
            var results: [Result] = []
            for target in targets {
                guard let baseline = evaluations[Cell(target: target, arm: Arm("mtl"))]?.values.first else {
                    throw fail(firstLine[target] ?? 1, "arm",
                               "target \"\(target)\" has no evaluation of arm \"mtl\" (plain multitask training), so no Δ",
                               hint: "evaluate the plain multitask model on \(target)'s test split with --tag arm=mtl --tag target=\(target)")
                }
                for arm in arms {
                    guard let runs = evaluations[Cell(target: target, arm: arm)] else { continue }
                    let list = runs.values.sorted { $0.line < $1.line }
                    for run in list where run.metric != baseline.metric {
                        throw fail(run.line, run.metric.rawValue,
                                   "target \"\(target)\" is measured by \(baseline.metric.rawValue) in the mtl arm (line \(baseline.line))")
                    }
                    let losses = list.map(\.loss)
                    let loss = ExperimentSummary.average(losses)
                    let value = ExperimentSummary.average(list.map(\.value))
                    var sd: Double? = nil
                    if losses.count > 1 {
                        let squares = losses.map { ($0 - loss) * ($0 - loss) }.reduce(0, +)
                        sd = (squares / Double(losses.count - 1)).squareRoot()
                    }
                    let drops = dropped[Cell(target: target, arm: arm)].map { Array($0.values) }
                    results.append(Result(
                        target: target, arm: arm, n: list[0].n, testLoss: loss, testLossSD: sd,
                        metric: baseline.metric, testMetric: value, deltaLoss: loss - baseline.loss,
                        deltaMetric: value - baseline.value,
                        dropped: drops.map { ExperimentSummary.average($0.map(Double.init)) }, seeds: list.count))
                }
            }
            var summary = ExperimentSummary(
                targets: targets, arms: arms, results: results, means: [], planted: [],
                targetUnrelated: targetUnrelated.mapValues(\.value))
            summary.means = arms.map { summary.computeMean($0) }
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
        let random = Arm("random", budget: arm.budget)
        if arm.name == "mtif", arms.contains(random) {
            let pairs = rows.compactMap { row in result(row.target, random).map { (row.testLoss, $0.testLoss) } }
            mean.randomTargets = pairs.count
            mean.winsVsRandom = pairs.filter { $0.0 < $0.1 }.count
        }
        return mean
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
