import Foundation
import Testing

/// Runs pipelines of the built tools through bash exactly as the README
/// writes them, in a fresh temporary directory, with the release binaries
/// first on PATH. `make test` builds them before the tests run.
/// Its temporary directory is removed when the test is done with it, unless
/// MTIF_KEEP_TEST_DIRS is set (to look at a failure's files).
final class Shell {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var command: String

        /// Everything needed to understand a failure, for test messages.
        var dump: String {
            "command:\n\(command)\nstatus: \(status)\nstdout:\n\(stdout.prefix(4000))\nstderr:\n\(stderr.prefix(4000))"
        }
    }

    /// Every tool the package builds; each must be built before a test runs.
    static let tools = ["mtif-data", "mtif-train", "mtif-eval", "mtif-grad", "mtif-ihvp", "mtif-influence", "mtif-select", "mtif-bench", "mtif-relate"]

    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binaries: URL {
        if let override = ProcessInfo.processInfo.environment["MTIF_BIN"] { return URL(fileURLWithPath: override) }
        return repositoryRoot.appendingPathComponent(".build/release")
    }

    /// `make` in the repository, taking the built tools as they are
    /// (NO_BUILD=1, passed on to sub-makes): a nested `swift build` (the tools'
    /// rule, when a source is newer than a binary) would wait forever for the
    /// build-directory lock that `swift test` holds.
    static var make: String {
        "make -C \"\(repositoryRoot.path)\" --no-print-directory NO_BUILD=1 "
    }

    /// `../shared/data` beside the repository, used only by tests that say so.
    static var sharedData: URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    let directory: URL

    deinit {
        if ProcessInfo.processInfo.environment["MTIF_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mtif-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for tool in Shell.tools {
            let path = Shell.binaries.appendingPathComponent(tool).path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ShellError.missingBinary(path)
            }
        }
    }

    enum ShellError: Error, CustomStringConvertible {
        case missingBinary(String)
        var description: String {
            switch self {
            case .missingBinary(let path): return "\(path) is not built; run 'make test' (it builds the release tools first)"
            }
        }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }

    /// Runs `script` under `bash -c 'set -euo pipefail; …'`.
    @discardableResult
    func run(_ script: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -euo pipefail; " + script]
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = Shell.binaries.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["SHARED_DATA"] = Shell.sharedData.path
        process.environment = environment
        let out = directory.appendingPathComponent(".stdout")
        let err = directory.appendingPathComponent(".stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
            command: script)
    }

    /// Runs `script` and records a test issue with the full dump unless it exits 0.
    @discardableResult
    func succeed(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let result = try run(script)
        #expect(result.status == 0, "\(result.dump)", sourceLocation: sourceLocation)
        return result
    }

    /// Parses NDJSON output into dictionaries.
    static func records(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}
