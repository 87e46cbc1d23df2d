#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files of this process's `-o`/`--report` outputs, and when
/// they are renamed into place.
///
/// * Every temporary file is created exclusively (`O_CREAT | O_EXCL |
///   O_NOFOLLOW`) under a unique name, `.FILE.<pid>.<random>.tmp` beside FILE:
///   two runs writing the same FILE never share one, and a symlink planted at
///   any name is never followed.
/// * Inside a tool (`runTool` calls `beginTransaction()`), `OutputFile.commit()`
///   only stages its file; the tool renames every staged file when its body
///   returns successfully, and removes them all when it fails. A run that
///   exits 1 or 2 therefore replaces none of its outputs.
/// * SIGINT, SIGTERM and SIGHUP remove the live temporary files, then the
///   process dies of the signal as it would have (exit status 130, 143, 129).
///
/// The registry is process-wide state by necessity: a signal handler can see
/// nothing else. Its table is a fixed array of C strings, so the handler only
/// reads pointers and calls `unlink(2)`, both async-signal-safe.
package enum TemporaryFiles {
    /// Slots of the signal handler's table; more live outputs than this are
    /// still removed on error and success, only not on a signal.
    static let capacity = 256
    nonisolated(unsafe) static let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        table.initialize(repeating: nil, count: capacity)
        return table
    }()
    /// Committed outputs waiting for the end of the run: (temporary, final).
    nonisolated(unsafe) private static var staged: [(temporary: String, final: String)] = []
    nonisolated(unsafe) private static var deferring = false
    nonisolated(unsafe) private static var generator = SystemRandomNumberGenerator()

    /// Outputs committed from now on are renamed by `commitStaged()` only.
    package static func beginTransaction() {
        deferring = true
        installSignalHandlers()
    }

    /// Creates the temporary file for `path`: a new, unique name in the same
    /// directory, opened exclusively and never through a symlink. Returns the
    /// descriptor and the name.
    static func create(for path: String) throws -> (descriptor: Int32, path: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        for _ in 0 ..< 64 {
            let token = String(generator.next() & 0xFFFF_FFFF_FFFF, radix: 36)
            let candidate = "\(directory).\(base).\(getpid()).\(token).tmp"
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 {
                register(candidate)
                return (fd, candidate)
            }
            let code = errno
            if code == EEXIST || code == ELOOP { continue }
            throw MTIFError.io("cannot create a temporary file for \(path): \(OutputFile.errorText(code))",
                               hint: code == EACCES ? "the directory of \(path) is not writable" : nil)
        }
        throw MTIFError.io("cannot create a temporary file for \(path): 64 unique names were taken")
    }

    /// Renames `temporary` to `final` now, or at the end of the run inside a tool.
    static func commit(_ temporary: String, to final: String) throws {
        if deferring {
            staged.append((temporary, final))
        } else {
            try rename(temporary, to: final)
        }
    }

    /// Removes a temporary file that will never be committed.
    static func discard(_ temporary: String) {
        unlink(temporary)
        unregister(temporary)
        staged.removeAll { $0.temporary == temporary }
    }

    /// Renames every staged output into place, after checking that none of
    /// their destinations is a directory (which rename would refuse half way).
    package static func commitStaged() throws {
        let pending = staged
        staged = []
        for final in pending.map(\.final) {
            var status = stat()
            if stat(final, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
                for item in pending { unlink(item.temporary); unregister(item.temporary) }
                throw MTIFError.io("cannot write \(final): it is a directory", hint: "give a file name")
            }
        }
        for (index, item) in pending.enumerated() {
            do { try rename(item.temporary, to: item.final) } catch {
                for rest in pending[(index + 1)...] { unlink(rest.temporary); unregister(rest.temporary) }
                throw error
            }
        }
    }

    /// Removes every temporary file of this process (a failed run).
    package static func discardAll() {
        for item in staged { unlink(item.temporary) }
        staged = []
        for i in 0 ..< capacity {
            if let p = table[i] {
                unlink(p)
                table[i] = nil
                free(p)
            }
        }
    }

    private static func rename(_ temporary: String, to final: String) throws {
        defer { unregister(temporary) }
        guard Glibc.rename(temporary, final) == 0 else {
            let code = errno
            unlink(temporary)
            throw MTIFError.io("cannot rename \(temporary) to \(final): \(OutputFile.errorText(code))")
        }
    }

    private static func register(_ path: String) {
        for i in 0 ..< capacity where table[i] == nil {
            table[i] = strdup(path)
            return
        }
    }

    private static func unregister(_ path: String) {
        for i in 0 ..< capacity {
            if let p = table[i], String(cString: p) == path {
                table[i] = nil
                free(p)
            }
        }
    }

    private static func installSignalHandlers() {
        _ = table
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // A blocked mask is inherited through exec (some parents block
            // these): blocked, SIGTERM would wait until the run had finished.
            sigaddset(&unblock, sig)
            // Keep an ignored signal ignored (nohup, a background job).
            let previous = signal(sig, removeTemporariesAndDie)
            if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(sig, SIG_IGN) }
        }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
    }
}

/// The signal handler: unlink the live temporary files, then die of the
/// signal with its default action, so the parent sees the usual status.
private func removeTemporariesAndDie(_ sig: Int32) {
    let table = TemporaryFiles.table
    for i in 0 ..< TemporaryFiles.capacity {
        if let p = table[i] { unlink(p) }
    }
    signal(sig, SIG_DFL)
    raise(sig)
}
