#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Wall time and memory of one shell command (a pipeline of our tools).
package struct StageMeasurement: Sendable {
    package var seconds: Double
    /// Peak over time of the summed resident memory of every process of the
    /// command (all stages of a pipeline at once), in bytes.
    package var peakBytes: Int
    /// Peak resident memory of the largest single process, in bytes.
    package var largestProcessBytes: Int
}

/// Runs `bash -c command` in its own process group, sampling the resident
/// memory of every process in the group from /proc every few milliseconds
/// (so a pipeline's concurrent stages are summed), and waits for it.
package func measureCommand(_ command: String, directory: String, log: Log) throws -> StageMeasurement {
    log.info("$ \(command)")
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    let script = "cd \(shellQuoted(directory)) && set -euo pipefail && \(command)"
    let words: [String] = ["/bin/bash", "-c", script]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let clock = Stopwatch()
    let spawned = posix_spawn(&pid, "/bin/bash", nil, &attributes, argv, environ)
    guard spawned == 0 else { throw MTIFError.io("cannot start bash: \(String(cString: strerror(spawned)))") }
    var peak = 0, largest = 0
    var status: Int32 = 0
    while true {
        let done = waitpid(pid, &status, WNOHANG)
        if done == pid { break }
        if done < 0 && errno != EINTR { throw MTIFError.io("waitpid failed: \(String(cString: strerror(errno)))") }
        let sample = residentMemory(group: pid)
        peak = max(peak, sample.total)
        largest = max(largest, sample.largest)
        usleep(5_000)
    }
    let seconds = clock.seconds
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    guard exited && code == 0 else {
        throw MTIFError.computation(
            "benchmark stage failed (\(exited ? "exit \(code)" : "signal \(status & 0x7f)")): \(command)",
            hint: "run the command by hand in \(directory) to see its error")
    }
    return StageMeasurement(seconds: seconds, peakBytes: peak, largestProcessBytes: largest)
}

/// Σ and max of the resident memory (bytes) of the processes in process group `group`.
private func residentMemory(group: pid_t) -> (total: Int, largest: Int) {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return (0, 0) }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    var total = 0, largest = 0
    for entry in entries where entry.first?.isNumber == true {
        // /proc/PID/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so split after the last ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[2]) == group else { continue }
        guard let statm = try? String(contentsOfFile: "/proc/\(entry)/statm", encoding: .utf8) else { continue }
        let parts = statm.split(separator: " ")
        guard parts.count > 1, let pages = Int(parts[1]) else { continue }
        total += pages * page
        largest = max(largest, pages * page)
    }
    return (total, largest)
}
