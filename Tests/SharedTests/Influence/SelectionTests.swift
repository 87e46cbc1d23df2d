import Foundation
import Shared
import Testing

/// Selection rules on a hand-made fixture: 3 tasks × 4 examples with dyadic
/// scores (exact sums, so ties are real ties). Positions are input order.
///
///     pos  task  score_t1  score_t2   sum t1+t2
///      0   t1     0.5       0          0.5
///      1   t1    -0.25      0.125     -0.125
///      2   t1     0.125     0          0.125
///      3   t1     0         0          0
///      4   t2     0.375    -0.5       -0.125
///      5   t2    -0.125     0.25       0.125
///      6   t2     0.375     0          0.375     (ties with 4 on t1)
///      7   t2     0         0          0
///      8   t3     0.25      0.125      0.375
///      9   t3     0.5       0.125      0.625     (ties with 0 on t1)
///     10   t3    -0.875    -0.5       -1.375
///     11   t3     0.0625    0          0.0625
///
/// R(t2→t1) = 0.625 > 0, R(t3→t1) = −0.0625 < 0, R(t1→t2) = 0.125 > 0,
/// R(t3→t2) = −0.25.
@Suite struct SelectionTests {
    static let tasks = ["t1", "t1", "t1", "t1", "t2", "t2", "t2", "t2", "t3", "t3", "t3", "t3"]
    static let t1: [Double] = [0.5, -0.25, 0.125, 0, 0.375, -0.125, 0.375, 0, 0.25, 0.5, -0.875, 0.0625]
    static let t2: [Double] = [0, 0.125, 0, 0, -0.5, 0.25, 0, 0, 0.125, 0.125, -0.5, 0]

    /// The selection score for `targets`: the sum of their columns.
    private func scores(_ targets: [String]) -> [Double] {
        Self.tasks.indices.map { i in
            (targets.contains("t1") ? Self.t1[i] : 0) + (targets.contains("t2") ? Self.t2[i] : 0)
        }
    }

    private func select(
        _ targets: [String], scope: CandidateScope = .others, rule: SelectionRule = .mtif,
        budget: SelectionBudget = .allHarmful, seed: UInt64 = 0
    ) throws -> Selection {
        var options = SelectionOptions(targets: targets)
        options.scope = scope
        options.rule = rule
        options.budget = budget
        options.seed = seed
        return try Selection(tasks: Self.tasks, scores: scores(targets), options: options)
    }

    @Test func thresholdDropsEveryHarmfulCandidateAndNothingElse() throws {
        // Harmful other-task examples for t1: 4, 6, 8, 9, 11; 5, 7, 10 (≤ 0) stay.
        let s = try select(["t1"])
        #expect(s.dropped == [4, 6, 8, 9, 11])
        #expect(s.candidateCount == 8)
        #expect(s.keptCount == 7)
        #expect(s.dropped.allSatisfy { scores(["t1"])[$0] > 0 })
    }

    @Test func countTakesTheMostHarmfulFirstWithTiesInInputOrder() throws {
        // Ranked: 9 (0.5), 4 (0.375), 6 (0.375), 8 (0.25), 11 (0.0625).
        #expect(try select(["t1"], budget: .count(1)).dropped == [9])
        #expect(try select(["t1"], budget: .count(2)).dropped == [4, 9])  // 4 before 6: the tie goes to input order
        #expect(try select(["t1"], budget: .count(3)).dropped == [4, 6, 9])
        #expect(try select(["t1"], budget: .count(0)).dropped == [])
        // A count beyond the harmful ones never reaches a score ≤ 0.
        #expect(try select(["t1"], budget: .count(100)).dropped == [4, 6, 8, 9, 11])
    }

    @Test func fractionIsFloorOfFractionTimesCandidates() throws {
        #expect(try select(["t1"], budget: .fraction(0.25)).dropped == [4, 9])  // floor(0.25·8) = 2
        #expect(try select(["t1"], budget: .fraction(0.3)).dropped == [4, 9])  // floor(2.4) = 2
        #expect(try select(["t1"], budget: .fraction(0.5)).dropped == [4, 6, 8, 9])
        #expect(try select(["t1"], budget: .fraction(0)).dropped == [])
        #expect(try select(["t1"], budget: .fraction(1)).dropped == [4, 6, 8, 9, 11])
        // 0.29 · 100 is 28.999… in binary; the budget is still 29.
        #expect(Selection.budget(.fraction(0.29), candidates: 100) == 29)
        #expect(Selection.budget(.fraction(0.1), candidates: 7) == 0)
    }

    @Test func candidatesAllIncludesTheTargetsOwnExamples() throws {
        let s = try select(["t1"], scope: .all)
        #expect(s.candidateCount == 12)
        #expect(s.dropped == [0, 2, 4, 6, 8, 9, 11])
        // 0 and 9 tie at 0.5: 0 comes first in the input.
        #expect(try select(["t1"], scope: .all, budget: .count(1)).dropped == [0])
        #expect(try select(["t1"], scope: .all, budget: .count(2)).dropped == [0, 9])
    }

    @Test func severalTargetsRankBySumOfScores() throws {
        // Sum t1+t2 ranked: 9 (0.625), 0 (0.5), 6 (0.375), 8 (0.375), 2, 5 (0.125), 11.
        // 4 is harmful to t1 alone but helps the sum; 5 only hurts through t2.
        #expect(try select(["t1", "t2"], scope: .all).dropped == [0, 2, 5, 6, 8, 9, 11])
        #expect(try select(["t1", "t2"], scope: .all, budget: .count(3)).dropped == [0, 6, 9])
        #expect(try select(["t2", "t1"], scope: .all, budget: .count(3)).dropped == [0, 6, 9])
        // Default candidates: only t3 is not a target.
        let others = try select(["t1", "t2"])
        #expect(others.candidateCount == 4)
        #expect(others.dropped == [8, 9, 11])
    }

    @Test func wholeTasksDropsEveryExampleOfTasksWithPositiveRelatedness() throws {
        // R(t2→t1) > 0: all of t2 goes, its helpful examples too; R(t3→t1) < 0 stays.
        #expect(try select(["t1"], rule: .wholeTasks).dropped == [4, 5, 6, 7])
        #expect(try select(["t1"], scope: .all, rule: .wholeTasks).dropped == [4, 5, 6, 7])
        #expect(try select(["t2"], rule: .wholeTasks).dropped == [0, 1, 2, 3])
        // Targets are never dropped, even when their R is positive (R(t2→{t1,t2}) = 0.375).
        #expect(try select(["t1", "t2"], scope: .all, rule: .wholeTasks).dropped == [])
    }

    @Test func wholeTasksUsesTheGivenRelatedness() throws {
        var options = SelectionOptions(targets: ["t1"])
        options.rule = .wholeTasks
        let s = try Selection(
            tasks: Self.tasks, scores: scores(["t1"]), relatedness: ["t1": 1, "t2": -1, "t3": 1], options: options)
        #expect(s.dropped == [8, 9, 10, 11])
        #expect(s.tasks.map(\.relatedness) == [1, -1, 1])
    }

    @Test func randomDropsTheSameCountAmongCandidatesDeterministically() throws {
        for budget in [SelectionBudget.allHarmful, .count(3), .fraction(0.5)] {
            let mtif = try select(["t1"], budget: budget)
            for seed: UInt64 in [0, 1, 2, 7] {
                let r = try select(["t1"], rule: .random, budget: budget, seed: seed)
                #expect(r.dropped.count == mtif.dropped.count)
                #expect(r.dropped.allSatisfy { Self.tasks[$0] != "t1" }, "only candidates: \(r.dropped)")
                #expect(r.dropped == r.dropped.sorted())
                #expect(Set(r.dropped).count == r.dropped.count)
                #expect(try select(["t1"], rule: .random, budget: budget, seed: seed).dropped == r.dropped)
            }
        }
        let a = try select(["t1"], rule: .random, budget: .fraction(0.5), seed: 1).dropped
        let b = try select(["t1"], rule: .random, budget: .fraction(0.5), seed: 2).dropped
        #expect(a != b)
        // Pinned (this implementation's output, SplitMix64 Fisher–Yates over
        // the candidates in input order): a change of draw breaks reproducibility.
        #expect(a == [4, 5, 7, 11])
        // With every example a candidate the draw may reach the targets' own.
        let all = try select(["t1"], scope: .all, rule: .random, seed: 3)
        #expect(all.dropped.count == 7)
    }

    @Test func aTaskKeepsItsLastExample() throws {
        var options = SelectionOptions(targets: ["a"])
        let tasks = ["a", "b", "b", "c", "c"]
        let scores = [0.25, 0.5, 0.375, 0.25, -0.125]
        // Every example of b is harmful: its least harmful one stays.
        var s = try Selection(tasks: tasks, scores: scores, options: options)
        #expect(s.dropped == [1, 3])
        #expect(s.tasks.map(\.keptLast) == [false, true, false])
        // The budget passes the skipped example on to the next in rank.
        options.budget = .count(2)
        s = try Selection(tasks: tasks, scores: scores, options: options)
        #expect(s.dropped == [1, 3])
        options.budget = .count(1)
        s = try Selection(tasks: tasks, scores: scores, options: options)
        #expect(s.dropped == [1])
        #expect(s.tasks.allSatisfy { !$0.keptLast })
        // A one-example task is never emptied, not even by the random baseline.
        options.budget = .allHarmful
        options.scope = .all
        for seed: UInt64 in 0..<20 {
            options.rule = .random
            options.seed = seed
            let r = try Selection(tasks: ["a", "b", "b"], scores: [1, 1, 1], options: options)
            #expect(r.dropped == [1] || r.dropped == [2])
        }
    }

    @Test func perTaskSummary() throws {
        let s = try select(["t1"])
        #expect(s.tasks.map(\.task) == ["t1", "t2", "t3"])
        #expect(s.tasks.map(\.examples) == [4, 4, 4])
        #expect(s.tasks.map(\.candidates) == [0, 4, 4])
        #expect(s.tasks.map(\.dropped) == [0, 2, 3])
        #expect(s.tasks.map(\.scoreSum) == [0, 0.75, 0.8125])
        #expect(s.tasks.map(\.relatedness) == [0.5 - 0.25 + 0.125, 0.625, -0.0625])
    }

    @Test func badBudgetsAreUsageErrors() throws {
        for budget in [SelectionBudget.fraction(1.5), .fraction(-0.1), .count(-1)] {
            #expect(throws: MTIFError.self) { try select(["t1"], budget: budget) }
            do { _ = try select(["t1"], budget: budget) } catch let error as MTIFError {
                #expect(error.kind == .usage)
            }
        }
        #expect(throws: MTIFError.self) { try select([]) }
        #expect(throws: MTIFError.self) { try select(["t1"], rule: .wholeTasks, budget: .count(1)) }
    }
}

@Suite struct ScoreTableTests {
    private func write(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scores-\(UUID().uuidString).ndjson").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func recordsTheLineOfEachIdAndSums() throws {
        let table = try ScoreTable(path: try write([
            #"{"type":"meta","sign":"positive = hurts"}"#,
            #"{"type":"score","id":"a0","task":"a","scores":{"a":0.5,"b":-0.25}}"#,
            #"{"type":"score","id":"b0","task":"b","scores":{"a":0.25,"b":0.125}}"#,
            #"{"type":"score","id":"b1","task":"b","scores":{"a":-0.5,"b":0.5}}"#,
        ]))
        #expect(table.targets == ["a", "b"])
        #expect(table.lines == ["a0": 2, "b0": 3, "b1": 4])
        #expect(table.counts == ["a": 1, "b": 2])
        #expect(table.relatedness["b"] == [-0.25, 0.625])
    }

    @Test func duplicateIdNamesBothLines() throws {
        let path = try write([
            #"{"type":"score","id":"a0","task":"a","scores":{"a":0.5}}"#,
            #"{"type":"score","id":"a0","task":"a","scores":{"a":0.25}}"#,
        ])
        do {
            _ = try ScoreTable(path: path)
            Issue.record("a duplicate id was accepted")
        } catch let error as MTIFError {
            #expect(error.message.contains(":2: field \"id\": duplicate id \"a0\", also on line 1"))
        }
    }
}

/// --min-t: the t statistic and the selection it filters.
extension SelectionTests {
    /// t = Σ_k m_k / √(Σ_k s²_k/|V_k|) over the targets' point columns.
    @Test func significanceIsTheMeanOverItsStandardError() {
        // One target, points 1, 2, 3, 6: mean 3, sample variance 14/3, se² = 14/12.
        let t = significanceT([1, 2, 3, 6], columns: [[0, 1, 2, 3]])
        #expect(abs(t - 3 / (14.0 / 12).squareRoot()) < 1e-14)
        // Two targets add means and squared standard errors; unused columns are ignored.
        let two = significanceT([1, 2, 3, 6, 99, -1, 1], columns: [[0, 1, 2, 3], [5, 6]])
        #expect(abs(two - 3 / (14.0 / 12 + 1).squareRoot()) < 1e-14)
        #expect(significanceT([2, 2, 2], columns: [[0, 1, 2]]) == .infinity)
        #expect(significanceT([-2, -2], columns: [[0, 1]]) == -.infinity)
        #expect(significanceT([0, 0], columns: [[0, 1]]) == 0)
    }

    /// --min-t keeps the harmful candidates whose t is below it, and counts them.
    @Test func minTDropsOnlySignificantHarm() throws {
        var options = SelectionOptions(targets: ["t1"])
        options.minT = 2
        // Harmful for t1 (4, 6, 8, 9, 11); of those only 6 and 9 clear t ≥ 2.
        var t = [Double](repeating: 5, count: 12)
        t[4] = 1.9; t[8] = -3; t[11] = 0
        let s = try Selection(tasks: Self.tasks, scores: scores(["t1"]), significance: t, options: options)
        #expect(s.dropped == [6, 9])
        #expect(s.notSignificant == 3)
        options.budget = .count(1)
        #expect(try Selection(tasks: Self.tasks, scores: scores(["t1"]), significance: t, options: options).dropped == [9])
        options.rule = .random
        #expect(throws: MTIFError.self) { try Selection(tasks: Self.tasks, scores: scores(["t1"]), significance: t, options: options) }
        options.rule = .mtif
        options.minT = -1
        #expect(throws: MTIFError.self) { try Selection(tasks: Self.tasks, scores: scores(["t1"]), significance: t, options: options) }
    }
}
