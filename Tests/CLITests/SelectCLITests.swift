import Foundation
import Testing

/// `mtif-select` through the built binary: lines pass through byte for byte,
/// the report and the dropped ids say what happened, bad input exits 2
/// naming the file, line and field.
@Suite(.serialized) struct SelectCLITests {
    /// Training lines with unknown fields, odd spacing, key order, escapes,
    /// raw UTF-8 and trailing blanks: whatever is kept must come out unchanged.
    static let train: [(id: String, line: String)] = [
        ("t01-0000", #"{"id":"t01-0000","task":"t01","x":[0.5,1],"y":0}"#),
        ("t01-0001", #"{"id":"t01-0001","task":"t01","x":[1,2],"y":1,"note":"naïve ☃ 日本"}"#),
        ("t01-0002", #"{"id":"t01-0002","task":"t01","x":[2,0],"y":0}"#),
        ("t02-0000", #"{"task":"t02",  "id" : "t02-0000","x":[ 1.50 , -2e0 ],"y":1, "meta":{"k":[1,2,{"z":null}]}}"#),
        ("t02-0001", #"{"id":"t02-0001","task":"t02","x":[0,0],"y":0,"weird key \u00e9":"\ud83d\ude00 😀"}"#),
        ("t02-0002", #"{"id":"t02-0002","task":"t02","x":[3,3],"y":1}"#),
        ("t03-0000", #"{"id":"t03-0000","task":"t03","x":[1,1],"y":0,"extra":true}"#),
        ("t03-0001", #"{"id":"t03-0001","task":"t03","x":[-1,1],"y":1}   "#),
        ("t03-0002", #"{"id":"t03-0002","task":"t03","x":[0.25,0.75],"y":0}"#),
    ]

    /// score_t01 per id (positive hurts t01): t02-0002 (0.2), t03-0000 (0.3),
    /// t03-0002 (0.1) are the harmful candidates for --target t01.
    static let scoreT01: [String: String] = [
        "t01-0000": "0.1", "t01-0001": "-0.3", "t01-0002": "0",
        "t02-0000": "-0.1", "t02-0001": "-0.2", "t02-0002": "0.2",
        "t03-0000": "0.3", "t03-0001": "-0.05", "t03-0002": "0.1",
    ]

    static func scoreLine(_ id: String, task: String? = nil, t01: String? = nil) -> String {
        let task = task ?? String(id.prefix(3))
        return #"{"type":"score","id":"\#(id)","task":"\#(task)","scores":{"t01":\#(t01 ?? scoreT01[id]!),"t02":0.01,"t03":-0.01}}"#
    }

    static var scores: String {
        ([#"{"type":"meta","sign":"positive = hurts"}"#] + train.map { scoreLine($0.id) }).joined(separator: "\n") + "\n"
    }

    private func fixture() throws -> Shell {
        let sh = try Shell()
        try sh.write("train.ndjson", Self.train.map(\.line).joined(separator: "\n") + "\n")
        try sh.write("scores.ndjson", Self.scores)
        return sh
    }

    /// Writes the original lines of the kept ids, in input order, as `name`.
    private func expected(_ sh: Shell, _ name: String, dropping dropped: Set<String>) throws {
        try sh.write(name, Self.train.filter { !dropped.contains($0.id) }.map { $0.line + "\n" }.joined())
    }

    @Test func keptLinesPassThroughByteForByte() throws {
        let sh = try fixture()
        try expected(sh, "expected.ndjson", dropping: ["t02-0002", "t03-0000", "t03-0002"])
        try sh.succeed("mtif-select --target t01 scores.ndjson train.ndjson > kept.ndjson")
        try sh.succeed("cmp kept.ndjson expected.ndjson")
        // The same from standard input, and with -o (atomic: no .tmp left behind).
        try sh.succeed("cat train.ndjson | mtif-select -q --target t01 scores.ndjson - > kept-stdin.ndjson; cmp kept-stdin.ndjson expected.ndjson")
        try sh.succeed("cat scores.ndjson | mtif-select -q --target t01 - train.ndjson -o kept-o.ndjson; cmp kept-o.ndjson expected.ndjson")
        #expect(!sh.exists("kept-o.ndjson.tmp"))
        // The kept file is a training set mtif-train reads.
        try sh.succeed("mtif-train -q --hidden 2 --max-iter 5 --polish none kept.ndjson -o p.safetensors")
    }

    @Test func reportAndDroppedIds() throws {
        let sh = try fixture()
        let run = try sh.succeed(
            "mtif-select --target t01 --count 2 --report report.ndjson --dropped-ids dropped.txt scores.ndjson train.ndjson > kept.ndjson")
        // Most harmful first: t03-0000 (0.3), then t02-0002 (0.2); listed in input order.
        #expect(try sh.read("dropped.txt") == "t02-0002\nt03-0000\n")
        try expected(sh, "expected.ndjson", dropping: ["t02-0002", "t03-0000"])
        try sh.succeed("cmp kept.ndjson expected.ndjson")
        let records = try Shell.records(try sh.read("report.ndjson"))
        #expect(records.count == 4)
        let tasks = records.filter { $0["type"] as? String == "dropped" }
        #expect(tasks.map { $0["task"] as? String } == ["t01", "t02", "t03"])
        #expect(tasks.map { $0["candidates"] as? Int } == [0, 3, 3])
        #expect(tasks.map { $0["dropped"] as? Int } == [0, 1, 1])
        #expect(tasks.map { $0["score_sum"] as? Double } == [0, 0.2, 0.3])
        let total = try #require(records.last)
        #expect(total["type"] as? String == "selection")
        #expect(total["rule"] as? String == "mtif")
        #expect(total["targets"] as? [String] == ["t01"])
        #expect(total["dropped"] as? Int == 2)
        #expect(total["kept"] as? Int == 7)
        #expect(abs((total["fraction"] as? Double ?? 0) - 2.0 / 6) < 1e-12)
        // The summary on stderr: per task, then the total.
        #expect(run.stderr.contains("mtif-select: t02  3 candidates, 1 dropped"), "\(run.dump)")
        #expect(run.stderr.contains("dropped 2 of 6 candidates, kept 7 of 9 examples"), "\(run.dump)")
        // -q silences it; the dropped ids feed mtif-train --exclude.
        #expect(try sh.succeed("mtif-select -q --target t01 --count 2 scores.ndjson train.ndjson > /dev/null").stderr.isEmpty)
        try sh.succeed("mtif-train -q --hidden 2 --max-iter 5 --polish none --exclude dropped.txt train.ndjson -o p.safetensors")
    }

    @Test func baselinesThroughTheBinary() throws {
        let sh = try fixture()
        // Whole tasks: R(t02→t01) = −0.1 < 0 stays; R(t03→t01) = 0.35 > 0 goes, all of it.
        try sh.succeed("mtif-select -q --target t01 --whole-tasks --report r.ndjson --dropped-ids d.txt scores.ndjson train.ndjson > kept.ndjson")
        #expect(try sh.read("d.txt") == "t03-0000\nt03-0001\nt03-0002\n")
        #expect(try Shell.records(try sh.read("r.ndjson")).last?["rule"] as? String == "whole_tasks")
        // Random: as many as the rule drops (3), only other tasks, same seed same ids.
        try sh.succeed("mtif-select -q --target t01 --random --seed 5 --report r.ndjson --dropped-ids a.txt scores.ndjson train.ndjson > a.ndjson")
        try sh.succeed("mtif-select -q --target t01 --random --seed 5 --dropped-ids b.txt scores.ndjson train.ndjson > b.ndjson")
        try sh.succeed("cmp a.ndjson b.ndjson; cmp a.txt b.txt")
        let ids = try sh.read("a.txt").split(separator: "\n")
        #expect(ids.count == 3)
        #expect(ids.allSatisfy { !$0.hasPrefix("t01") })
        #expect(try Shell.records(try sh.read("r.ndjson")).last?["rule"] as? String == "random")
    }

    private func expectFailure(
        _ sh: Shell, _ script: String, mentions fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try sh.run(script)
        #expect(result.status == 2, "\(result.dump)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("mtif-select: error: "), "\(result.dump)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "stderr lacks '\(fragment)'\n\(result.dump)", sourceLocation: sourceLocation)
        }
        #expect(result.stdout.isEmpty, "\(result.dump)", sourceLocation: sourceLocation)
    }

    @Test func idsThatDoNotMatch() throws {
        let sh = try fixture()
        try sh.run(#"cp train.ndjson extra.ndjson; echo '{"id":"t03-0009","task":"t03","x":[0,1],"y":0}' >> extra.ndjson"#)
        try expectFailure(sh, "mtif-select --target t01 scores.ndjson extra.ndjson", mentions: [
            "extra.ndjson:10: field \"id\": example \"t03-0009\" has no score in scores.ndjson", "hint:",
        ])
        try sh.write("more.ndjson", Self.scores + ["x1", "x2", "x3", "x4"].map { Self.scoreLine($0, task: "t02", t01: "0") + "\n" }.joined())
        try expectFailure(sh, "mtif-select --target t01 more.ndjson train.ndjson -o kept.ndjson", mentions: [
            "more.ndjson:11: field \"id\": 4 scored examples are not in train.ndjson: \"x1\", \"x2\", \"x3\", …",
        ])
        #expect(!sh.exists("kept.ndjson") && !sh.exists("kept.ndjson.tmp"))
        try sh.run("sed 's/\"id\":\"t02-0001\",\"task\":\"t02\"/\"id\":\"t02-0001\",\"task\":\"t03\"/' scores.ndjson > moved.ndjson")
        try expectFailure(sh, "mtif-select --target t01 moved.ndjson train.ndjson", mentions: [
            "train.ndjson:5: field \"task\"", "moved.ndjson:6",
        ])
        try sh.run("sed -n '1,5p' train.ndjson > dup.ndjson; sed -n '2p' train.ndjson >> dup.ndjson")
        try expectFailure(sh, "mtif-select --target t01 scores.ndjson dup.ndjson", mentions: [
            "dup.ndjson:6: field \"id\": duplicate id \"t01-0001\"",
        ])
        try sh.run("cp scores.ndjson dup-scores.ndjson; sed -n '3p' scores.ndjson >> dup-scores.ndjson")
        try expectFailure(sh, "mtif-select --target t01 dup-scores.ndjson train.ndjson", mentions: [
            "dup-scores.ndjson:11: field \"id\": duplicate id \"t01-0001\", also on line 3",
        ])
    }

    @Test func malformedScoreLines() throws {
        let sh = try fixture()
        try sh.run(#"sed '4s/.*/{"type":"score","id":"t01-0002","task":"t01"}/' scores.ndjson > missing.ndjson"#)
        try expectFailure(sh, "mtif-select --target t01 missing.ndjson train.ndjson", mentions: [
            "missing.ndjson:4: field \"scores\": missing",
        ])
        try sh.run(#"sed '5s/"t01":-0.1/"t01":"high"/' scores.ndjson > text.ndjson"#)
        try expectFailure(sh, "mtif-select --target t01 text.ndjson train.ndjson", mentions: [
            "text.ndjson:5: field \"scores\": score for \"t01\" is not a number",
        ])
        try sh.run(#"sed '6s/"t01":-0.2/"t01":NaN/' scores.ndjson > nan.ndjson"#)
        try expectFailure(sh, "mtif-select --target t01 nan.ndjson train.ndjson", mentions: ["nan.ndjson:6:"])
    }

    @Test func badUsage() throws {
        let sh = try fixture()
        let run = "scores.ndjson train.ndjson"
        try expectFailure(sh, "mtif-select --target t99 \(run)", mentions: [
            "--target: \"t99\" is not a target in scores.ndjson", "hint: its targets are t01, t02, t03",
        ])
        try expectFailure(sh, "mtif-select \(run)", mentions: ["--target is required"])
        try expectFailure(sh, "mtif-select --target t01,t01 \(run)", mentions: ["given twice"])
        try expectFailure(sh, "mtif-select --target t01 --fraction 1.5 \(run)", mentions: ["--fraction", "[0, 1]", "1.5"])
        try expectFailure(sh, "mtif-select --target t01 --fraction -0.1 \(run)", mentions: ["--fraction", "[0, 1]"])
        try expectFailure(sh, "mtif-select --target t01 --fraction abc \(run)", mentions: ["--fraction", "abc"])
        try expectFailure(sh, "mtif-select --target t01 --count -2 \(run)", mentions: ["--count", "non-negative", "-2"])
        try expectFailure(sh, "mtif-select --target t01 --fraction 0.1 --count 2 \(run)", mentions: ["--fraction and --count"])
        try expectFailure(sh, "mtif-select --target t01 --random --whole-tasks \(run)", mentions: ["--random and --whole-tasks"])
        try expectFailure(sh, "mtif-select --target t01 --whole-tasks --count 1 \(run)", mentions: ["--whole-tasks"])
        try expectFailure(sh, "mtif-select --target t01 --candidates some \(run)", mentions: ["--candidates", "others, all"])
        try expectFailure(sh, "mtif-select --target t01 scores.ndjson", mentions: ["missing argument"])
        try expectFailure(sh, "mtif-select --target t01 - -", mentions: ["both be standard input"])
        try expectFailure(sh, "mtif-select --target t01 nothing.ndjson train.ndjson", mentions: ["nothing.ndjson"])
    }

    @Test func helpListsEveryOption() throws {
        let sh = try Shell()
        let help = try sh.succeed("mtif-select --help").stdout
        #expect(help.hasPrefix("usage: mtif-select "))
        for option in [
            "--target", "--candidates", "--fraction", "--count", "--whole-tasks", "--random", "--seed", "--output",
            "--report", "--dropped-ids", "--quiet", "--help",
        ] {
            #expect(help.contains(option), "--help lacks \(option)")
        }
    }

    /// The README's pipeline: select for t01, then retrain on what is kept.
    @Test func readmePipeline() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 2 --tasks 3 --train 20 --val 4 --test 4 | mtif-data split -q --prefix d/
            awk -F'"' '{ printf "{\\"type\\":\\"score\\",\\"id\\":\\"%s\\",\\"task\\":\\"%s\\",\\"scores\\":{\\"t01\\":%g,\\"t02\\":0,\\"t03\\":0}}\\n", $4, $8, ((NR * 37) % 11 - 5) / 1000 }' d/train.ndjson > scores.ndjson
            cp d/train.ndjson train.ndjson
            mtif-select --target t01 --fraction 0.1 scores.ndjson train.ndjson > kept.ndjson
            mtif-train -q --hidden 4 --max-iter 20 --polish none kept.ndjson -o selected.safetensors
            """)
        let train = try sh.read("train.ndjson").split(separator: "\n").count
        let others = try sh.read("train.ndjson").split(separator: "\n").filter { !$0.contains(#""task":"t01""#) }.count
        let kept = try sh.read("kept.ndjson").split(separator: "\n").count
        #expect(kept == train - Int((0.1 * Double(others)).rounded(.down)))
        #expect(sh.exists("selected.safetensors"))
    }
}
