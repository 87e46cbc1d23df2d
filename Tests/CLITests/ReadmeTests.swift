import Foundation
import Testing

/// The README is the manual: each tool's usage block there must be exactly
/// what `--help` prints.
@Suite struct ReadmeTests {
    @Test(arguments: ["mtif-data", "mtif-train", "mtif-eval"])
    func usageBlockMatchesHelp(tool: String) throws {
        let readme = try String(contentsOf: Shell.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```\n").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let block = try #require(blocks.first { $0.hasPrefix("usage: \(tool) ") }, "README.md has no usage block for \(tool)")
        let help = try Shell().succeed("\(tool) --help").stdout
        #expect(block == help, "README.md's usage block for \(tool) differs from '\(tool) --help'")
    }
}
