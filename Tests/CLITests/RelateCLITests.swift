import Foundation
import Shared
import Testing

/// mtif-relate through the built binaries: every method on a small synthetic
/// set, the leave-one-task-out matrix against make validate's own retraining
/// script, the comparison, and the error paths.
@Suite(.serialized) struct RelateCLITests {
    static let trainFlags = "--hidden 8 --lambda 0.05 --tol 1e-10 --max-iter 2000"

    /// 4 tasks (1 unrelated) × (30 train, 15 val, 30 test), 5 features, in d/; params.safetensors.
    private func setUp(_ sh: Shell) throws {
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 3 --tasks 4 --features 5 --train 30 --val 15 --test 30 | mtif-data split -q --prefix d/
            mtif-train -q \(Self.trainFlags) d/train.ndjson -o params.safetensors
            """)
    }

    private func cells(_ text: String) throws -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for r in try Shell.records(text) where r["type"] as? String == "relatedness" {
            result["\(r["source"]!)→\(r["target"]!)"] = r
        }
        return result
    }

    /// The acceptance test: --method loto gives exactly the leave-one-task-out
    /// effects that make validate measures (scripts/retrain-effects.sh, which
    /// runs mtif-train --init --tasks and mtif-eval --baseline).
    @Test func lotoEqualsTheEffectsMakeValidateMeasures() throws {
        let sh = try Shell()
        try setUp(sh)
        try sh.succeed("""
            mkdir -p run && cp d/train.ndjson d/val.ndjson params.safetensors run/
            "\(Shell.repositoryRoot.path)/scripts/retrain-effects.sh" "\(Shell.binaries.path)" run 0 0 0 2 -- \(Self.trainFlags) > effects.ndjson
            mtif-relate -q --method loto --tol 1e-10 --max-iter 2000 params.safetensors d/train.ndjson d/val.ndjson -o loto.ndjson
            """)
        let loto = try cells(try sh.read("loto.ndjson"))
        let effects = try Shell.records(try sh.read("effects.ndjson")).filter { !($0["removed_tasks"] as! [String]).isEmpty }
        #expect(effects.count == 12 && loto.count == 12)
        for e in effects {
            let source = (e["removed_tasks"] as! [String])[0], target = e["target"] as! String
            let cell = try #require(loto["\(source)→\(target)"])
            #expect(cell["raw"] as? Double == e["actual"] as? Double, "\(source)→\(target)")
            #expect(cell["value"] as? Double == e["actual"] as? Double)
        }
        #expect(loto["t01→t01"] == nil, "no within-task cell without the task")
        let cost = try Shell.records(try sh.read("loto.ndjson")).last!
        #expect(cost["type"] as? String == "cost" && cost["retrainings"] as? Int == 4)
    }

    @Test func everyMethodAndTheComparison() throws {
        let sh = try Shell()
        try setUp(sh)
        try sh.succeed("""
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q --solver cg params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q --matrix matrix.ndjson ihvp.safetensors > scores.ndjson
            mtif-relate -q --method mtif --matrix matrix.ndjson --ihvp ihvp.safetensors params.safetensors d/train.ndjson d/val.ndjson > mtif.ndjson
            mtif-relate -q --method loto params.safetensors d/train.ndjson d/val.ndjson > loto.ndjson
            mtif-relate -q --method cosine params.safetensors d/train.ndjson d/val.ndjson > cosine.ndjson
            mtif-relate -q --method tag --every 5 params.safetensors d/train.ndjson d/val.ndjson > tag.ndjson
            mtif-train -q --sharing vmtl --hidden 8 --lambda 0.05 --steps 300 d/train.ndjson -o vmtl.safetensors
            mtif-relate -q --method vmtl --seconds 1.5 vmtl.safetensors d/train.ndjson d/val.ndjson > vmtl.ndjson
            for m in params vmtl; do mtif-eval -q --tag model=$m $m.safetensors d/test.ndjson; done > accuracy.ndjson
            mtif-relate compare --truth d/train.ndjson --svg heatmaps.svg --markdown report.md --accuracy accuracy.ndjson \
              loto.ndjson mtif.ndjson cosine.ndjson tag.ndjson vmtl.ndjson > compare.ndjson
            """)
        // The MTIF matrix is mtif-influence's, cell for cell.
        let mtif = try cells(try sh.read("mtif.ndjson")), influence = try cells(try sh.read("matrix.ndjson"))
        #expect(mtif.count == 16)
        for (key, cell) in influence { #expect(mtif[key]?["value"] as? Double == cell["value"] as? Double) }
        for (method, count) in [("cosine", 16), ("tag", 16), ("vmtl", 12)] {
            let records = try Shell.records(try sh.read("\(method).ndjson"))
            #expect(records.first?["type"] as? String == "meta" && records.first?["method"] as? String == method)
            #expect(records.last?["type"] as? String == "cost")
            #expect(try cells(try sh.read("\(method).ndjson")).count == count, "\(method)")
        }
        // vmtl: value = 1/(K−1) − α, and each target's α sum to 1.
        let vmtl = try cells(try sh.read("vmtl.ndjson"))
        for target in ["t01", "t02", "t03", "t04"] {
            let alphas = vmtl.values.filter { $0["target"] as? String == target }.map { $0["raw"] as! Double }
            #expect(abs(alphas.reduce(0, +) - 1) < 1e-9)
        }
        #expect(try Shell.records(try sh.read("vmtl.ndjson")).last?["seconds"] as? Double == 1.5)
        let compare = try Shell.records(try sh.read("compare.ndjson"))
        let pooled = compare.filter { $0["type"] as? String == "relate_agreement" && $0["scope"] as? String == "pooled" }
        #expect(Set(pooled.map { $0["method"] as! String }) == ["mtif", "cosine", "tag", "vmtl"])
        #expect(pooled.allSatisfy { $0["pairs"] as? Int == 12 })
        #expect(compare.filter { $0["type"] as? String == "relate_planted" }.count == 5)
        #expect(compare.filter { $0["type"] as? String == "relate_cost" }.count == 5)
        let svg = try sh.read("heatmaps.svg")
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<g transform=").count - 1 == 5)
        let report = try sh.read("report.md")
        #expect(report.contains("| mtif |") && report.contains("| vmtl |") && report.contains("![heatmaps](heatmaps.svg)"))
        #expect(report.contains("| params |") && report.contains("Planted truth"))
    }

    @Test func wholeTaskRemovalFollowsTheGivenMatrix() throws {
        let sh = try Shell()
        try setUp(sh)
        // t02 and t04 hurt t01 by this (made-up) matrix, t03 helps.
        try sh.write("m.ndjson", """
            {"type":"relatedness","source":"t02","target":"t01","value":0.5}
            {"type":"relatedness","source":"t03","target":"t01","value":-0.2}
            {"type":"relatedness","source":"t04","target":"t01","value":0.1}

            """)
        try sh.succeed("""
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > scores.ndjson
            mtif-select -q --target t01 --whole-tasks --matrix m.ndjson scores.ndjson d/train.ndjson > kept.ndjson
            """)
        let kept = Set(try ExampleReader.readAll(path: sh.path("kept.ndjson")).map(\.task))
        #expect(kept == ["t01", "t03"])
        let bad = try sh.run("mtif-select --target t01 --fraction 0.1 --matrix m.ndjson scores.ndjson d/train.ndjson")
        #expect(bad.status == 2 && bad.stderr.contains("--matrix applies to --whole-tasks only"), "\(bad.dump)")
        try sh.write("short.ndjson", #"{"type":"relatedness","source":"t02","target":"t01","value":0.5}"# + "\n")
        let missing = try sh.run("mtif-select --target t01 --whole-tasks --matrix short.ndjson scores.ndjson d/train.ndjson")
        #expect(missing.status == 2 && missing.stderr.contains("no relatedness record t03 → t01"), "\(missing.dump)")
    }

    @Test func errorsNameWhatIsWrong() throws {
        let sh = try Shell()
        try setUp(sh)
        try sh.succeed("""
            mtif-train -q --hidden 8 --lambda 0.1 d/train.ndjson -o other.safetensors
            mtif-relate -q --method cosine other.safetensors d/train.ndjson d/val.ndjson > other.ndjson
            head -20 d/train.ndjson > d/part.ndjson
            """)
        let cases: [(String, String)] = [
            ("mtif-relate params.safetensors d/train.ndjson d/val.ndjson", "--method is required"),
            ("mtif-relate --method nope params.safetensors d/train.ndjson d/val.ndjson", "--method"),
            ("mtif-relate --method cosine --matrix m.ndjson params.safetensors d/train.ndjson d/val.ndjson", "--matrix and --ihvp apply to --method mtif only"),
            ("mtif-relate --method mtif params.safetensors d/train.ndjson d/val.ndjson", "give --matrix FILE"),
            ("mtif-relate --method mtif --matrix other.ndjson params.safetensors d/train.ndjson d/val.ndjson", "the matrix was computed at parameters"),
            ("mtif-relate --method vmtl params.safetensors d/train.ndjson d/val.ndjson", "not a VMTL model"),
            ("mtif-relate --method cosine params.safetensors d/part.ndjson d/val.ndjson", "is not the training set of params.safetensors"),
            ("mtif-relate --method loto params.safetensors - d/val.ndjson < d/train.ndjson", "give them as files"),
            ("mtif-relate --method cosine --svg x.svg params.safetensors d/train.ndjson d/val.ndjson", "--svg applies to 'compare' only"),
            ("mtif-relate compare other.ndjson", "at least one other method's matrix"),
            ("mtif-relate compare --method loto other.ndjson other.ndjson", "--method does not apply to 'compare'"),
            ("mtif-train --beta 2 d/train.ndjson -o x.safetensors", "--beta applies to --sharing vmtl only"),
            ("mtif-train --sharing vmtl --max-iter 5 d/train.ndjson -o x.safetensors", "--max-iter does not apply to --sharing vmtl"),
            ("mtif-train --sharing vmtl --temperature 1,0 d/train.ndjson -o x.safetensors", "--temperature"),
        ]
        for (command, message) in cases {
            let result = try sh.run(command)
            #expect(result.status == 2, "\(result.dump)")
            #expect(result.stderr.contains(message), "\(result.dump)")
        }
    }
}
