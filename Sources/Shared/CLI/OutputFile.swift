#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered, checked writer on a file descriptor. Every failed `write(2)` is
/// an error: EPIPE becomes `.brokenPipe` (a quiet exit 0), anything else (ENOSPC,
/// EIO) an I/O error naming the destination.
package final class OutputFile {
    private let descriptor: Int32
    private let name: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 16
    /// For `-o FILE`: the temporary path renamed to `finalPath` on `commit()`.
    private let temporaryPath: String?
    private let finalPath: String?
    private var finished = false
    private let ownsDescriptor: Bool

    /// Standard output, or `path` written atomically: a unique temporary file
    /// beside it (`TemporaryFiles`), renamed on commit (inside a tool, when the
    /// whole run has succeeded). `nil` and `-` mean standard output.
    package init(path: String?) throws {
        if let path, path != "-", OutputFile.isSpecialFile(path) || path.hasPrefix("/dev/") || path.hasPrefix("/proc/") {
            // A device or pipe (/dev/null, /dev/stdout, a FIFO): write straight
            // to it. A temporary file renamed over it would replace the device
            // (or the /dev/stdout link), and as root nothing would stop that.
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else {
                throw MTIFError.io("cannot open \(path): \(OutputFile.errorText(errno))")
            }
            descriptor = fd
            name = path
            temporaryPath = nil
            finalPath = nil
            ownsDescriptor = true
        } else if let path, path != "-" {
            var status = stat()
            if stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
                throw MTIFError.io("cannot write \(path): it is a directory", hint: "give a file name")
            }
            let (fd, temporary) = try TemporaryFiles.create(for: path)
            descriptor = fd
            name = path
            temporaryPath = temporary
            finalPath = path
            ownsDescriptor = true
        } else {
            descriptor = STDOUT_FILENO
            name = "standard output"
            temporaryPath = nil
            finalPath = nil
            ownsDescriptor = false
        }
        buffer.reserveCapacity(capacity)
    }

    deinit {
        // An output never committed (an error on the way) must not survive as a truncated file.
        if !finished, let temporaryPath {
            close(descriptor)
            TemporaryFiles.discard(temporaryPath)
        } else if temporaryPath == nil && ownsDescriptor {
            close(descriptor)
        }
    }

    /// True when `path` exists and is not a regular file or directory: a
    /// character or block device, a FIFO or a socket.
    private static func isSpecialFile(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let type = status.st_mode & S_IFMT
        return type == S_IFCHR || type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK
    }

    /// True for standard output attached to a terminal: binary data must not go there.
    package var isTerminal: Bool { temporaryPath == nil && isatty(descriptor) == 1 }

    package func write(_ text: String) throws {
        var text = text
        text.withUTF8 { bytes in buffer.append(contentsOf: bytes) }
        if buffer.count >= capacity { try flush() }
    }

    package func write(bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        }
    }

    package func write(bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write(bytes: $0) }
    }

    package func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, and for a file output syncs it and renames it into place:
    /// at once in library use, at the end of a successful run inside a tool.
    package func commit() throws {
        try flush()
        finished = true
        guard let temporaryPath, let finalPath else { return }
        if fsync(descriptor) != 0 && errno != EINVAL {
            let code = errno
            close(descriptor)
            TemporaryFiles.discard(temporaryPath)
            throw MTIFError.io("cannot write \(name): \(OutputFile.errorText(code))")
        }
        close(descriptor)
        try TemporaryFiles.commit(temporaryPath, to: finalPath)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EPIPE { throw MTIFError(.brokenPipe, "broken pipe") }
                throw MTIFError.io("cannot write \(name): \(OutputFile.errorText(code))")
            }
            offset += written
        }
    }

    package static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
