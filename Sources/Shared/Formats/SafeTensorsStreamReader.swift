/// Reads a safetensors file or pipe in bounded memory: the header up front,
/// then rows of tensors in data-offset order (a tensor's first dimension are
/// its rows). Reading a later tensor skips what is left of earlier ones;
/// going back is an error. `finish()` checks nothing follows the last tensor.
package final class SafeTensorsStreamReader {
    package let metadata: [String: String]
    /// Entries in data-offset order.
    package let entries: [SafeTensorsEntry]
    package let file: String
    private let input: InputFile
    private let index: [String: Int]
    /// Bytes of the data section consumed so far.
    private var position = 0
    private var scratch: UnsafeMutableRawPointer
    private var scratchSize = 0

    package init(path: String) throws {
        let input = try InputFile(path: path)
        self.input = input
        file = input.displayName
        let fileSize = input.regularFileSize
        var prefix: UInt64 = 0
        let got = try withUnsafeMutableBytes(of: &prefix) { try input.readFully(into: $0.baseAddress!, count: 8) }
        guard got == 8 else {
            throw MTIFError.input("\(got) bytes is too short for a safetensors file", file: file, hint: SafeTensors.rerunHint)
        }
        let n = try withUnsafeBytes(of: &prefix) { try SafeTensors.headerLength($0.baseAddress!, fileSize: fileSize, file: input.displayName) }
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: max(n, 1), alignment: 8)
        defer { header.deallocate() }
        guard try input.readFully(into: header.baseAddress!, count: n) == n else {
            throw MTIFError.input("the input ends inside the \(n)-byte header", file: file, hint: SafeTensors.rerunHint)
        }
        let parsed = try SafeTensors.parseHeader(
            UnsafeRawBufferPointer(rebasing: header[0..<n]), dataSize: fileSize.map { $0 - 8 - n }, file: file)
        metadata = parsed.metadata
        entries = parsed.entries
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
        scratchSize = 1 << 20
        scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchSize, alignment: 16)
    }

    deinit { scratch.deallocate() }

    package var names: [String] { entries.map(\.name) }

    package func entry(_ name: String) -> SafeTensorsEntry? { index[name].map { entries[$0] } }

    package func shape(_ name: String) -> [Int]? { entry(name)?.shape }

    package func dtype(_ name: String) -> SafeTensorsDType? { entry(name)?.dtype }

    /// Reads up to `maxRows` next rows of tensor `name` into `rows`, replacing
    /// its contents: (r, columns) row-major. Returns r, 0 once the tensor is done.
    package func readRows(_ name: String, maxRows: Int, into rows: inout [Double]) throws -> Int {
        guard let k = index[name] else {
            throw MTIFError.input("no tensor named \(JSONValue.quoted(name))", file: file,
                                  hint: "check the file was made by the tool and version this one expects")
        }
        let entry = entries[k]
        if position < entry.begin {
            try skip(entry.begin - position, tensor: entry.name)
        } else if position > entry.end {
            throw MTIFError.computation("\(file): tensor \(JSONValue.quoted(name)) was passed already: a stream is read in file order")
        }
        let rowBytes = entry.columns * entry.dtype.size
        let remainingRows = rowBytes == 0 ? 0 : (entry.end - position) / rowBytes
        let r = min(max(maxRows, 1), remainingRows)
        guard r > 0 else {
            rows.removeAll(keepingCapacity: true)
            return 0
        }
        let byteCount = r * rowBytes
        let count = r * entry.columns
        let dtype = entry.dtype
        if dtype == .f64 && 1.littleEndian == 1 && byteCount <= 1 << 28 {
            // The file's bytes are the values: read them in place. (Bounded, so
            // a forged size still ends as "truncated" in readGrowing below.)
            if rows.count != count { rows = [Double](repeating: 0, count: count) }
            try rows.withUnsafeMutableBytes { try readExactly(byteCount, into: $0.baseAddress!, tensor: entry.name) }
            return r
        }
        try readGrowing(byteCount, tensor: entry.name)
        if rows.count != count { rows = [Double](repeating: 0, count: count) }
        let source = scratch
        rows.withUnsafeMutableBufferPointer { SafeTensors.decode(source, count: count, dtype: dtype, into: $0.baseAddress!) }
        return r
    }

    /// Reads the whole of tensor `name` (for the small tensors of a stream).
    package func doubles(_ name: String) throws -> [Double] {
        guard let entry = entry(name) else {
            throw MTIFError.input("no tensor named \(JSONValue.quoted(name))", file: file)
        }
        var all: [Double] = []
        all.reserveCapacity(entry.count)
        var chunk: [Double] = []
        while try readRows(name, maxRows: 4096, into: &chunk) > 0 { all.append(contentsOf: chunk) }
        return all
    }

    /// Consumes whatever is left of the declared data and checks the input ends there.
    package func finish() throws {
        let total = entries.last?.end ?? 0
        if position < total { try skip(total - position, tensor: entries.last { $0.end > position }?.name ?? "") }
        var extra: UInt8 = 0
        if try input.read(into: &extra, count: 1) != 0 {
            throw MTIFError.input("trailing bytes after the last tensor", file: file, hint: SafeTensors.rerunHint)
        }
    }

    private func skip(_ count: Int, tensor: String) throws {
        var left = count
        while left > 0 {
            let n = min(left, scratchSize)
            try readExactly(n, into: scratch, tensor: tensor)
            left -= n
        }
    }

    /// Reads `count` bytes into `scratch`, growing it at most to twice what has
    /// arrived: from a pipe the header's sizes are only a claim, and a forged
    /// one-row tensor of a terabyte must end as "truncated", not as a failed
    /// allocation.
    private func readGrowing(_ count: Int, tensor: String) throws {
        var got = 0
        while got < count {
            let target = min(count, max(scratchSize, 2 * got, 1 << 20))
            if target > scratchSize {
                let grown = UnsafeMutableRawPointer.allocate(byteCount: target, alignment: 16)
                grown.copyMemory(from: scratch, byteCount: got)
                scratch.deallocate()
                scratch = grown
                scratchSize = target
            }
            let want = target - got
            let n = try input.readFully(into: scratch + got, count: want)
            got += n
            position += n
            guard n == want else {
                throw MTIFError.input("the data ends inside tensor \(JSONValue.quoted(tensor)) (truncated)",
                                      file: file, hint: SafeTensors.rerunHint)
            }
        }
    }

    private func readExactly(_ count: Int, into destination: UnsafeMutableRawPointer, tensor: String) throws {
        let got = try input.readFully(into: destination, count: count)
        position += got
        guard got == count else {
            throw MTIFError.input("the data ends inside tensor \(JSONValue.quoted(tensor)) (truncated)",
                                  file: file, hint: SafeTensors.rerunHint)
        }
    }
}
