import Foundation
import Testing

/// `mtif-eval summarize` through the built binary on the committed fixture of
/// SharedTests (3 targets × every arm, 2 budgets, 2 random seeds).
@Suite struct SummaryCLITests {
    private static func fixture() throws -> String {
        try String(
            contentsOf: Shell.repositoryRoot.appendingPathComponent("Tests/SharedTests/Fixtures/experiment-results.ndjson"),
            encoding: .utf8)
    }

    private static let agreement = """
        {"type":"agreement","experiment":"loo","scope":"within_task","truth":"corrected","n":40,"pearson":0.9,"spearman":0.85}
        {"type":"agreement","experiment":"loto","scope":"between_task","truth":"corrected","n":6}

        """

    @Test func recordsTableAndReport() throws {
        let sh = try Shell()
        try sh.write("results.ndjson", try Self.fixture())
        try sh.write("validate.ndjson", Self.agreement)
        try FileManager.default.createDirectory(atPath: sh.path("run/plots"), withIntermediateDirectories: true)
        try sh.write("run/plots/heatmap.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
        let result = try sh.succeed(
            "mtif-eval summarize results.ndjson --agreement validate.ndjson --markdown run/report.md "
                + "--heatmap run/plots/heatmap.svg --scatter run/scatter.svg --title 'Synth run' > summary.ndjson")
        let records = try Shell.records(try sh.read("summary.ndjson"))
        #expect(records.count == 21 + 7 + 10 + 3)   // results, means, paired tests, planted
        let mtif = try #require(records.first {
            $0["type"] as? String == "result" && $0["target"] as? String == "t01" && $0["arm"] as? String == "mtif"
                && $0["budget"] as? Double == 0.1
        })
        #expect(mtif["test_loss"] as? Double == 0.45 && mtif["dropped"] as? Int == 30 && mtif["seeds"] as? Int == 1)
        #expect(abs((mtif["delta_loss"] as? Double ?? 0) - -0.05) < 1e-12)
        let random = try #require(records.first {
            $0["type"] as? String == "result" && $0["target"] as? String == "t02" && $0["arm"] as? String == "random"
                && $0["budget"] as? Double == 0.1
        })
        #expect(abs((random["test_loss"] as? Double ?? 0) - 0.42) < 1e-12 && random["seeds"] as? Int == 2)
        #expect(abs((random["test_loss_sd"] as? Double ?? 0) - 0.02 * 2.0.squareRoot()) < 1e-12)
        let mean = try #require(records.first {
            $0["type"] as? String == "mean" && $0["arm"] as? String == "mtif" && $0["budget"] as? Double == 0.1
        })
        #expect(mean["wins_vs_mtl"] as? Int == 2 && mean["wins_vs_random"] as? Int == 2 && mean["targets"] as? Int == 3)
        #expect(abs((mean["delta_loss"] as? Double ?? 0) - -0.02) < 1e-12)
        let planted = records.filter { $0["type"] as? String == "planted" }
        #expect(planted.map { $0["target_group"] as? String } == ["related", "unrelated", "related"])
        #expect(abs((planted[0]["precision"] as? Double ?? 0) - 52.0 / 60) < 1e-12)   // Foundation's parser may be an ulp off
        #expect(abs((planted[1]["corrupted_recall"] as? Double ?? 0) - 0.1) < 1e-12)

        #expect(result.stderr.contains("mtif-eval: test loss on each target's test split"))
        #expect(result.stderr.contains("mtif@0.2 vs random@0.2: lower loss on 1/3 targets, higher on 2"))
        #expect(result.stderr.contains("run/scatter.svg does not exist"))   // linked anyway, with a warning

        let report = try sh.read("run/report.md")
        #expect(report.hasPrefix("# Synth run\n"))
        #expect(report.contains("| t02 | 0.4000 | **0.3800** (−0.0200) |") == false)   // random 20% is lower on t02
        #expect(report.contains("| t02 | 0.4000 | 0.3800 (−0.0200) | 0.4100 (+0.0100) | 0.3600 (−0.0400) |"))
        #expect(report.contains("| loto | between\\_task | tasks | corrected | all | 6 | n/a | n/a |"))
        #expect(report.contains("![task relatedness](plots/heatmap.svg)"))
        #expect(report.contains("![predicted vs actual](scatter.svg)"))
        #expect(!sh.exists("run/report.md.tmp"))

        // -q: the same records and nothing on stderr.
        let quiet = try sh.succeed("mtif-eval summarize -q results.ndjson")
        #expect(quiet.stdout == (try sh.read("summary.ndjson")) && quiet.stderr.isEmpty)
        // Same input, same bytes; -o writes the records atomically.
        try sh.succeed("mtif-eval summarize -q results.ndjson -o again.ndjson")
        #expect((try sh.read("again.ndjson")) == (try sh.read("summary.ndjson")))
    }

    @Test func markdownIsWrittenAtomically() throws {
        let sh = try Shell()
        try sh.write("results.ndjson", try Self.fixture())
        try sh.write("report.md", "old report\n")
        // A failure after reading (a malformed agreement file) leaves the old report and no temporary file.
        try sh.write("bad.ndjson", #"{"type":"agreement","experiment":"loo","scope":"all","truth":"corrected"}"# + "\n")
        let failed = try sh.run("mtif-eval summarize -q results.ndjson --agreement bad.ndjson --markdown report.md")
        #expect(failed.status == 2, "\(failed.dump)")
        #expect(failed.stderr.contains("bad.ndjson:1: field \"n\""), "\(failed.dump)")
        #expect((try sh.read("report.md")) == "old report\n" && !sh.exists("report.md.tmp"))
        try sh.succeed("mtif-eval summarize -q results.ndjson --markdown report.md > /dev/null")
        #expect((try sh.read("report.md")).hasPrefix("# MTIF experiment results\n") && !sh.exists("report.md.tmp"))
    }

    @Test func badInputExitsTwo() throws {
        let sh = try Shell()
        try sh.write("nomtl.ndjson", """
            {"type":"task","task":"t01","n":9,"loss":0.5,"accuracy":0.8,"arm":"mtl","target":"t01"}
            {"type":"task","task":"t02","n":9,"loss":0.5,"accuracy":0.8,"arm":"mtif","target":"t02","budget":"0.1"}

            """)
        try sh.write("noloss.ndjson", """
            {"type":"task","task":"t01","n":9,"loss":0.5,"accuracy":0.8,"arm":"mtl","target":"t01"}
            {"type":"task","task":"t01","n":9,"loss":"high","accuracy":0.8,"arm":"single","target":"t01"}

            """)
        try sh.write("broken.ndjson", "{\"type\":\"task\",\n")
        let cases: [(String, [String])] = [
            ("mtif-eval summarize nomtl.ndjson --markdown r.md", ["nomtl.ndjson:2: field \"arm\"", "target \"t02\" has no evaluation of arm \"mtl\"", "hint:"]),
            ("mtif-eval summarize noloss.ndjson --markdown r.md", ["noloss.ndjson:2: field \"loss\""]),
            ("mtif-eval summarize broken.ndjson --markdown r.md", ["broken.ndjson:1: invalid JSON"]),
            ("mtif-eval summarize missing.ndjson --markdown r.md", ["missing.ndjson"]),
            ("mtif-eval summarize nomtl.ndjson --heatmap h.svg", ["--heatmap applies to the report"]),
            ("mtif-eval summarize nomtl.ndjson --markdown -", ["--markdown needs a file"]),
            ("mtif-eval summarize nomtl.ndjson --truth corrected --markdown r.md", ["--truth applies to 'plot' only"]),
            ("mtif-eval summarize nomtl.ndjson --baseline p.safetensors --markdown r.md", ["--baseline does not apply to 'summarize'"]),
            ("mtif-eval summarize", ["missing argument"]),
            ("mtif-eval compare --markdown r.md a.ndjson b.ndjson", ["--markdown applies to 'summarize' only"]),
        ]
        for (command, fragments) in cases {
            let result = try sh.run(command)
            #expect(result.status == 2, "\(result.dump)")
            for fragment in fragments {
                #expect(result.stderr.contains(fragment), "stderr lacks '\(fragment)'\n\(result.dump)")
            }
            #expect(result.stdout.isEmpty && !sh.exists("r.md") && !sh.exists("r.md.tmp"), "\(result.dump)")
        }
    }
}
