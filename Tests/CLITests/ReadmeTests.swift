import Foundation
import Testing

/// The README is the manual: each tool's usage block there must be exactly
/// what `--help` prints.
@Suite struct ReadmeTests {
    @Test(arguments: ["mtif-data", "mtif-train", "mtif-eval", "mtif-select"])
    func usageBlockMatchesHelp(tool: String) throws {
        let readme = try String(contentsOf: Shell.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [String] = []
        var current: String? = nil
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let block = current { blocks.append(block); current = nil } else { current = "" }
            } else if current != nil {
                current! += line + "\n"
            }
        }
        let block = try #require(blocks.first { $0.hasPrefix("usage: \(tool) ") }, "README.md has no usage block for \(tool)")
        let help = try Shell().succeed("\(tool) --help").stdout
        #expect(block == help, "README.md's usage block for \(tool) differs from '\(tool) --help'")
    }
}
