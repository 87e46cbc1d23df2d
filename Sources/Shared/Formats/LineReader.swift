#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams the lines of a file or of standard input (`-`) in bounded memory:
/// `read(2)` in chunks of at least 1 MiB, each line handed out as a view into
/// the buffer without its `\n` (or `\r\n`), with its 1-based number. A UTF-8
/// byte-order mark at the start of the input is dropped. A last line without a
/// newline is still a line; the newline ending the input does not start one.
///
///     let lines = try LineReader(path: "train.ndjson")
///     while let line = try lines.next() { … lines.lineNumber … }
package final class LineReader {
    package let input: InputFile
    /// The 1-based number of the line last returned by `next()` (0 before the first).
    package private(set) var lineNumber = 0
    /// (capacity) bytes; [start, end) not yet handed out.
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    /// Bytes in [start, scanned) are known to hold no newline.
    private var scanned = 0
    private var atEnd = false
    private var current = UnsafeRawBufferPointer(start: nil, count: 0)

    package static let chunkSize = 1 << 20

    package init(path: String) throws {
        input = try InputFile(path: path)
        capacity = LineReader.chunkSize * 2
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// "standard input" or the path: how errors name this input.
    package var displayName: String { input.displayName }

    /// The line last returned by `next()`, valid until the next call.
    package var currentLine: UnsafeRawBufferPointer { current }

    /// The next line, valid until the next call, or nil at the end of the input.
    package func next() throws -> UnsafeRawBufferPointer? {
        while true {
            if scanned < end, let hit = memchr(buffer + scanned, 0x0A, end - scanned) {
                let newline = buffer.distance(to: UnsafeMutableRawPointer(hit))
                return emit(upTo: newline, consumed: newline + 1)
            }
            scanned = end
            if atEnd {
                guard start < end else { return nil }
                return emit(upTo: end, consumed: end)
            }
            try fill()
        }
    }

    private func emit(upTo lineEnd: Int, consumed: Int) -> UnsafeRawBufferPointer {
        var lineStart = start
        var stop = lineEnd
        if stop > lineStart && buffer.load(fromByteOffset: stop - 1, as: UInt8.self) == 0x0D { stop -= 1 }
        lineNumber += 1
        if lineNumber == 1 && stop - lineStart >= 3
            && buffer.load(fromByteOffset: lineStart, as: UInt8.self) == 0xEF
            && buffer.load(fromByteOffset: lineStart + 1, as: UInt8.self) == 0xBB
            && buffer.load(fromByteOffset: lineStart + 2, as: UInt8.self) == 0xBF {
            lineStart += 3
        }
        start = consumed
        scanned = consumed
        current = UnsafeRawBufferPointer(start: buffer + lineStart, count: stop - lineStart)
        return current
    }

    /// Moves the unread tail to the front (growing the buffer for a very long
    /// line) and reads another chunk.
    private func fill() throws {
        if start > 0 {
            let pending = end - start
            if pending > 0 { buffer.copyMemory(from: buffer + start, byteCount: pending) }
            scanned -= start
            end = pending
            start = 0
        }
        if capacity - end < LineReader.chunkSize {
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
            grown.copyMemory(from: buffer, byteCount: end)
            buffer.deallocate()
            buffer = grown
            capacity *= 2
        }
        let n = try input.read(into: buffer + end, count: capacity - end)
        if n == 0 { atEnd = true } else { end += n }
    }
}
