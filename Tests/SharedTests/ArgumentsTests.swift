import Testing
import Shared

@Suite struct ArgumentsTests {
    @Test func parsesLongShortAndInlineValues() throws {
        let a = try Arguments(
            tool: "t", ["-q", "--damping=0.5", "--seed", "7", "in.ndjson", "-o", "out", "-"],
            options: ["--damping", "--seed", "--output"], flags: [])
        #expect(a.quiet)
        #expect(try a.double("--damping") == 0.5)
        #expect(try a.int("--seed") == 7)
        #expect(a.string("--output") == "out")
        #expect(a.positionals == ["in.ndjson", "-"])
    }

    @Test func rejectsUnknownFlagsAndBadValues() throws {
        #expect(throws: MTIFError.self) { try Arguments(tool: "t", ["--nope"], options: [], flags: []) }
        #expect(throws: MTIFError.self) { try Arguments(tool: "t", ["--seed"], options: ["--seed"], flags: []) }
        let a = try Arguments(tool: "t", ["--seed", "x"], options: ["--seed"], flags: [])
        do {
            _ = try a.int("--seed")
            Issue.record("expected an error")
        } catch let error as MTIFError {
            #expect(error.exitCode == 2)
            #expect(error.message.contains("--seed"))
        }
    }
}
