import Foundation
import Testing

/// `make experiment` and `make relate` end to end on miniature synthetic data
/// sets, as a user runs them: every arm for every target, the results, the
/// summary and the report; every relatedness method against LOTO.
@Suite(.serialized) struct ExperimentCLITests {
    @Test func makeExperimentWritesEveryArmSummaryAndReport() throws {
        let sh = try Shell()
        let run = sh.path("run")
        let result = try sh.succeed("""
            \(Shell.make)experiment RUN="\(run)" JOBS=2 \
              SYNTH="--tasks 3 --train 30 --val 15 --test 40" LOO=4 LDS=3 FRACTIONS=0.2 RANDOM_SEEDS=1 QUIET=-q
            """)
        #expect(result.stderr.contains("mtif@0.2 vs mtl: lower loss on"), "\(result.dump)")
        let summary = try Shell.records(try sh.read("run/experiment-cg/summary.ndjson"))
        let results = summary.filter { $0["type"] as? String == "result" }
        // 3 targets × (mtl, single, mtif@0.2, mtif@val, random@0.2, random@val, whole_tasks, whole_tasks by
        // LOTO, cosine, TAG, VMTL)
        #expect(results.count == 33)
        for r in results where r["budget"] as? String == "val" {
            let chosen = (r["chosen_budgets"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
            #expect(chosen.count == 1 && chosen.allSatisfy { $0 == 0 || $0 == 0.2 }, "\(r)")
        }
        #expect(summary.contains { $0["type"] as? String == "test" && $0["versus"] as? String == "random@val" })
        #expect(Set(results.compactMap { $0["target"] as? String }) == ["t01", "t02", "t03"])
        #expect(Set(results.compactMap { $0["arm"] as? String }) == [
            "mtl", "single", "mtif", "random", "whole_tasks",
            "whole_tasks_loto", "whole_tasks_cosine", "whole_tasks_tag", "whole_tasks_vmtl"])
        for r in results where r["arm"] as? String == "mtl" { #expect(r["delta_loss"] as? Double == 0) }
        #expect(summary.contains { $0["type"] as? String == "planted" })
        let report = try sh.read("run/experiment-cg/report.md")
        #expect(report.contains("heatmap.svg") && report.contains("scatter.svg"))
        #expect(report.contains("| t01 |"))
        for picture in ["heatmap.svg", "scatter.svg"] {
            #expect(try sh.read("run/experiment-cg/\(picture)").hasPrefix("<svg") || (try sh.read("run/experiment-cg/\(picture)")).contains("<svg"))
        }
        // Resumable: a second run finds everything up to date and retrains nothing.
        let again = try sh.succeed("\(Shell.make)experiment RUN=\"\(run)\" JOBS=2 SYNTH=\"--tasks 3 --train 30 --val 15 --test 40\" LOO=4 LDS=3 FRACTIONS=0.2 RANDOM_SEEDS=1 QUIET=-q")
        #expect(!again.stdout.contains("mtif-train"), "\(again.dump)")
    }

    /// `make relate` on a miniature synthetic set: every method's matrix, the
    /// comparison records, the report with the accuracy table, one SVG.
    @Test func makeRelateComparesEveryMethodWithLeaveOneTaskOut() throws {
        let sh = try Shell()
        let run = sh.path("run")
        try sh.succeed("""
            \(Shell.make)relate RUN="\(run)" SYNTH="--tasks 4 --train 30 --val 15 --test 40" VMTLFLAGS="--steps 300" QUIET=-q
            """)
        for method in ["mtif", "loto", "cosine", "tag", "vmtl"] { #expect(sh.exists("run/relate/\(method).ndjson"), "\(method)") }
        let compare = try Shell.records(try sh.read("run/relate/compare.ndjson"))
        #expect(Set(compare.filter { $0["type"] as? String == "relate_agreement" }.map { $0["method"] as! String }) == ["mtif", "cosine", "tag", "vmtl"])
        #expect(compare.contains { $0["type"] as? String == "relate_planted" && $0["method"] as? String == "loto" })
        let report = try sh.read("run/relate/report.md")
        #expect(report.contains("| hard |") && report.contains("| soft |") && report.contains("| vmtl |"))
        #expect(try sh.read("run/relate/heatmaps.svg").contains("<svg"))
    }
}
