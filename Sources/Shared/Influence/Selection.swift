/// Data selection by influence scores (SPEC §5): which training examples to
/// drop for a set of target tasks. Pure: it sees one selection score per
/// example, in input order, and returns positions; reading and writing files
/// is `runSelection`'s job.
///
/// Sign (SPEC §2): score_k(z) > 0 means example z HURTS target k. With several
/// targets the selection score of z is Σ_{k∈targets} score_k(z), the
/// first-order change of the summed validation losses.
///
/// N examples; positions are 0-based indices into the input order.

/// Which examples may be dropped.
package enum CandidateScope: String, CaseIterable, Sendable {
    /// Examples of tasks other than the targets (the default).
    case others
    /// Every example, the targets' own included.
    case all
}

/// How the dropped set is chosen.
package enum SelectionRule: String, CaseIterable, Sendable {
    /// Harmful candidates (score > 0), most harmful first, up to the budget.
    case mtif
    /// As many candidates as `mtif` would drop, chosen uniformly at random.
    case random
    /// Every non-target task l with R(l→targets) > 0, all of its examples.
    case wholeTasks = "whole_tasks"
}

/// How many harmful candidates `mtif` (and so `random`) may drop.
package enum SelectionBudget: Sendable, Equatable {
    /// Every harmful candidate.
    case allHarmful
    /// At most floor(F · candidates), F in [0, 1].
    case fraction(Double)
    /// At most N, N ≥ 0.
    case count(Int)
}

package struct SelectionOptions: Sendable {
    package var targets: [String]
    package var scope = CandidateScope.others
    package var rule = SelectionRule.mtif
    package var budget = SelectionBudget.allHarmful
    /// Seed of the `random` rule (SplitMix64).
    package var seed: UInt64 = 0
    /// `mtif` drops only candidates whose score is this many standard errors
    /// above 0 over the targets' single validation points (`significance`); nil: no test.
    package var minT: Double? = nil

    package init(targets: [String]) { self.targets = targets }

    /// Usage errors: no target, a fraction outside [0, 1], a negative count, a
    /// budget with `wholeTasks`.
    package func validate() throws {
        switch budget {
        case .allHarmful: break
        case .fraction(let f):
            guard f >= 0 && f <= 1 else { throw MTIFError.usage("--fraction: expected a number in [0, 1], found \(f)") }
        case .count(let n):
            guard n >= 0 else { throw MTIFError.usage("--count: expected a non-negative integer, found \(n)") }
        }
        guard !targets.isEmpty else { throw MTIFError.usage("no target task", hint: "give --target T") }
        if let minT {
            guard minT.isFinite && minT >= 0 else { throw MTIFError.usage("--min-t: expected a non-negative number, found \(minT)") }
            guard rule == .mtif else { throw MTIFError.usage("--min-t applies to the mtif rule, not to --random or --whole-tasks") }
        }
        if rule == .wholeTasks && budget != .allHarmful {
            throw MTIFError.usage("--whole-tasks drops whole tasks; --fraction and --count do not apply")
        }
    }
}

/// One source task's part in a selection.
package struct TaskSelection: Sendable, Equatable {
    package var task: String
    /// n_l: its examples in the input.
    package var examples = 0
    /// Its examples that were candidates.
    package var candidates = 0
    package var dropped = 0
    /// Σ selection scores of its dropped examples (the uncorrected predicted
    /// decrease of the targets' validation loss).
    package var scoreSum = 0.0
    /// R(l→targets) = Σ_{z∈D_l} selection score.
    package var relatedness = 0.0
    /// True when a harmful example stayed only because it was the task's last one.
    package var keptLast = false
}

/// The result of a selection rule over N examples.
///
/// * `mtif`: candidates with selection score > 0 are ranked by descending
///   score, ties by input order, and dropped in that order until the budget
///   (floor(F · candidates), N, or all of them) is spent. A score ≤ 0 is never
///   dropped; with `minT`, neither is a score whose t statistic is below it.
/// * `random`: the count `mtif` drops with the same options, drawn uniformly
///   from the candidates by a SplitMix64 shuffle seeded with `seed`.
/// * `wholeTasks`: every example of every task l ∉ targets with
///   R(l→targets) > 0; target tasks are never dropped; no budget.
///
/// A task never loses its last example under `mtif` or `random` (the retrain
/// needs every task present): the drop that would empty it is skipped and
/// the next one in order is taken instead, and `keptLast` marks the task.
/// `wholeTasks` removes tasks entirely, because R(l→k) predicts the effect of
/// training without task l, not with one example of it left.
package struct Selection: Sendable {
    package let options: SelectionOptions
    /// Dropped positions, ascending (input order).
    package let dropped: [Int]
    /// Per source task, in order of first appearance in the input.
    package let tasks: [TaskSelection]
    /// N.
    package let exampleCount: Int
    package let candidateCount: Int

    package var keptCount: Int { exampleCount - dropped.count }

    /// Candidates with score > 0 that `significance` ruled out (below `minT`).
    package private(set) var notSignificant = 0

    /// - Parameters:
    ///   - tasks: (N) the task of each example, in input order.
    ///   - scores: (N) the selection score of each example.
    ///   - relatedness: R(l→targets) per task, as the scores' producer summed
    ///     it; nil: summed here from `scores`.
    ///   - significance: (N) each example's t statistic (`significanceT`),
    ///     required when `options.minT` is set.
    package init(
        tasks: [String], scores: [Double], relatedness: [String: Double]? = nil, significance: [Double]? = nil,
        options: SelectionOptions
    ) throws {
        precondition(options.minT == nil || significance?.count == tasks.count, "--min-t needs a t statistic per example")
        precondition(tasks.count == scores.count)
        try options.validate()
        self.options = options
        exampleCount = tasks.count
        let targets = Set(options.targets)
        let isCandidate = tasks.map { options.scope == .all || !targets.contains($0) }
        candidateCount = isCandidate.lazy.filter { $0 }.count

        var summary: [TaskSelection] = []
        var index: [String: Int] = [:]
        for (i, task) in tasks.enumerated() {
            let t = index[task] ?? {
                summary.append(TaskSelection(task: task))
                index[task] = summary.count - 1
                return summary.count - 1
            }()
            summary[t].examples += 1
            if isCandidate[i] { summary[t].candidates += 1 }
            summary[t].relatedness += scores[i]
        }
        if let relatedness {
            for t in summary.indices { summary[t].relatedness = relatedness[summary[t].task] ?? summary[t].relatedness }
        }

        var drop: [Int]
        var keptLast = Set<String>()
        switch options.rule {
        case .wholeTasks:
            let gone = Set(summary.filter { !targets.contains($0.task) && $0.relatedness > 0 }.map(\.task))
            drop = tasks.indices.filter { gone.contains(tasks[$0]) }
        case .mtif, .random:
            let budget = Selection.budget(options.budget, candidates: candidateCount)
            var harmful = tasks.indices.filter { isCandidate[$0] && scores[$0] > 0 }
                .sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            if let minT = options.minT, let significance {
                let before = harmful.count
                harmful = harmful.filter { significance[$0] >= minT }
                notSignificant = before - harmful.count
            }
            drop = Selection.take(harmful, budget: budget, tasks: tasks, summary: summary, index: index, keptLast: &keptLast)
            if options.rule == .random {
                var order = tasks.indices.filter { isCandidate[$0] }
                var generator = SplitMix64(seed: options.seed)
                generator.shuffle(&order)
                var unused = Set<String>()
                drop = Selection.take(order, budget: drop.count, tasks: tasks, summary: summary, index: index, keptLast: &unused)
                keptLast = []
            }
        }
        drop.sort()
        for i in drop {
            summary[index[tasks[i]]!].dropped += 1
            summary[index[tasks[i]]!].scoreSum += scores[i]
        }
        for t in summary.indices { summary[t].keptLast = keptLast.contains(summary[t].task) }
        dropped = drop
        self.tasks = summary
    }

    /// floor(F · candidates), with F · candidates nudged up by a few ulps so
    /// that 0.29 · 100 (28.999… in binary) counts as 29.
    package static func budget(_ budget: SelectionBudget, candidates: Int) -> Int {
        switch budget {
        case .allHarmful: return candidates
        case .count(let n): return min(n, candidates)
        case .fraction(let f):
            let exact = f * Double(candidates)
            return min(candidates, Int((exact + max(1e-9, exact * 1e-12)).rounded(.down)))
        }
    }

    /// The first `budget` positions of `order` whose drop leaves their task
    /// at least one example; the skipped tasks go into `keptLast`.
    private static func take(
        _ order: [Int], budget: Int, tasks: [String], summary: [TaskSelection], index: [String: Int],
        keptLast: inout Set<String>
    ) -> [Int] {
        var remaining = summary.map(\.examples)
        var taken: [Int] = []
        for i in order {
            if taken.count >= budget { break }
            let t = index[tasks[i]]!
            if remaining[t] <= 1 { keptLast.insert(tasks[i]); continue }
            remaining[t] -= 1
            taken.append(i)
        }
        return taken
    }
}

/// The t statistic of each example's summed score over target tasks, from
/// its scores on single validation points: per target k with points V_k
/// (|V_k| ≥ 2), m_k = mean_{v∈V_k} score_v(z) and s²_k their sample variance;
/// t = Σ_k m_k / √(Σ_k s²_k/|V_k|). The task-mean score is m_k by linearity
/// (∇V_k is the mean of the points' gradients), so t measures how far the
/// score stands above the sampling noise of the validation split. A zero
/// standard error gives ±∞ (or 0 for a zero mean).
///
/// - Parameters:
///   - pointScores: per example, its scores on every point (one column per point).
///   - columns: per target task, the columns of its points.
package func significanceT(_ pointScores: [Double], columns: [[Int]]) -> Double {
    var mean = 0.0, variance = 0.0
    for group in columns {
        let n = Double(group.count)
        var sum = 0.0
        for c in group { sum += pointScores[c] }
        let m = sum / n
        var squares = 0.0
        for c in group { squares += (pointScores[c] - m) * (pointScores[c] - m) }
        mean += m
        variance += squares / (n - 1) / n
    }
    if variance == 0 { return mean == 0 ? 0 : (mean > 0 ? .infinity : -.infinity) }
    return mean / variance.squareRoot()
}
