import Foundation
import Shared
import Testing

/// `ExperimentSummary` and `SummaryMarkdown` on Fixtures/experiment-results.ndjson:
/// 3 targets (t02 an unrelated task) × mtl, single, mtif and random at budgets
/// 0.1 and 0.2 (random with seeds 1 and 2), whole_tasks; selection reports and
/// planted-truth records. Expected values are worked out by hand below.
@Suite struct ExperimentSummaryTests {
    typealias Arm = ExperimentSummary.Arm

    static func fixtureText() throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/experiment-results.ndjson", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func fixture() throws -> ExperimentSummary {
        try ExperimentSummary.parse(fixtureText(), file: "results.ndjson")
    }

    private func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func targetsAndArmsInOrder() throws {
        let s = try Self.fixture()
        #expect(s.targets == ["t01", "t02", "t03"])
        #expect(s.arms.map(\.label) == ["mtl", "single", "mtif@0.1", "mtif@0.2", "random@0.1", "random@0.2", "whole_tasks"])
        #expect(s.results.count == 21)
        #expect(s.targetUnrelated == ["t01": false, "t02": true, "t03": false])
    }

    @Test func perTargetResults() throws {
        let s = try Self.fixture()
        let mtif = try #require(s.result("t01", Arm("mtif", budget: 0.1)))
        #expect(mtif.testLoss == 0.45 && mtif.n == 200 && mtif.seeds == 1 && mtif.testLossSD == nil)
        #expect(close(mtif.deltaLoss, -0.05))
        #expect(close(mtif.deltaMetric, 0.02))
        #expect(mtif.metric == .accuracy && mtif.dropped == 30)
        // Random: mean over two seeds (0.52, 0.54) and their sample sd √(2·0.01²) = 0.01·√2.
        let random = try #require(s.result("t01", Arm("random", budget: 0.1)))
        #expect(random.seeds == 2 && close(random.testLoss, 0.53))
        #expect(close(random.testLossSD, 0.01 * 2.0.squareRoot()))
        #expect(close(random.testMetric, 0.785) && close(random.deltaLoss, 0.03))
        #expect(random.dropped == 30)
        // t03's mtl evaluation carries no target tag: its task is the target.
        let mtl = try #require(s.result("t03", Arm("mtl")))
        #expect(mtl.testLoss == 0.7 && mtl.deltaLoss == 0 && mtl.dropped == nil)
        // whole_tasks ties mtl on t03 exactly: Δ 0, not a win.
        #expect(s.result("t03", Arm("whole_tasks"))?.deltaLoss == 0)
        #expect(s.result("t02", Arm("whole_tasks"))?.dropped == 240)
        #expect(s.result("t02", Arm("mtif", budget: 0.2))?.dropped == 59)
    }

    @Test func meansAndWins() throws {
        let s = try Self.fixture()
        let m1 = try #require(s.mean(Arm("mtif", budget: 0.1)))
        #expect(m1.targets == 3)
        #expect(close(m1.testLoss, (0.45 + 0.41 + 0.68) / 3))
        #expect(close(m1.deltaLoss, (-0.05 + 0.01 - 0.02) / 3))
        #expect(close(m1.testAccuracy, (0.82 + 0.89 + 0.62) / 3))
        #expect(m1.testRMSE == nil)
        #expect(m1.winsVsMTL == 2)                 // t01, t03
        #expect(m1.winsVsRandom == 2 && m1.randomTargets == 3)   // t01 0.45<0.53, t02 0.41<0.42; t03 0.68>0.66
        let m2 = try #require(s.mean(Arm("mtif", budget: 0.2)))
        #expect(close(m2.deltaLoss, (-0.02 - 0.04 + 0.05) / 3))
        #expect(m2.winsVsMTL == 2 && m2.winsVsRandom == 1)       // only t01 beats random (0.48 < 0.50)
        #expect(s.mean(Arm("single"))?.winsVsMTL == 1)
        #expect(s.mean(Arm("whole_tasks"))?.winsVsMTL == 1)      // t02 only; t03 is a tie
        #expect(s.mean(Arm("random", budget: 0.1))?.winsVsRandom == nil)
        #expect(close(s.mean(Arm("random", budget: 0.2))?.testLoss, (0.50 + 0.35 + 0.73) / 3))
        #expect(s.mean(Arm("mtl"))?.winsVsMTL == 0 && s.mean(Arm("mtl"))?.deltaLoss == 0)
    }

    @Test func plantedRecallAndPrecision() throws {
        let s = try Self.fixture()
        #expect(s.planted.map { "\($0.arm.label)/\($0.group.rawValue)" }
                == ["mtif@0.1/related", "mtif@0.1/unrelated", "random@0.1/related"])
        let related = s.planted[0]
        #expect(related.targets == 2 && related.dropped == 60)
        #expect(related.corruptedRecall == 36.0 / 76 && related.unrelatedRecall == 16.0 / 240)
        #expect(related.precision == 52.0 / 60)
        let unrelated = s.planted[1]
        #expect(unrelated.corruptedRecall == 0.1 && unrelated.unrelatedRecall == 0.05 && unrelated.precision == 8.0 / 30)
        let random = s.planted[2]       // two seeds of one target, pooled
        #expect(random.targets == 1 && random.corruptedRecall == 6.0 / 72 && random.precision == 29.0 / 60)
    }

    @Test func ndjsonRecords() throws {
        let lines = try Self.fixture().ndjson().split(separator: "\n").map(String.init)
        // 21 results, 7 means, 10 paired tests (6 arms vs mtl; 2 mtif arms vs random and whole_tasks), 3 planted.
        #expect(lines.count == 21 + 7 + 10 + 3)
        #expect(lines[2].hasPrefix(#"{"type":"result","target":"t01","arm":"mtif","budget":0.1,"n":200,"test_loss":0.45,"#))
        #expect(lines[2].hasSuffix(#""dropped":30,"seeds":1,"repeats":1}"#))
        #expect(lines[4].contains(#""test_loss_sd":"#) && lines[4].hasSuffix(#""seeds":2,"repeats":1}"#))
        // t01 −0.05, t02 +0.01, t03 −0.02: ranks 3, 1, 2, so W+ = 1, W− = 5, exact p = 2 · P(W ≤ 1) = 2 · 2/8.
        #expect(lines.contains(#"{"type":"test","arm":"mtif","budget":0.1,"versus":"mtl","targets":3,"lower":2,"higher":1,"ties":0,"mean_difference":-0.01999999999999998,"median_difference":-0.019999999999999907,"test":"wilcoxon_signed_rank","method":"exact","w_plus":1.0,"w_minus":5.0,"p":0.5}"#))
        let mean = try #require(lines.first { $0.hasPrefix(#"{"type":"mean","arm":"mtif","budget":0.2"#) })
        #expect(mean.contains(#""wins_vs_mtl":2,"wins_vs_random":1,"random_targets":3"#))
        #expect(lines.last!.hasPrefix(#"{"type":"planted","arm":"random","budget":0.1,"target_group":"related","targets":1,"#))
        #expect(lines.last!.contains(#""precision":"#))
    }

    @Test func stderrTable() throws {
        let table = try Self.fixture().table()
        #expect(table.contains("mtif@0.1 vs mtl: lower loss on 2/3 targets, higher on 1, mean difference -0.0200, Wilcoxon p = 0.50 (exact): no significant difference at 5 %"))
        #expect(table.contains("mtif@0.2 vs random@0.2: lower loss on 1/3 targets, higher on 2, mean difference +0.0033, Wilcoxon p = 0.79 (normal): no significant difference at 5 %"))
        #expect(!table.contains("beats"))
        let rows = table.split(separator: "\n")
        #expect(rows[1].hasPrefix("target  mtl     single"))
        #expect(rows[2].hasPrefix("t01     0.5000  0.6000 (+0.1000)  0.4500 (-0.0500)"))
        #expect(rows[5].hasPrefix("mean    0.5333  0.5933 (+0.0600)  0.5133 (-0.0200)"))
    }

    @Test func markdownReport() throws {
        let agreement = [
            AgreementRow(experiment: "loo", scope: "within_task", truth: "corrected", n: 40, pearson: 0.91234, spearman: 0.8),
            AgreementRow(experiment: "lds", scope: "mean_over_targets", truth: "uncorrected", n: 20, pearson: nil, spearman: -0.05),
        ]
        let text = SummaryMarkdown(
            summary: try Self.fixture(), title: "Synth | seed 0", agreement: agreement,
            heatmapLink: "heatmap.svg", scatterLink: "../plots/scatter.svg"
        ).render()
        #expect(text.hasPrefix("# Synth \\| seed 0\n"))
        #expect(text.contains("R(l→k) > 0 means that training on task l raises task k's validation loss (task l hurts task k)"))
        #expect(text.contains("up to 10% or 20% of the candidates"))
        #expect(text.contains("| target | MTL | single-task | MTIF 10% | MTIF 20% | random 10% | random 20% | whole tasks |"))
        #expect(text.contains(
            "| t01 | 0.5000 | 0.6000 (+0.1000) | **0.4500** (−0.0500) | 0.4800 (−0.0200) | 0.5300 ± 0.0141 (+0.0300) | 0.5000 ± 0.0141 (0.0000) | 0.5500 (+0.0500) |"))
        #expect(text.contains("| mean | 0.5333 | 0.5933 (+0.0600 ["))
        #expect(text.contains("| t01 | 80.0% | 75.0% (−5.0 pp) | **82.0%** (+2.0 pp) |"))
        #expect(text.contains("| MTIF 10% | MTL | 3 | 2 / 1 / 0 | −0.0200 | −0.0200 | 1 / 5 | 0.50 | no significant difference |"))
        // |d| of t01 and t03 tie (0.02): the normal approximation.
        #expect(text.contains("| MTIF 20% | random 20% | 3 | 1 / 2 / 0 | +0.0033 | +0.0100 | 3.5 / 2.5 | 0.79 (normal) | no significant difference |"))
        #expect(!text.contains("better —") && !text.contains("not better") && !text.contains("beats"))
        #expect(text.contains("| MTIF 10% | 2 related | 600 | 60 | 47.4% (36 of 76) | 6.7% (16 of 240) | 86.7% (52 of 60) |"))
        #expect(text.contains("| loo | within\\_task | tasks | corrected | all | 40 | 0.912 | 0.800 |"))
        #expect(text.contains("| lds | mean\\_over\\_targets | tasks | uncorrected | all | 20 | n/a | -0.050 |"))
        #expect(text.contains("![task relatedness](heatmap.svg)"))
        #expect(text.contains("![predicted vs actual](../plots/scatter.svg)"))
    }

    @Test func markdownWithoutOptionalSections() throws {
        let text = SummaryMarkdown(summary: try Self.fixture()).render()
        #expect(text.hasPrefix("# \(SummaryMarkdown.defaultTitle)\n"))
        #expect(!text.contains("## Pictures") && !text.contains("Pearson") && !text.contains("!["))
    }

    @Test func regressionTargetsUseRMSE() throws {
        let text = """
            {"type":"task","task":"r1","n":50,"loss":2.0,"rmse":1.5,"arm":"mtl"}
            {"type":"task","task":"r1","n":50,"loss":1.8,"rmse":1.25,"arm":"mtif","target":"r1","budget":0.05}
            """
        let s = try ExperimentSummary.parse(text)
        let row = try #require(s.result("r1", Arm("mtif", budget: 0.05)))
        #expect(row.metric == .rmse && row.deltaMetric == -0.25)
        #expect(s.mean(row.arm)?.testRMSE == 1.25 && s.mean(row.arm)?.testAccuracy == nil)
        #expect(try s.ndjson().contains(#""test_rmse":1.25,"delta_loss":"#))
        #expect(SummaryMarkdown(summary: s).render().contains("| r1 | 1.5000 | **1.2500** (−0.2500) |"))
        #expect(s.mean(row.arm)?.winsVsRandom == nil)
    }

    @Test func naturalTargetOrder() throws {
        #expect(["s10", "s2", "s1", "t01"].sorted(by: naturalOrder) == ["s1", "s2", "s10", "t01"])
    }

    @Test func relativeLinks() {
        let cwd = "/home/u/mtif"
        #expect(SummaryMarkdown.relativeLink(to: "runs/a/heatmap.svg", fromDocument: "runs/a/report.md", workingDirectory: cwd) == "heatmap.svg")
        #expect(SummaryMarkdown.relativeLink(to: "runs/x.svg", fromDocument: "runs/a/report.md", workingDirectory: cwd) == "../x.svg")
        #expect(SummaryMarkdown.relativeLink(to: "/home/u/mtif/runs/a/p/s.svg", fromDocument: "./runs/a/report.md", workingDirectory: cwd) == "p/s.svg")
        #expect(SummaryMarkdown.relativeLink(to: "h.svg", fromDocument: "report.md", workingDirectory: cwd) == "h.svg")
    }

    @Test func errorsNameFileLineAndField() throws {
        func message(_ text: String) -> String? {
            do { _ = try ExperimentSummary.parse(text, file: "r.ndjson"); return nil } catch let error as MTIFError {
                return error.kind == .input ? error.message : "wrong kind \(error)"
            } catch { return "\(error)" }
        }
        let mtl = #"{"type":"task","task":"t01","n":9,"loss":0.5,"accuracy":0.8,"arm":"mtl","target":"t01"}"#
        // A target with no mtl arm: no Δ.
        let noBaseline = message(#"{"type":"task","task":"t02","n":9,"loss":0.5,"accuracy":0.8,"arm":"single","target":"t02"}"#)
        #expect(noBaseline?.hasPrefix(#"r.ndjson:1: field "arm": target "t02" has no evaluation of arm "mtl""#) == true)
        #expect(message(mtl + "\n" + #"{"type":"task","task":"t01","n":9,"accuracy":0.8,"arm":"single"}"#)
                == #"r.ndjson:2: field "loss": missing or not a number"#)
        #expect(message(#"{"type":"task","task":"t01","n":9,"loss":0.5,"accuracy":0.8}"#)?
                    .hasPrefix(#"r.ndjson:1: field "arm": missing"#) == true)
        #expect(message(mtl + "\n" + #"{"type":"task","task":"t01","n":9,"loss":0.5,"accuracy":0.8,"arm":"mtif"}"#)?
                    .hasPrefix(#"r.ndjson:2: field "target": missing for arm "mtif""#) == true)
        #expect(message(mtl + "\n" + #"{"type":"task","task":"t01","n":9,"loss":0.5,"accuracy":0.8,"arm":"mtif","target":"t01","budget":"ten"}"#)?
                    .hasPrefix(#"r.ndjson:2: field "budget""#) == true)
        #expect(message(mtl + "\n" + mtl)?.hasPrefix("r.ndjson:2: second evaluation of arm mtl") == true)
        #expect(message(mtl + "\n{oops")?.hasPrefix("r.ndjson:2: invalid JSON") == true)
        #expect(message(mtl + "\n" + #"{"type":"planted","candidates":3,"dropped":1,"corrupted_candidates":1,"corrupted_dropped":2,"unrelated_candidates":0,"unrelated_dropped":0,"arm":"mtif","target":"t01"}"#)?
                    .hasPrefix(#"r.ndjson:2: field "corrupted_dropped""#) == true)
        #expect(message(mtl + "\n" + #"{"type":"task","task":"t01","n":9,"loss":0.5,"rmse":0.8,"arm":"single"}"#)?
                    .hasPrefix(#"r.ndjson:2: field "rmse""#) == true)
        #expect(message(#"{"type":"overall","loss":1}"#)?.contains("no evaluation of a target task") == true)
    }
}
