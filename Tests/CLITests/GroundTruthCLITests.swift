import Foundation
import Testing

/// The ground truth of self-validation, through the built tools: error bars
/// of retraining effects, the noise floor of `mtif-eval compare`, effects on
/// single test points, fixed-weight leave-out, and `make figure`.
@Suite(.serialized) struct GroundTruthCLITests {
    /// Pearson's r, written out here so that the tools' own is not checked against itself.
    private static func r(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        return sxy / (sxx * syy).squareRoot()
    }

    private static func byType(_ records: [[String: Any]], _ type: String) -> [[String: Any]] {
        records.filter { $0["type"] as? String == type }
    }

    /// A strictly convex model (soft sharing, linear tasks), one example left
    /// out: the retrain stopped early at --tol 1e-3 carries a much larger error
    /// than the tight one, and that error bounds (to first order: within 10 %)
    /// how far its effect is from the tightly converged retrain's — without
    /// being vacuous.
    @Test func errorBarOfAnEarlyStoppedRetrainCoversTheGapToTheTightOne() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 4 --tasks 3 --train 30 --val 10 --test 5 | mtif-data split -q --prefix d/
            mtif-train -q --sharing soft --lambda 1e-2 --coupling 0.5 --tol 1e-12 d/train.ndjson -o full.safetensors
            echo t01-0000 > one.txt
            for tol in 1e-3 1e-12; do
              mtif-train -q --sharing soft --lambda 1e-2 --coupling 0.5 --tol $tol --init full.safetensors \\
                --exclude one.txt d/train.ndjson -o loo-$tol.safetensors
              mtif-eval -q --baseline full.safetensors --train d/train.ndjson loo-$tol.safetensors d/val.ndjson > effects-$tol.ndjson
            done
            """)
        let loose = try Shell.records(try sh.read("effects-1e-3.ndjson"))
        let tight = try Shell.records(try sh.read("effects-1e-12.ndjson"))
        #expect(loose.count == 3 && tight.count == 3)
        for (a, b) in zip(loose, tight) {
            #expect(a["target"] as? String == b["target"] as? String)
            #expect(a["error_method"] as? String == "newton_step")
            let errorA = a["actual_error"] as! Double, errorB = b["actual_error"] as! Double
            let gap = abs((a["actual"] as! Double) - (b["actual"] as! Double))
            #expect(errorA > 1000 * errorB, "\(a) \(b)")
            #expect(gap <= 1.1 * errorA + errorB, "\(a) \(b)")
            #expect(gap >= 0.5 * errorA, "the error bar should be near the gap, not a loose bound: \(a) \(b)")
            #expect((a["gradient_norm"] as! Double) > 100 * (b["gradient_norm"] as! Double))
            #expect(a["baseline_gradient_norm"] as? Double == b["baseline_gradient_norm"] as? Double)
            #expect(a["exclude_weights"] as? String == "renormalized")
        }
    }

    /// compare's noise floor and above-noise subset on a hand-made case: four
    /// of six effects stand above 3 × their error, one has no error bar.
    @Test func compareReportsTheNoiseFloorAndCorrelatesAboveIt() throws {
        let sh = try Shell()
        var scores = [#"{"type":"meta","parameters":"p"}"#]
        let values = [0.5, -0.2, 0.1, 0.4, -0.3, 0.05]
        for (i, v) in values.enumerated() {
            scores.append(#"{"type":"score","id":"a\#(i)","task":"a","scores":{"a":\#(v)}}"#)
        }
        // actual, actual_error (nil: none): above for 0, 1, 3, 4.
        let effects: [(Double, Double?)] = [(0.6, 0.01), (-0.1, 0.02), (0.3, 0.2), (0.35, 0.1), (-0.2, 0.05), (0.02, nil)]
        let lines = effects.enumerated().map { i, e in
            #"{"type":"effect","target":"a","actual":\#(e.0),"removed":["a\#(i)"],"removed_tasks":[],"baseline":"p""#
                + (e.1.map { #","actual_error":\#($0),"error_method":"newton_step""# } ?? "") + "}"
        }
        try sh.write("scores.ndjson", scores.joined(separator: "\n") + "\n")
        try sh.write("effects.ndjson", lines.joined(separator: "\n") + "\n")
        let result = try sh.succeed("mtif-eval compare scores.ndjson effects.ndjson --pairs pairs.ndjson")
        #expect(result.stderr.contains("noise floor"), "\(result.dump)")
        let records = try Shell.records(result.stdout)
        let noise = try #require(Self.byType(records, "noise").first { $0["scope"] as? String == "within_task" })
        #expect(noise["n"] as? Int == 6)
        #expect(noise["with_error"] as? Int == 5)
        #expect(noise["above_noise"] as? Int == 4)
        #expect(abs((noise["share_above_noise"] as! Double) - 4.0 / 6) < 1e-12)
        #expect(abs((noise["median_error"] as! Double) - 0.05) < 1e-12)
        #expect(abs((noise["max_error"] as! Double) - 0.2) < 1e-12)
        let above = try #require(Self.byType(records, "agreement").first {
            $0["scope"] as? String == "within_task" && $0["subset"] as? String == "above_noise" && $0["truth"] as? String == "uncorrected"
        })
        #expect(above["n"] as? Int == 4)
        let keep = [0, 1, 3, 4]
        let expected = Self.r(keep.map { values[$0] }, keep.map { effects[$0].0 })
        #expect(abs((above["pearson"] as! Double) - expected) < 1e-12)
        let pairs = Self.byType(try Shell.records(try sh.read("pairs.ndjson")), "pair")
        #expect(pairs.map { $0["above_noise"] as? Bool } == [true, true, false, true, true, nil])
    }

    /// Single test points on a strictly convex model: per-example effects of
    /// leave-one-out retrains against the scores with one right-hand side per
    /// validation example (Pearson > 0.99), for the literal retrain (corrected
    /// prediction) and for the fixed-weight one (plain score, no correction).
    @Test func perExampleEffectsMatchSingleTestPointScoresOnAConvexModel() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 6 --tasks 3 --features 4 --train 40 --val 4 --test 4 | mtif-data split -q --prefix d/
            flags="--sharing soft --lambda 1e-2 --coupling 0.5 --tol 1e-12"
            mtif-train -q $flags d/train.ndjson -o full.safetensors
            mtif-grad -q --dense full.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q --solver exact full.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q full.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > scores.ndjson
            mtif-data sample -q --count 3 --per-task --ids --seed 2 d/train.ndjson > loo.ids
            for w in renormalized original; do
              while read -r id; do
                echo "$id" > one.txt
                mtif-train -q $flags --init full.safetensors --exclude one.txt --exclude-weights $w d/train.ndjson -o loo.safetensors
                mtif-eval -q --baseline full.safetensors --train d/train.ndjson --per-example loo.safetensors d/val.ndjson >> effects-$w.ndjson
              done < loo.ids
              mtif-eval -q compare scores.ndjson effects-$w.ndjson --pairs pairs-$w.ndjson > agreement-$w.ndjson
            done
            """)
        let effects = try Shell.records(try sh.read("effects-renormalized.ndjson"))
        #expect(effects.count == 9 * 12)
        let val = try sh.read("d/val.ndjson").split(separator: "\n")
        #expect(Set(effects.map { $0["target"] as! String }).count == val.count)
        for effect in effects {
            let target = effect["target"] as! String
            #expect(effect["target_task"] as? String == String(target.prefix(3)), "\(effect)")
            let actual = effect["actual"] as! Double
            #expect(abs(actual - ((effect["baseline_loss"] as! Double) - (effect["loss"] as! Double))) < 1e-15)
            #expect(effect["error_method"] as? String == "newton_step")
        }
        let fixed = try Shell.records(try sh.read("effects-original.ndjson"))
        #expect(fixed.allSatisfy { $0["exclude_weights"] as? String == "original" })
        for (weights, truth) in [("renormalized", "corrected"), ("original", "uncorrected")] {
            let records = try Shell.records(try sh.read("agreement-\(weights).ndjson"))
            let all = try #require(Self.byType(records, "agreement").first {
                $0["scope"] as? String == "all" && $0["experiment"] as? String == "loo" && $0["truth"] as? String == truth
                    && $0["subset"] as? String == "all"
            })
            #expect(all["target_kind"] as? String == "test_points")
            #expect(all["ground_truth"] as? String == (weights == "original" ? "fixed" : "literal"))
            #expect(all["n"] as? Int == 108)
            #expect((all["pearson"] as! Double) > 0.99, "\(weights): \(all)")
            let pairs = Self.byType(try Shell.records(try sh.read("pairs-\(weights).ndjson")), "pair")
            // Within-task: the removed example's task is the test point's task.
            for pair in pairs {
                let within = pair["source"] as? String == pair["target_task"] as? String
                #expect(pair["scope"] as? String == (within ? "within_task" : "between_task"))
                if weights == "original" { #expect(pair["predicted"] as? Double == pair["predicted_uncorrected"] as? Double) }
            }
        }
    }

    /// `make figure` on a tiny synthetic set with two test points per panel:
    /// every training example of the first task is left out once per test
    /// point, the panels hold the right test points, and the correlations in
    /// the records and the picture are those of the pairs.
    @Test func makeFigurePairsAndCorrelations() throws {
        let sh = try Shell()
        let run = sh.path("run")
        let make = Shell.make + "figure DATA=synth SYNTH='--tasks 3 --train 12 --val 6 --test 2' HIDDEN=4 "
            + "RUN=\(run) TEST_POINTS=2 SEED=3 JOBS=2 QUIET=-q"
        try sh.succeed(make + " 2> make.log")
        let dir = "run/figure-n2"
        let train = try Shell.records(try sh.read("run/train.ndjson"))
        let first = train.map { $0["task"] as! String }.min()!
        let removedIds = train.filter { $0["task"] as! String == first }.map { $0["id"] as! String }
        #expect(removedIds.count == 12)
        let tests = try Shell.records(try sh.read("\(dir)/test.ndjson"))
        #expect(tests.count == 4)
        #expect(tests.prefix(2).allSatisfy { $0["task"] as! String == first })
        #expect(tests.suffix(2).allSatisfy { $0["task"] as! String != first })
        let pairs = Self.byType(try Shell.records(try sh.read("\(dir)/pairs-cg.ndjson")), "pair")
        #expect(pairs.count == 4 * 12)
        for test in tests {
            let id = test["id"] as! String
            let mine = pairs.filter { $0["target"] as? String == id }
            #expect(mine.map { $0["removed"] as! String }.sorted() == removedIds.sorted(), "\(id)")
            let scope = test["task"] as! String == first ? "within_task" : "between_task"
            #expect(mine.allSatisfy { $0["scope"] as? String == scope && $0["target_task"] as? String == test["task"] as? String })
        }
        let records = try Shell.records(try sh.read("\(dir)/agreement-cg.ndjson"))
        let points = Self.byType(records, "point_agreement").filter { $0["truth"] as? String == "corrected" }
        #expect(points.count == 4)
        var perScope: [String: [Double]] = [:]
        for point in points {
            let mine = pairs.filter { $0["target"] as? String == point["target"] as? String }
            let expected = Self.r(mine.map { $0["predicted"] as! Double }, mine.map { $0["actual"] as! Double })
            #expect(abs((point["pearson"] as! Double) - expected) < 1e-9, "\(point)")
            perScope[point["scope"] as! String, default: []].append(expected)
        }
        let svg = try sh.read("\(dir)/figure-cg.svg")
        for summary in Self.byType(records, "point_summary").filter({ $0["truth"] as? String == "corrected" }) {
            let rs = perScope[summary["scope"] as! String]!.sorted()
            #expect(summary["points"] as? Int == 2)
            #expect(abs((summary["pearson_median"] as! Double) - (rs[0] + rs[1]) / 2) < 1e-9)
            #expect(abs((summary["pearson_min"] as! Double) - rs[0]) < 1e-9)
            func fixed(_ v: Double) -> String { String(format: "%.3f", v) }
            #expect(svg.contains("r median \(fixed((rs[0] + rs[1]) / 2)) [\(fixed(rs[0])), \(fixed(rs[1]))]"), "\(rs)")
        }
        #expect(svg.components(separatedBy: "<circle").count - 1 == 48)
    }

    /// `make linearity` on a tiny synthetic set, two fractions, fixed weights:
    /// per fraction every task loses that share of its examples once, each
    /// retrain's effect on every task is a "group" pair predicted by the summed
    /// scores of what it left out, and the records carry their fraction.
    @Test func makeLinearityRetrainsEveryTaskAtEachFraction() throws {
        let sh = try Shell()
        let run = sh.path("run")
        try sh.succeed(Shell.make + "linearity DATA=synth SYNTH='--tasks 3 --train 12 --val 6 --test 2' HIDDEN=4 "
            + "RUN=\(run) SEED=3 LEAVE_OUT=fixed LINEARITY_FRACTIONS='0.25 0.5' JOBS=2 QUIET=-q 2> make.log")
        let scores = Dictionary(
            try Shell.records(try sh.read("run/scores-cg.ndjson")).filter { $0["type"] as? String == "score" }
                .map { ($0["id"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        for fraction in ["0.25", "0.5"] {
            let effects = try Shell.records(try sh.read("run/linearity-fixed/effects-\(fraction).ndjson"))
            #expect(effects.count == 3 * 3, "3 retrains × 3 targets")
            let pairs = Self.byType(try Shell.records(try sh.read("run/linearity-fixed/pairs-cg-\(fraction).ndjson")), "pair")
            #expect(pairs.count == 9 && pairs.allSatisfy { $0["experiment"] as? String == "group" })
            #expect(pairs.filter { $0["scope"] as? String == "within_task" }.count == 3)
            for effect in effects {
                let removed = effect["removed"] as! [String]
                #expect(removed.count == (fraction == "0.5" ? 6 : 3), "\(effect)")
                #expect(Set(removed.map { scores[$0]!["task"] as! String }).count == 1)
                // Fixed weights: the prediction is the plain sum of the left-out scores.
                let target = effect["target"] as! String
                let sum = removed.reduce(0.0) { $0 + ((scores[$1]!["scores"] as! [String: Any])[target] as! Double) }
                let pair = pairs.first { $0["target"] as? String == target && $0["source"] as? String == scores[removed[0]]!["task"] as? String }!
                #expect(abs((pair["predicted"] as! Double) - sum) <= 1e-12 * max(1, abs(sum)), "\(pair)")
            }
        }
        let summary = try Shell.records(try sh.read("run/linearity-fixed/linearity-cg.ndjson"))
        let group = summary.filter { $0["experiment"] as? String == "group" && $0["truth"] as? String == "corrected" && $0["subset"] as? String == "all" }
        #expect(Set(group.map { "\($0["fraction"]!)" }) == ["0.25", "0.5"])
        #expect(group.filter { $0["scope"] as? String == "between_task" }.allSatisfy { $0["n"] as? Int == 6 && $0["pearson"] is Double })
        #expect(try sh.read("make.log").contains("fraction 0.5  between_task  pearson"))

        // Every effect carries its retrain's move of the shared parameters; a
        // retrain that moved them far more than the others is a basin jump:
        // named in a "jumps" record, its pairs flagged and left out of the
        // without_jumps agreements.
        let effects = try sh.read("run/linearity-fixed/effects-0.5.ndjson")
        let records = try Shell.records(effects)
        let moves = records.map { $0["shared_move"] as! Double }
        #expect(moves.allSatisfy { $0 > 0 && $0.isFinite }, "\(moves)")
        let first = (records[0]["removed"] as! [String]).first!
        // The first retrain's three effect lines (one per target) moved 1000.
        let lines = effects.split(separator: "\n").enumerated().map { i, line in
            i < 3 ? line.replacingOccurrences(of: #""shared_move":[0-9.eE+-]+"#, with: #""shared_move":1000"#, options: .regularExpression)
                : String(line)
        }
        #expect(lines[0].contains("\"shared_move\":1000") && (records[2]["removed"] as! [String]).first == first)
        try sh.write("jumped.ndjson", lines.joined(separator: "\n") + "\n")
        try sh.succeed("mtif-eval compare run/scores-cg.ndjson jumped.ndjson --pairs jumped-pairs.ndjson -o jumped-agreement.ndjson 2> compare.log")
        let agreement = try Shell.records(try sh.read("jumped-agreement.ndjson"))
        let jumps = Self.byType(agreement, "jumps")
        #expect(jumps.count == 1 && jumps[0]["jumped"] as? Int == 1 && jumps[0]["retrains"] as? Int == 3, "\(jumps)")
        #expect((jumps[0]["shared_moves"] as? [Double]) == [1000])
        let pairsAfter = Self.byType(try Shell.records(try sh.read("jumped-pairs.ndjson")), "pair")
        let flagged = pairsAfter.filter { $0["jumped"] as? Bool == true }
        #expect(flagged.count == 3 && flagged.allSatisfy { $0["source"] as? String == scores[first]!["task"] as? String }, "\(flagged)")
        let without = Self.byType(agreement, "agreement").filter { $0["subset"] as? String == "without_jumps" && $0["truth"] as? String == "corrected" }
        let counts = Dictionary(without.map { ($0["scope"] as! String, $0["n"] as! Int) }, uniquingKeysWith: { a, _ in a })
        #expect(counts == ["within_task": 2, "between_task": 4, "all": 6], "\(counts)")
        #expect(try sh.read("compare.log").contains("basin jumps"))
        // The scatter draws the part-of-a-task pairs in their own panel.
        try sh.succeed("mtif-eval plot scatter -q jumped-pairs.ndjson -o scatter.svg")
        let svg = try sh.read("scatter.svg")
        #expect(svg.contains("part of one task left out") && svg.contains("part of a task, between-task (n = 6)"))
    }

    @Test func misuseOfTheNewOptionsIsAUsageError() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 4 --tasks 2 --train 10 --val 4 --test 2 | mtif-data split -q --prefix d/
            mtif-train -q --sharing soft d/train.ndjson -o full.safetensors
            echo t01-0000 > one.txt
            mtif-train -q --sharing soft --init full.safetensors --exclude one.txt d/train.ndjson -o loo.safetensors
            """)
        let cases: [(String, [String])] = [
            ("mtif-eval --train d/train.ndjson full.safetensors d/val.ndjson", ["--train applies to the effects form"]),
            ("mtif-eval --per-example full.safetensors d/val.ndjson", ["--per-example applies to the effects form"]),
            ("mtif-train -q --exclude-weights original d/train.ndjson -o x.safetensors", ["--exclude-weights applies with --exclude only"]),
            ("mtif-train -q --exclude one.txt --exclude-weights half d/train.ndjson -o x.safetensors", ["--exclude-weights: expected one of renormalized, original"]),
            ("mtif-eval --baseline full.safetensors --train d/val.ndjson loo.safetensors d/val.ndjson",
             ["d/val.ndjson is not the training set of full.safetensors", "hint:"]),
            ("mtif-eval plot figure --label a --label b x.ndjson", ["--label given 2 times for 1 PAIRS files"]),
            ("mtif-eval plot scatter --label a x.ndjson", ["--label applies to 'plot figure' only"]),
        ]
        for (command, messages) in cases {
            let result = try sh.run(command)
            #expect(result.status == 2, "\(result.dump)")
            for message in messages { #expect(result.stderr.contains(message), "\(result.dump)") }
        }
    }
}
