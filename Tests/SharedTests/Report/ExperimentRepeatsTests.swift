import Foundation
import Shared
import Testing

/// `ExperimentSummary` over repeats with validation evaluations: Δ per repeat,
/// bootstrap intervals, mtif@val and random@val, the paired tests, and the
/// Δ picture. Two targets × two repeats; every number below is chosen by hand.
@Suite struct ExperimentRepeatsTests {
    typealias Arm = ExperimentSummary.Arm

    /// (target, repeat, arm, budget, seed, test loss, validation loss)
    static let rows: [(String, String, String, String?, String?, Double, Double?)] = [
        // a, repeat 0: validation picks 0.2 (0.36); repeat 1 picks 0.1 (0.49).
        ("a", "0", "mtl", nil, nil, 0.50, 0.40), ("a", "0", "mtif", "0.1", nil, 0.45, 0.38),
        ("a", "0", "mtif", "0.2", nil, 0.47, 0.36), ("a", "0", "random", "0.1", "1", 0.52, 0.41),
        ("a", "0", "random", "0.2", "1", 0.55, 0.42), ("a", "0", "whole_tasks", nil, nil, 0.60, 0.50),
        ("a", "1", "mtl", nil, nil, 0.60, 0.50), ("a", "1", "mtif", "0.1", nil, 0.50, 0.49),
        ("a", "1", "mtif", "0.2", nil, 0.58, 0.52), ("a", "1", "random", "0.1", "1", 0.61, 0.51),
        ("a", "1", "random", "0.2", "1", 0.62, 0.53), ("a", "1", "whole_tasks", nil, nil, 0.65, 0.55),
        // b: validation keeps MTL in both repeats (repeat 1: a tie with 0.1 goes to the smaller budget).
        ("b", "0", "mtl", nil, nil, 0.30, 0.20), ("b", "0", "mtif", "0.1", nil, 0.35, 0.25),
        ("b", "0", "mtif", "0.2", nil, 0.33, 0.21), ("b", "0", "random", "0.1", "1", 0.36, 0.26),
        ("b", "0", "random", "0.2", "1", 0.34, 0.24), ("b", "0", "whole_tasks", nil, nil, 0.31, 0.21),
        ("b", "1", "mtl", nil, nil, 0.32, 0.22), ("b", "1", "mtif", "0.1", nil, 0.31, 0.22),
        ("b", "1", "mtif", "0.2", nil, 0.29, 0.23), ("b", "1", "random", "0.1", "1", 0.33, 0.23),
        ("b", "1", "random", "0.2", "1", 0.30, 0.24), ("b", "1", "whole_tasks", nil, nil, 0.35, 0.25),
    ]

    static func text(skipping skip: Int? = nil) -> String {
        var lines: [String] = []
        for (i, row) in rows.enumerated() where i != skip {
            let (target, rep, arm, budget, seed, test, val) = row
            var tags = #""repeat":"\#(rep)","target":"\#(target)","arm":"\#(arm)""#
            if let budget { tags += #","budget":"\#(budget)""# }
            if let seed { tags += #","seed":"\#(seed)""# }
            lines.append(#"{\#(tags),"type":"task","task":"\#(target)","n":50,"loss":\#(test),"accuracy":0.9}"#)
            if let val {
                lines.append(#"{\#(tags),"split":"val","type":"task","task":"\#(target)","n":20,"loss":\#(val),"accuracy":0.9}"#)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func summary() throws -> ExperimentSummary { try ExperimentSummary.parse(text(), file: "results.ndjson") }

    private func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func deltasAreMeansOverRepeatsWithIntervals() throws {
        let s = try Self.summary()
        #expect(s.repeats == ["0", "1"])
        #expect(s.arms.map(\.label) == ["mtl", "mtif@0.1", "mtif@0.2", "mtif@val", "random@0.1", "random@0.2", "random@val", "whole_tasks"])
        let row = try #require(s.result("a", Arm("mtif", budget: 0.1)))
        #expect(row.repeats == 2 && close(row.testLoss, 0.475) && close(row.deltaLoss, -0.075))
        // Two repeats (−0.05, −0.10): each extreme resample has probability 1/4, so the
        // 2.5 % and 97.5 % points are the two values themselves.
        let interval = try #require(row.deltaInterval)
        #expect(close(interval.low, -0.10) && close(interval.high, -0.05))
        #expect(s.result("a", Arm("mtl"))?.deltaInterval.map { $0.low == 0 && $0.high == 0 } == true)
    }

    @Test func validationChoosesTheBudgetPerRepeat() throws {
        let s = try Self.summary()
        let a = try #require(s.result("a", Arm("mtif", byValidation: true)))
        #expect(a.chosenBudgets == ["0": 0.2, "1": 0.1])
        #expect(close(a.testLoss, (0.47 + 0.50) / 2) && close(a.deltaLoss, (-0.03 - 0.10) / 2))
        let b = try #require(s.result("b", Arm("mtif", byValidation: true)))
        #expect(b.chosenBudgets == ["0": 0, "1": 0] && b.deltaLoss == 0)
        // random@val: random at the chosen budget (a: 0.55, 0.61), MTL where MTIF kept everything (b).
        let ra = try #require(s.result("a", Arm("random", byValidation: true)))
        #expect(close(ra.testLoss, (0.55 + 0.61) / 2))
        #expect(s.result("b", Arm("random", byValidation: true))?.deltaLoss == 0)
    }

    @Test func pairedTestsAcrossTargets() throws {
        let s = try Self.summary()
        // mtif@0.1 vs mtl: a −0.075, b (0.05 − 0.01)/2 = +0.02; ranks 2, 1: W+ = 1, W− = 2, exact p = 2 · 2/4 = 1.
        let c = try #require(s.comparison(Arm("mtif", budget: 0.1), versus: Arm("mtl")))
        #expect(c.targets == 2 && c.lower == 1 && c.higher == 1 && close(c.meanDifference, -0.0275))
        #expect(c.test?.wPlus == 1 && c.test?.wMinus == 2 && c.test?.p == 1 && c.direction == 0)
        // mtif@val vs mtl: b's d is 0 and dropped; one non-zero difference.
        let v = try #require(s.comparison(Arm("mtif", byValidation: true), versus: Arm("mtl")))
        #expect(v.ties == 1 && v.test?.n == 1 && v.test?.zeros == 1 && v.test?.p == 1)
        // vs random at the same budget and vs whole tasks exist for every MTIF arm.
        #expect(s.comparison(Arm("mtif", budget: 0.2), versus: Arm("random", budget: 0.2)) != nil)
        #expect(s.comparison(Arm("mtif", byValidation: true), versus: Arm("random", byValidation: true)) != nil)
        #expect(s.comparison(Arm("mtif", byValidation: true), versus: Arm("whole_tasks")) != nil)
        let records = try s.ndjson()
        #expect(records.contains(#"{"type":"result","target":"a","arm":"mtif","budget":"val","n":50,"#))
        #expect(records.contains(#""chosen_budgets":[0.2,0.1]}"#))
        #expect(records.contains(#""delta_loss_low":-0.09999999999999998,"delta_loss_high":-0.030000000000000027,"chosen_budgets":[0.2,0.1]}"#))
    }

    @Test func repeatsAreKeptApartAndEachNeedsItsBaseline() throws {
        // The same arm twice in one repeat is an error; in two repeats it is not (above).
        let twice = Self.text() + #"{"repeat":"1","target":"a","arm":"mtif","budget":"0.1","type":"task","task":"a","n":50,"loss":0.4,"accuracy":0.9}"# + "\n"
        #expect(throws: MTIFError.self) { try ExperimentSummary.parse(twice) }
        do {
            _ = try ExperimentSummary.parse(Self.text(skipping: 6))   // a's mtl of repeat 1
            Issue.record("expected an error")
        } catch let error as MTIFError {
            #expect(error.message.contains("has no mtl evaluation in repeat \"1\""), "\(error.message)")
        }
        // Without validation records there is no @val arm.
        let testOnly = Self.text().split(separator: "\n").filter { !$0.contains(#""split":"val""#) }.joined(separator: "\n")
        #expect(try ExperimentSummary.parse(testOnly).arms.contains { $0.byValidation } == false)
    }

    @Test func markdownStatesTestsAndIntervals() throws {
        let text = SummaryMarkdown(summary: try Self.summary(), deltasLink: "deltas.svg").render()
        #expect(text.contains("The whole experiment ran 2 times (repeats 0, 1"))
        #expect(text.contains("| a | 0.5500 | **0.4750** (−0.0750 [−0.1000, −0.0500]) |"))
        #expect(text.contains("| MTIF@val | MTL | 2 | 1 / 0 / 1 |"))
        #expect(text.contains("Budgets MTIF@val chose (over targets and repeats): 0 (MTL) 2×, 10% 1×, 20% 1×."))
        #expect(text.contains("![per-target Δ vs MTL](deltas.svg)"))
        #expect(!text.contains("beats") && !text.contains("better —") && !text.contains("not better"))
    }

    @Test func deltaPictureFromSummaryOrItsRecords() throws {
        let s = try Self.summary()
        let plot = DeltaPlot(summary: s, title: "Δ")
        #expect(Set(plot.points.map(\.arm)) == ["mtif@0.1", "mtif@0.2", "mtif@val", "random@0.1", "random@0.2", "random@val", "whole_tasks"])
        let svg = plot.render()
        #expect(svg.hasPrefix("<svg") && svg.contains(">a</text>") && svg.contains(">mtif@val</text>"))
        // Every point with an interval draws its bar: 14 points (2 targets × 7 arms) and 7 legend lines.
        #expect(svg.components(separatedBy: "stroke-width=\"1.5\"").count - 1 == 14 + 7)
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = try dir.write("summary.ndjson", try s.ndjson())
        let read = try DeltaPlot.read(path: path)
        #expect(DeltaPlot(points: read, title: "Δ").render() == svg)
    }
}
