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
        // make validate's single test points: one validation example per task,
        // every leave-one-out retrain measured on each, with its error bar.
        let points = try Shell.records(try sh.read("run/effects-points.ndjson"))
        #expect(points.count == 4 * 3, "4 retrains × 3 test points: \(points.count)")
        // An error bar wherever the Newton step exists (a retrain at a saddle has none, and says so).
        #expect(points.allSatisfy { $0["target_task"] is String && $0["error_method"] is String })
        #expect(points.filter { $0["error_method"] as? String == "newton_step" }.allSatisfy { $0["actual_error"] is Double })
        #expect(points.contains { $0["actual_error"] is Double })
        let pointAgreement = try Shell.records(try sh.read("run/validate-cg.ndjson")).filter {
            $0["type"] as? String == "agreement" && $0["target_kind"] as? String == "test_points"
                && $0["subset"] as? String == "all" && $0["truth"] as? String == "corrected"
        }
        let pairCounts = Dictionary(pointAgreement.map { ($0["scope"] as! String, $0["n"] as! Int) }, uniquingKeysWith: { a, _ in a })
        #expect(pairCounts["within_task"] == 4 && pairCounts["between_task"] == 8, "\(pairCounts)")
        #expect(try Shell.records(try sh.read("run/pairs-points-cg.ndjson")).count == 12)
        // Resumable: a second run finds everything up to date and retrains nothing.
        let again = try sh.succeed("\(Shell.make)experiment RUN=\"\(run)\" JOBS=2 SYNTH=\"--tasks 3 --train 30 --val 15 --test 40\" LOO=4 LDS=3 FRACTIONS=0.2 RANDOM_SEEDS=1 QUIET=-q")
        #expect(!again.stdout.contains("mtif-train"), "\(again.dump)")
    }

    /// `make experiment REPEATS=2`: two seeds, each its own run directory, then
    /// one summary with intervals over the repeats, paired tests and the Δ picture.
    @Test func makeExperimentWithRepeatsSummarisesTheSeedsTogether() throws {
        let sh = try Shell()
        let run = sh.path("rep-seed0")
        let result = try sh.succeed("""
            \(Shell.make)experiment RUN="\(run)" REPEATS=2 JOBS=2 WHOLE_TASK_METHODS= VARIANTS=own \
              SYNTH="--tasks 3 --train 30 --val 15 --test 40" FRACTIONS="0.1 0.2" RANDOM_SEEDS=1 QUIET=-q
            """)
        #expect(result.stderr.contains("2 repeats: each cell is the mean over repeats"), "\(result.dump)")
        for seed in 0 ... 1 {
            #expect(FileManager.default.fileExists(atPath: sh.path("rep-seed\(seed)/experiment-cg/results.ndjson")))
        }
        let dir = "rep-seed0-repeats2/experiment-cg"
        let summary = try Shell.records(try sh.read("\(dir)/summary.ndjson"))
        let results = summary.filter { $0["type"] as? String == "result" }
        // 3 targets × (mtl, single, mtif@0.1, @0.2, @val, mtif_own@0.1, @0.2, @val, random@0.1, @0.2, @val, whole_tasks)
        #expect(results.count == 36, "\(results.count)")
        for r in results {
            #expect(r["repeats"] as? Int == 2)
            #expect(r["delta_loss_low"] is NSNumber && r["delta_loss_high"] is NSNumber, "\(r)")
        }
        let tests = summary.filter { $0["type"] as? String == "test" }
        #expect(tests.contains { $0["arm"] as? String == "mtif" && $0["budget"] as? String == "val" && $0["versus"] as? String == "random@val" })
        #expect(tests.allSatisfy { ($0["p"] as? Double).map { $0 > 0 && $0 <= 1 } ?? ($0["ties"] as? Int == 3) })
        let report = try sh.read("\(dir)/report.md")
        #expect(report.contains("The whole experiment ran 2 times") && report.contains("![per-target Δ vs MTL](deltas.svg)"))
        #expect(try sh.read("\(dir)/deltas.svg").hasPrefix("<svg"))
        // The repeats' records carry their repeat tag.
        #expect(try sh.read("\(dir)/results.ndjson").hasPrefix(#"{"repeat":"0","#))
    }

    /// `VAL_SPLIT=halves`: the scores' right-hand sides come from one half of
    /// each task's validation split and the validation evaluations (mtif@val's
    /// choice) from the other; the halves are disjoint and make up the split.
    @Test func makeExperimentWithValidationHalves() throws {
        let sh = try Shell()
        let run = sh.path("halves")
        try sh.succeed("""
            \(Shell.make)experiment RUN="\(run)" REPEATS=1 JOBS=2 WHOLE_TASK_METHODS= VAL_SPLIT=halves LOO=3 LDS=2 \
              SYNTH="--tasks 3 --train 30 --val 16 --test 40" FRACTIONS="0.1" RANDOM_SEEDS=1 QUIET=-q
            """)
        func ids(_ name: String) throws -> [String] {
            try Shell.records(try sh.read("halves/\(name).ndjson")).compactMap { $0["id"] as? String }
        }
        let score = try ids("val-score"), choose = try ids("val-choose"), val = try ids("val")
        #expect(score.count == 24 && choose.count == 24)   // 8 of each task's 16
        #expect(Set(score).isDisjoint(with: choose) && Set(score + choose) == Set(val))
        let results = try sh.read("halves/experiment-cg/results.ndjson")
        let validation = try Shell.records(results).filter { $0["split"] as? String == "val" && $0["type"] as? String == "task" }
        #expect(!validation.isEmpty && validation.allSatisfy { $0["n"] as? Int == 8 })
    }

    /// `VARIANTS=sig`: every validation point of the targets is scored, and the
    /// mtif_sig arm drops only harmful candidates whose t statistic over those
    /// points reaches MIN_T (recomputed here from the point scores).
    @Test func makeExperimentSignificanceVariant() throws {
        let sh = try Shell()
        let run = sh.path("sig")
        try sh.succeed("""
            \(Shell.make)"\(run)/experiment-cg/t01/mtif_sig-0.3.ndjson" "\(run)/experiment-cg/t01/mtif-0.3.ndjson" RUN="\(run)" \
              VARIANTS=sig MIN_T=1 TARGETS="t01 t02" SYNTH="--tasks 3 --train 30 --val 15 --test 40" FRACTIONS=0.3 RANDOM_SEEDS=1 QUIET=-q
            """)
        let points = try sh.run("ls sig/target-points-*.ndjson sig/point-scores-cg-*.ndjson").stdout.split(separator: "\n").map(String.init)
        #expect(points.count == 2, "\(points)")
        let pointExamples = try Shell.records(try sh.read(points[1]))
        let pointTasks = pointExamples.map { $0["task"] as! String }
        #expect(pointExamples.count == 30 && Set(pointTasks) == ["t01", "t02"])
        let report = try Shell.records(try sh.read("sig/experiment-cg/t01/mtif_sig-0.3.ndjson"))
        let selection = report.first { $0["type"] as? String == "selection" }!
        #expect(selection["min_t"] as? Double == 1)
        let plain = try Shell.records(try sh.read("sig/experiment-cg/t01/mtif-0.3.ndjson")).first { $0["type"] as? String == "selection" }!
        let sigDropped = selection["dropped"] as! Int, plainDropped = plain["dropped"] as! Int
        #expect(sigDropped <= plainDropped && selection["not_significant"] as! Int > 0, "\(selection) \(plain)")
        // The dropped ids, against t recomputed from the point scores of t01's points.
        try sh.succeed("""
            mtif-select -q --target t01 --fraction 0.3 --min-t 1 --point-scores \(points[0]) --points \(points[1]) \
              --dropped-ids gone.txt sig/scores-cg.ndjson sig/train.ndjson -o kept.ndjson
            """)
        let gone: Set<String> = Set(try sh.read("gone.txt").split(separator: "\n").map { String($0) })
        #expect(gone.count == sigDropped)
        let t01Points = Set(pointExamples.filter { $0["task"] as? String == "t01" }.map { $0["id"] as! String })
        let scores = try Shell.records(try sh.read(points[0])).filter { $0["type"] as? String == "score" }
        var significant = 0
        for record in scores where record["task"] as? String != "t01" {
            let all = record["scores"] as! [String: Double]
            let values: [Double] = all.filter { t01Points.contains($0.key) }.map { $0.value }
            #expect(values.count == 15)
            let mean: Double = values.reduce(0, +) / 15
            var squares = 0.0
            for v in values { squares += (v - mean) * (v - mean) }
            let t: Double = mean / (squares / 14 / 15).squareRoot()
            let id = record["id"] as! String
            if gone.contains(id) { #expect(t >= 1, "\(id): t = \(t)") }
            if t >= 1 { significant += 1 }
        }
        #expect(significant > 0)
        // Usage errors: --min-t without its inputs, the inputs without --min-t.
        let missing = try sh.run("mtif-select --target t01 --min-t 2 sig/scores-cg.ndjson sig/train.ndjson -o x.ndjson")
        #expect(missing.status == 2 && missing.stderr.contains("--min-t needs --point-scores and --points"), "\(missing.dump)")
        let stray = try sh.run("mtif-select --target t01 --points \(points[1]) sig/scores-cg.ndjson sig/train.ndjson -o x.ndjson")
        #expect(stray.status == 2 && stray.stderr.contains("apply to --min-t only"), "\(stray.dump)")
        // A target with fewer than 2 scored points has no standard error.
        let t03 = try sh.run("mtif-select --target t03 --min-t 2 --point-scores \(points[0]) --points \(points[1]) sig/scores-cg.ndjson sig/train.ndjson -o x.ndjson")
        #expect(t03.status == 2 && t03.stderr.contains("validation points of target \"t03\""), "\(t03.dump)")
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
