import Foundation
import Testing

/// Bad input must end with exit status 2 and one line naming the file, the line and the field.
@Suite(.serialized) struct BadInputTests {
    private func expectFailure(
        _ sh: Shell, _ script: String, status: Int32 = 2, mentions fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try sh.run(script)
        #expect(result.status == status, "\(result.dump)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "stderr lacks '\(fragment)'\n\(result.dump)", sourceLocation: sourceLocation)
        }
        #expect(result.stdout.isEmpty, "\(result.dump)", sourceLocation: sourceLocation)
    }

    private func trainedModel() throws -> Shell {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth --seed 1 --tasks 3 --train 30 --val 10 --test 10 | mtif-data split --prefix d/ -q
            mtif-train -q --hidden 4 --max-iter 20 --polish none d/train.ndjson -o p.safetensors
            """)
        return sh
    }

    @Test func malformedJSONLineNamesFileAndLine() throws {
        let sh = try trainedModel()
        try sh.run("head -n 3 d/test.ndjson > bad.ndjson; echo '{\"id\":\"z\",\"task\":\"t01\",\"x\":[1,' >> bad.ndjson")
        try expectFailure(sh, "mtif-eval p.safetensors bad.ndjson", mentions: ["mtif-eval: error:", "bad.ndjson:4"])
    }

    @Test func raggedXNamesTheField() throws {
        let sh = try trainedModel()
        try sh.run("head -n 2 d/test.ndjson > bad.ndjson; echo '{\"id\":\"z\",\"task\":\"t01\",\"x\":[1,2],\"y\":0}' >> bad.ndjson")
        try expectFailure(sh, "mtif-eval p.safetensors bad.ndjson", mentions: ["bad.ndjson:3", "\"x\""])
    }

    @Test func unknownTaskInValidationData() throws {
        let sh = try trainedModel()
        try sh.run("sed 's/\"task\":\"t02\"/\"task\":\"t99\"/' d/val.ndjson > bad.ndjson")
        try expectFailure(sh, "mtif-eval p.safetensors bad.ndjson", mentions: ["bad.ndjson", "t99", "\"task\""])
    }

    @Test func truncatedParameterFile() throws {
        let sh = try trainedModel()
        try sh.run("head -c 500 p.safetensors > cut.safetensors")
        try expectFailure(sh, "mtif-eval cut.safetensors d/test.ndjson", mentions: ["cut.safetensors"])
    }

    @Test func unknownFlagAndMissingArguments() throws {
        let sh = try Shell()
        try expectFailure(sh, "mtif-train --no-such-flag x.ndjson", mentions: ["unknown flag '--no-such-flag'", "hint:"])
        try expectFailure(sh, "mtif-eval only-one.safetensors", mentions: ["missing argument"])
        try expectFailure(sh, "mtif-data frobnicate", mentions: ["unknown command 'frobnicate'"])
        try expectFailure(sh, "mtif-train --lambda abc x.ndjson", mentions: ["--lambda", "abc"])
        try expectFailure(sh, "mtif-train missing.ndjson -o p.safetensors", mentions: ["missing.ndjson"])
    }

    @Test func failedRunLeavesNoOutputFile() throws {
        let sh = try Shell()
        try sh.run("echo '{\"task\":\"a\",\"x\":[1],\"y\":0}' > one.ndjson; echo 'not json' >> one.ndjson")
        try expectFailure(sh, "mtif-train one.ndjson -o p.safetensors", mentions: ["one.ndjson:2"])
        #expect(!sh.exists("p.safetensors"))
        #expect(!sh.exists("p.safetensors.tmp"))
    }

    @Test func excludeListMustNameTrainingExamples() throws {
        let sh = try trainedModel()
        try sh.run("printf 't01-0000\\nnope\\n' > exclude.txt")
        try expectFailure(sh, "mtif-train -q --hidden 4 --exclude exclude.txt d/train.ndjson -o q.safetensors", mentions: ["exclude.txt:2", "nope"])
    }
}
