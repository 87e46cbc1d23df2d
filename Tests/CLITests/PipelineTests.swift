import Foundation
import Shared
import Testing

/// End-to-end runs of the built binaries, written as the README writes them.
@Suite(.serialized) struct PipelineTests {
    @Test func synthSplitTrainEvalBeatsUntrainedOnEveryTask() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth --seed 3 --tasks 4 --train 50 --val 20 --test 150 | mtif-data split --prefix d/ -q
            mtif-train -q --hidden 8 --lambda 0.05 --seed 1 d/train.ndjson -o trained.safetensors
            mtif-train -q --hidden 8 --lambda 0.05 --seed 1 --max-iter 0 --polish none d/train.ndjson -o untrained.safetensors
            mtif-eval trained.safetensors d/test.ndjson > trained.ndjson
            mtif-eval untrained.safetensors d/test.ndjson > untrained.ndjson
            """)
        let trained = try Shell.records(try sh.read("trained.ndjson")).filter { $0["type"] as? String == "task" }
        let untrained = try Shell.records(try sh.read("untrained.ndjson")).filter { $0["type"] as? String == "task" }
        #expect(trained.count == 4)
        for (a, b) in zip(trained, untrained) {
            let task = a["task"] as! String
            #expect(task == b["task"] as! String)
            #expect((a["loss"] as! Double) < (b["loss"] as! Double), "task \(task)")
            #expect((a["accuracy"] as! Double) > (b["accuracy"] as! Double), "task \(task)")
            #expect((a["n"] as! Int) == 150)
        }
    }

    @Test func convexSoftSharingConvergesTightlyAndIsByteDeterministic() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth --seed 5 --tasks 3 --train 40 --val 10 --test 10 | mtif-data split --prefix d/ -q
            mkdir -p a b
            mtif-train -q --sharing soft --tol 1e-9 --seed 2 d/train.ndjson -o a/p.safetensors
            mtif-train -q --sharing soft --tol 1e-9 --seed 2 d/train.ndjson -o b/p.safetensors
            cmp a/p.safetensors b/p.safetensors
            """)
        let file = try ParameterFile.read(path: sh.path("a/p.safetensors"))
        let training = try JSONSerialization.jsonObject(with: Data(file.metadata["training"]!.utf8)) as! [String: Any]
        #expect(training["converged"] as? Bool == true)
        #expect((training["gradient_norm"] as! Double) <= 1e-8)
        #expect(file.architecture.sharing == .soft)
        #expect(file.architecture.hidden.isEmpty)
    }

    @Test func closedPipeEndsQuietly() throws {
        let sh = try Shell()
        let result = try sh.succeed("mtif-data synth --tasks 50 --train 200 | head -1")
        #expect(result.stderr.isEmpty, "\(result.dump)")
        #expect(result.stdout.hasPrefix("{\"id\":"))
    }

    @Test func everyToolAnswersHelpOnStdout() throws {
        let sh = try Shell()
        for tool in Shell.tools {
            let result = try sh.succeed("\(tool) --help")
            #expect(result.stdout.hasPrefix("usage: \(tool)"), "\(result.dump)")
            #expect(result.stdout.contains("example"))
        }
    }

    /// Uses ../shared/data/har/har.csv.gz (the rebuilt UCI HAR features); the
    /// first 600 rows cover subjects 1 and 2 with all six activities.
    @Test func realHARCSVIngests() throws {
        let sh = try Shell()
        let har = Shell.sharedData.appendingPathComponent("har/har.csv.gz").path
        try #require(FileManager.default.fileExists(atPath: har), "this test needs \(har)")
        try sh.succeed("""
            (set +o pipefail; zcat "$SHARED_DATA/har/har.csv.gz" | head -n 601) > slice.csv
            mtif-data csv --task subject --label activity --task-prefix s slice.csv > har.ndjson
            mtif-data stats har.ndjson > stats.ndjson
            """)
        let records = try Shell.records(try sh.read("stats.ndjson"))
        let total = records.first { $0["type"] as? String == "total" }!
        #expect(total["count"] as? Int == 600)
        #expect(total["features"] as? Int == 561)
        let tasks = records.filter { $0["type"] as? String == "task" }.map { $0["task"] as! String }
        // Integer task values are zero-padded to the widest value in the file.
        #expect(tasks == ["s1", "s2"])
    }

    /// Uses ../shared/data/landmine/landmine.csv (29 mine fields, 9 features,
    /// binary); skipped when it is absent. The ingest make experiment
    /// DATA=landmine runs, then a blocked split of the result.
    @Test(.enabled(if: FileManager.default.fileExists(
        atPath: Shell.sharedData.appendingPathComponent("landmine/landmine.csv").path)))
    func realLandmineCSVIngestsAndSplitsByBlocks() throws {
        let sh = try Shell()
        let result = try sh.succeed("""
            mtif-data csv --task field --label label --label-kind index --task-prefix f "$SHARED_DATA/landmine/landmine.csv" > lm.ndjson
            mtif-data stats lm.ndjson > stats.ndjson
            mtif-data split --blocks 10 --gap 1 --seed 2 --prefix part- lm.ndjson
            mtif-data stats part-test.ndjson > test-stats.ndjson
            """)
        let records = try Shell.records(try sh.read("stats.ndjson"))
        let total = try #require(records.first { $0["type"] as? String == "total" })
        #expect(total["count"] as? Int == 14820 && total["features"] as? Int == 9 && total["tasks"] as? Int == 29)
        #expect((total["classes"] as? [String: Any])?["1"] as? Int == 904)
        let tasks = records.filter { $0["type"] as? String == "task" }.compactMap { $0["task"] as? String }
        #expect(tasks.first == "f01" && tasks.last == "f29")
        // 10 blocks per field: 2 test blocks of ⌊n/10⌋ or ⌈n/10⌉ each, minus at most 2 gap examples.
        let test = try Shell.records(try sh.read("test-stats.ndjson")).filter { $0["type"] as? String == "task" }
        #expect(test.count == 29)
        #expect(result.stderr.contains("by 10 contiguous blocks per task, gap 1"), "\(result.dump)")
        let perField = Dictionary(uniqueKeysWithValues: records.compactMap { r -> (String, Int)? in
            guard r["type"] as? String == "task", let t = r["task"] as? String, let n = r["count"] as? Int else { return nil }
            return (t, n)
        })
        for r in test {
            let n = perField[r["task"] as! String]!
            let count = r["count"] as! Int
            #expect(count >= 2 * (n / 10) - 2 && count <= 2 * (n / 10 + 1), "\(r)")
        }
    }
}
