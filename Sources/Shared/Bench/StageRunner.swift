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
/// memory of bash and all its descendants from /proc every 20 ms (so a
/// pipeline's concurrent stages are summed), and waits for it.
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
        usleep(20_000)
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

/// Σ and max of the resident memory (bytes) of process `root` and all its
/// descendants, found through /proc/PID/task/PID/children (cheap enough to
/// sample often without taking much CPU from the stage being measured).
private func residentMemory(group root: pid_t) -> (total: Int, largest: Int) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    var total = 0, largest = 0
    var pending = [root]
    while let pid = pending.popLast() {
        if let statm = readSmallFile("/proc/\(pid)/statm"),
           let resident = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            total += resident * page
            largest = max(largest, resident * page)
        }
        if let children = readSmallFile("/proc/\(pid)/task/\(pid)/children") {
            pending += children.split(separator: " ").compactMap { pid_t($0) }
        }
    }
    return (total, largest)
}

/// The text of a /proc file (they report size 0, so read until EOF), or nil.
private func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = read(fd, &buffer, buffer.count)
    guard n > 0 else { return n == 0 ? "" : nil }
    return String(decoding: buffer[0 ..< n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
