#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A readable byte source: a file path, or standard input for `-`. Reads with
/// plain `read(2)` so pipes (`zcat data.csv.gz | mtif-data …`) and files behave
/// the same; a missing or unreadable file is an input error naming the path.
/// Standard input attached to a terminal is a usage error (exit 2), not a wait.
package final class InputFile {
    /// The path as given, or `-`.
    package let path: String
    /// How errors name this input: the path, or "standard input".
    package let displayName: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    package init(path: String) throws {
        self.path = path
        if path == "-" {
            // Data never comes from a keyboard: waiting for it would look like a hang.
            if isatty(STDIN_FILENO) == 1 {
                throw MTIFError.usage(
                    "expected data on standard input, but it is a terminal",
                    hint: "name the input file, or pipe data in (e.g. mtif-data synth | …); see --help")
            }
            descriptor = STDIN_FILENO
            ownsDescriptor = false
            displayName = "standard input"
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let code = errno
                let hint = code == ENOENT ? "check the path; use - to read standard input" : nil
                throw MTIFError.input("cannot open \(path): \(OutputFile.errorText(code))", hint: hint)
            }
            var status = stat()
            if fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw MTIFError.input("cannot read \(path): it is a directory")
            }
            descriptor = fd
            ownsDescriptor = true
            displayName = path
        }
        enlargePipeBuffer()
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Asks Linux for a 1 MiB pipe buffer when the input is a pipe, so that a
    /// fast reader behind `zcat … |` wakes up once per megabyte rather than once
    /// per 64 KiB. Failure (an unprivileged limit, another system) is harmless.
    private func enlargePipeBuffer() {
        #if os(Linux)
        var status = stat()
        if fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO {
            let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ
            _ = fcntl(descriptor, setPipeSize, Int32(1 << 20))
        }
        #endif
    }

    /// The size in bytes when the input is a regular file, else nil (a pipe or terminal).
    package var regularFileSize: Int? {
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(status.st_size)
    }

    /// Reads up to `count` bytes into `buffer`; returns the number read, 0 at end of input.
    package func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = Glibc.read(descriptor, buffer, count)
            if n >= 0 { return n }
            let code = errno
            if code == EINTR { continue }
            throw MTIFError.io("cannot read \(displayName): \(OutputFile.errorText(code))")
        }
    }

    /// Reads exactly `count` bytes unless the input ends first; returns the number read.
    package func readFully(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var total = 0
        while total < count {
            let n = try read(into: buffer + total, count: count - total)
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// The whole remaining input.
    package func readAll() throws -> [UInt8] {
        var bytes: [UInt8] = []
        if let size = regularFileSize { bytes.reserveCapacity(size + 1) }
        let chunk = 1 << 20
        var filled = 0
        while true {
            if bytes.count - filled < chunk { bytes.append(contentsOf: repeatElement(0, count: chunk)) }
            let n = try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress! + filled, count: $0.count - filled) }
            if n == 0 { break }
            filled += n
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}
