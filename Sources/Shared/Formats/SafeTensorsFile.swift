/// A whole safetensors file in memory, validated on opening.
package struct SafeTensorsFile: Sendable {
    package let metadata: [String: String]
    /// Entries in data-offset order.
    package let entries: [SafeTensorsEntry]
    /// How errors name the file.
    package let file: String
    private let bytes: [UInt8]
    private let dataStart: Int
    private let index: [String: Int]

    /// Reads and validates the file at `path` (`-` = standard input).
    package init(path: String) throws {
        let input = try InputFile(path: path)
        try self.init(bytes: input.readAll(), name: input.displayName)
    }

    package init(bytes: [UInt8], name: String) throws {
        guard bytes.count >= 8 else {
            throw MTIFError.input("\(bytes.count) bytes is too short for a safetensors file", file: name,
                                  hint: SafeTensors.rerunHint)
        }
        let parsed = try bytes.withUnsafeBytes { raw in
            let n = try SafeTensors.headerLength(raw.baseAddress!, fileSize: bytes.count, file: name)
            return (n, try SafeTensors.parseHeader(
                UnsafeRawBufferPointer(rebasing: raw[8..<(8 + n)]), dataSize: bytes.count - 8 - n, file: name))
        }
        self.bytes = bytes
        file = name
        dataStart = 8 + parsed.0
        metadata = parsed.1.metadata
        entries = parsed.1.entries
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// Tensor names in data-offset order.
    package var names: [String] { entries.map(\.name) }

    package func entry(_ name: String) -> SafeTensorsEntry? {
        index[name].map { entries[$0] }
    }

    package func shape(_ name: String) -> [Int]? { entry(name)?.shape }

    package func dtype(_ name: String) -> SafeTensorsDType? { entry(name)?.dtype }

    /// The values of a tensor in row-major order, F32 widened to Double.
    package func doubles(_ name: String) throws -> [Double] {
        guard let entry = entry(name) else {
            throw MTIFError.input("no tensor named \(JSONValue.quoted(name)) (it has \(names.map { JSONValue.quoted($0) }.joined(separator: ", ")))",
                                  file: file, hint: "check the file was made by the tool and version this one expects")
        }
        let count = entry.count
        return [Double](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { raw in
                SafeTensors.decode(raw.baseAddress! + dataStart + entry.begin, count: count, dtype: entry.dtype, into: out.baseAddress!)
            }
            initialized = count
        }
    }
}
