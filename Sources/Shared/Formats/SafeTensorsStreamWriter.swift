/// Writes a safetensors file whose tensors are too large to hold at once: the
/// tensors (names, dtypes, shapes) and metadata are declared up front, the
/// header is written, then each tensor's values are appended in row-major
/// order, tensor after tensor, in chunks of any size. Offsets follow the
/// declaration order.
package final class SafeTensorsStreamWriter {
    package struct Declaration: Sendable {
        package var name: String
        package var dtype: SafeTensorsDType
        package var shape: [Int]

        package init(name: String, dtype: SafeTensorsDType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
    }

    private let output: OutputFile
    private let entries: [SafeTensorsEntry]
    private var current = 0
    /// Values of `entries[current]` written so far.
    private var written = 0
    private var scratch: [UInt8] = []

    /// Writes the header for `tensors` to `output` (refusing a terminal).
    package init(output: OutputFile, tensors: [Declaration], metadata: [String: String]) throws {
        try SafeTensors.refuseTerminal(output)
        self.output = output
        let (header, entries) = try SafeTensors.makeHeader(tensors.map { ($0.name, $0.dtype, $0.shape) }, metadata: metadata)
        self.entries = entries
        try output.write(bytes: SafeTensors.littleEndianBytes(UInt64(header.count)))
        try output.write(bytes: header)
        skipFinished()
    }

    private func skipFinished() {
        while current < entries.count && written == entries[current].count {
            current += 1
            written = 0
        }
    }

    /// The tensor the next values go to, or nil when all are complete.
    package var currentTensor: String? { current < entries.count ? entries[current].name : nil }

    /// Appends values to the current tensor (moving on to the next when it is
    /// full). A chunk may not run past the end of the current tensor.
    package func append(_ values: UnsafeBufferPointer<Double>) throws {
        guard values.count > 0 else { return }
        guard current < entries.count else {
            throw MTIFError.computation("safetensors stream: \(values.count) values appended after every declared tensor was complete")
        }
        let entry = entries[current]
        guard written + values.count <= entry.count else {
            throw MTIFError.computation(
                "safetensors stream: tensor \(JSONValue.quoted(entry.name)) holds \(entry.count) values, \(written + values.count) appended")
        }
        if entry.dtype == .f64 && 1.littleEndian == 1 {
            try output.write(bytes: UnsafeRawBufferPointer(values))  // already the file's bytes
        } else {
            scratch.removeAll(keepingCapacity: true)
            SafeTensors.appendData(values, dtype: entry.dtype, to: &scratch)
            try output.write(bytes: scratch)
        }
        written += values.count
        skipFinished()
    }

    package func append(_ values: [Double]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Checks every declared tensor was written in full and flushes (the caller
    /// still commits the output).
    package func finish() throws {
        skipFinished()
        if current < entries.count {
            let entry = entries[current]
            throw MTIFError.computation(
                "safetensors stream: tensor \(JSONValue.quoted(entry.name)) got \(written) of its \(entry.count) values")
        }
        try output.flush()
    }
}
