import Foundation
import Testing

/// One line of Corpus/cases.tsv: a bad (or tolerated) input and what the tool must do with it.
struct CorpusCase: Sendable, CustomTestStringConvertible {
    var name: String
    var status: Int32
    var fragments: [String]
    var command: String

    var testDescription: String { name }

    static let directory = Shell.repositoryRoot.appendingPathComponent("Tests/CLITests/Corpus")

    /// Every case of the manifest, in file order; a malformed line is a loud failure.
    static let all: [CorpusCase] = {
        let url = directory.appendingPathComponent("cases.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            return [CorpusCase(name: "missing-manifest", status: -1, fragments: [], command: "false")]
        }
        return text.split(separator: "\n").compactMap { line -> CorpusCase? in
            if line.hasPrefix("#") || line.allSatisfy(\.isWhitespace) { return nil }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count == 4, let status = Int32(columns[1]) else {
                return CorpusCase(name: "malformed: \(line.prefix(40))", status: -1, fragments: [], command: "false")
            }
            let fragments = columns[2] == "-" ? [] : columns[2].components(separatedBy: " | ")
            return CorpusCase(name: columns[0], status: status, fragments: fragments, command: columns[3])
        }
    }()
}

/// Runs the tools over the bad-input corpus (Corpus/README.md): every case ends
/// with its expected status, never a crash, and a refused input with exactly one
/// error line (and at most one hint) that names the file, the line or tensor, and
/// the field.
@Suite struct CorpusTests {
    /// Exit statuses of a Swift trap or a signal: never acceptable on any input.
    static let crashStatuses: Set<Int32> = [132, 133, 134, 135, 136, 137, 139]

    @Test(arguments: CorpusCase.all)
    func corpusCase(_ c: CorpusCase) throws {
        let sh = try Shell()
        let corpus = CorpusCase.directory.path
        let result = try sh.run("C='\(corpus)'; G=\"$C/good\"; \(c.command)")
        #expect(!CorpusTests.crashStatuses.contains(result.status), "crashed\n\(result.dump)")
        #expect(!result.stderr.contains("Fatal error"), "trapped\n\(result.dump)")
        #expect(result.status == c.status, "\(c.name): expected exit \(c.status)\n\(result.dump)")
        for fragment in c.fragments {
            #expect(result.stderr.contains(fragment), "\(c.name): stderr lacks '\(fragment)'\n\(result.dump)")
        }
        // An accepted input may warn; a refused one says so in one line (besides
        // warnings about other inputs, e.g. parameters short of convergence).
        guard c.status != 0 else { return }
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !$0.contains(": warning: ") }
        let errors = lines.filter { !$0.hasPrefix("hint: ") }
        let hints = lines.filter { $0.hasPrefix("hint: ") }
        #expect(errors.count == 1, "\(c.name): expected one error line\n\(result.dump)")
        #expect(hints.count <= 1, "\(c.name): more than one hint\n\(result.dump)")
        if let line = errors.first {
            #expect(line.hasPrefix("mtif-") && line.contains(": error: "), "\(c.name): not an error line\n\(result.dump)")
        }
    }

    @Test func manifestNamesAreUniqueAndFilesExist() throws {
        let names = CorpusCase.all.map(\.name)
        #expect(Set(names).count == names.count, "duplicate case names")
        #expect(names.count > 100)
        // Every committed corpus file is used by some case, so none rots unnoticed.
        let manifest = try String(contentsOf: CorpusCase.directory.appendingPathComponent("cases.tsv"), encoding: .utf8)
        for group in ["ndjson", "csv", "records", "safetensors"] {
            let files = try FileManager.default.contentsOfDirectory(
                atPath: CorpusCase.directory.appendingPathComponent(group).path)
            for file in files {
                #expect(manifest.contains("$C/\(group)/\(file)"), "\(group)/\(file) is in no case")
            }
        }
    }
}
