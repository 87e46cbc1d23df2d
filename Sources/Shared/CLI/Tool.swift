#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Diagnostics on standard error, prefixed with the tool's name; `--quiet`
/// silences progress but never errors.
package struct Log: Sendable {
    package let tool: String
    package let quiet: Bool

    package init(tool: String, quiet: Bool) {
        self.tool = tool
        self.quiet = quiet
    }

    /// A progress or summary line.
    package func info(_ message: @autoclosure () -> String) {
        guard !quiet else { return }
        Log.standardError("\(tool): \(message())\n")
    }

    /// A warning: printed even with `--quiet`, because it questions the result.
    package func warning(_ message: String) {
        Log.standardError("\(tool): warning: \(message)\n")
    }

    package static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }
}

/// The one place a tool exits. Runs `body`, maps a thrown `MTIFError` to its
/// message and exit status (0 success or broken pipe, 1 computation or I/O, 2
/// usage or input), and ignores SIGPIPE so a closed pipe shows up as EPIPE.
/// The `-o` outputs of the run are renamed into place together when `body`
/// returns, and none of them when it throws (`TemporaryFiles`).
package func runTool(_ tool: String, mallocArenas: Int? = nil, _ body: () throws -> Void) -> Never {
    signal(SIGPIPE, SIG_IGN)
    keepFreedMemory()
    if let mallocArenas { limitMallocArenas(mallocArenas) }
    TemporaryFiles.beginTransaction()
    do {
        try body()
        try TemporaryFiles.commitStaged()
        exit(0)
    } catch let error as MTIFError {
        TemporaryFiles.discardAll()
        if error.kind == .brokenPipe { exit(0) }
        var text = "\(tool): error: \(error.message)\n"
        if let hint = error.hint { text += "hint: \(hint)\n" }
        Log.standardError(text)
        exit(error.exitCode)
    } catch {
        TemporaryFiles.discardAll()
        Log.standardError("\(tool): error: \(error)\n")
        exit(1)
    }
}

/// Prints `usage` to standard output (the README's usage block for the tool).
package func printUsage(_ usage: String) throws {
    let out = try OutputFile(path: nil)
    try out.write(usage.hasSuffix("\n") ? usage : usage + "\n")
    try out.commit()
}

/// The solvers' inner loops allocate and free the same tens of megabytes on
/// every step. glibc serves such blocks with mmap and returns them with munmap,
/// so each step paid page faults and kernel zeroing (40 % of LiSSA's time);
/// keeping blocks up to 1 GiB on the heap lets a freed block be reused as is.
private func keepFreedMemory() {
    #if canImport(Glibc)
    _ = glibcMallopt(-1, 1 << 30)  // M_TRIM_THRESHOLD
    _ = glibcMallopt(-3, 1 << 30)  // M_MMAP_THRESHOLD
    #endif
}

/// Returns the whole free pages of the heap to the system now, instead of
/// at `keepFreedMemory`'s 1 GiB threshold: for a reader that frees a copy of
/// its data piece by piece while it builds another.
package func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = glibcMallocTrim(0)
    #endif
}

/// glibc gives each thread that allocates its own arena, and with
/// `keepFreedMemory`'s trim threshold an arena's freed memory stays resident
/// and serves only that arena. A solver parses its training set on worker
/// threads and then allocates its buffers on the main thread, so the parse's
/// freed memory (~20 MB on the HAR-shaped bench) sat beside them; with one
/// arena the solver reuses it. Measured: no change in parsing time.
private func limitMallocArenas(_ count: Int) {
    #if canImport(Glibc)
    _ = glibcMallopt(-8, Int32(count))  // M_ARENA_MAX
    #endif
}

#if canImport(Glibc)
/// glibc's malloc_trim(3).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

/// glibc's mallopt(3); <malloc.h> is not part of the Glibc module.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
