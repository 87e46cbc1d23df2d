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
}
