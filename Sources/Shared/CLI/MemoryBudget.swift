#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A check before a large allocation: a tool estimates what a stage needs and
/// refuses, naming the estimate, the limit and the flag that changes it,
/// instead of dying in the allocator (exit 134 or the OOM killer's signal).
///
/// The limit is the smallest of the physical memory, the address-space limit
/// (`ulimit -v`, RLIMIT_AS) and the data-segment limit (RLIMIT_DATA), less
/// what the process already maps for a limit on its address space.
package enum MemoryBudget {
    /// The limit in bytes and what it is ("15.6 GB of physical memory").
    package static func limit() -> (bytes: Double, description: String) {
        let pages = Double(sysconf(Int32(_SC_PHYS_PAGES))), size = Double(sysconf(Int32(_SC_PAGESIZE)))
        var best = (bytes: pages > 0 && size > 0 ? pages * size : Double.infinity, description: "")
        best.description = "\(format(best.bytes)) of physical memory"
        for (resource, name) in [(RLIMIT_AS, "the address-space limit (ulimit -v)"), (RLIMIT_DATA, "the data-segment limit (ulimit -d)")] {
            var limit = rlimit()
            #if canImport(Glibc)
            let code = getrlimit(__rlimit_resource_t(resource.rawValue), &limit)
            #else
            let code = getrlimit(resource, &limit)
            #endif
            guard code == 0, limit.rlim_cur != rlim_t.max else { continue }  // RLIM_INFINITY
            let total = Double(limit.rlim_cur)
            let available = max(0, total - (resource == RLIMIT_AS ? mappedBytes() : 0))
            if available < best.bytes {
                best = (available, "\(format(available)) left under \(name) of \(format(total))")
            }
        }
        return best
    }

    /// Throws a usage error when `bytes` exceeds the limit: `what` names the
    /// buffers, `flag` the option to change.
    package static func check(_ bytes: Double, for what: String, change flag: String) throws {
        let (limit, description) = limit()
        guard bytes > limit else { return }
        throw MTIFError.usage(
            "\(what) needs about \(format(bytes)), more than the \(description)",
            hint: flag)
    }

    /// Bytes as "80.0 GB" (powers of 1000, one decimal).
    package static func format(_ bytes: Double) -> String {
        guard bytes.isFinite else { return "more than 10^308 bytes" }
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes, unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        if unit == 0 { return "\(Int(value)) bytes" }
        if value >= 1e4 { return "more than 10^\(Int(log10(bytes))) bytes" }
        return "\(Double(Int(value * 10)) / 10) \(units[unit])"
    }

    /// The virtual size of this process (/proc/self/statm), 0 when unknown.
    private static func mappedBytes() -> Double {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 127) }
        guard n > 0 else { return 0 }
        let text = String(decoding: buffer[0 ..< n], as: UTF8.self)
        guard let first = text.split(separator: " ").first, let pages = Double(first) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }
}
