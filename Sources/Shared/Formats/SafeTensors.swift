/// safetensors: an 8-byte little-endian u64 header length N, N bytes of JSON
/// header, then the raw little-endian data of every tensor, back to back:
///
///     {"__metadata__":{"schema":"1"},"w":{"dtype":"F64","shape":[2,3],"data_offsets":[0,48]}}
///
/// Written byte for byte the way Python's `safetensors` 0.8 writes it: tensors
/// ordered by dtype (F64 before F32) then by name, header compact JSON padded
/// with spaces to a multiple of 8 bytes, no `__metadata__` key when there is
/// no metadata. Python writes metadata keys in hash-map order (it varies from
/// run to run); we write them sorted by their UTF-8 bytes.

/// The element types this toolkit reads and writes.
package enum SafeTensorsDType: String, Sendable {
    case f64 = "F64"
    case f32 = "F32"

    /// Bytes per element.
    package var size: Int {
        switch self {
        case .f64: return 8
        case .f32: return 4
        }
    }
}

/// A tensor to write: values in row-major order, converted to `dtype` on write.
package struct SafeTensor: Sendable {
    package var name: String
    package var dtype: SafeTensorsDType
    package var shape: [Int]
    /// (product of shape) row-major.
    package var data: [Double]

    package init(name: String, dtype: SafeTensorsDType, shape: [Int], data: [Double]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }
}

/// One tensor entry of a header: name, dtype, shape and its byte range in the data section.
package struct SafeTensorsEntry: Sendable, Equatable {
    package var name: String
    package var dtype: SafeTensorsDType
    package var shape: [Int]
    package var begin: Int
    package var end: Int

    /// Number of elements (1 for a 0-d tensor).
    package var count: Int { shape.reduce(1, *) }
    /// Rows when read as a matrix: the first dimension (1 for a 0-d tensor).
    package var rows: Int { shape.first ?? 1 }
    /// Elements per row: the product of the other dimensions.
    package var columns: Int { shape.dropFirst().reduce(1, *) }
}

package enum SafeTensors {
    /// The largest header accepted, as in the Rust reference implementation.
    package static let maximumHeaderLength = 100_000_000

    static let rerunHint =
        "the file is truncated or was not written by a safetensors writer; re-create it with the tool that made it"

    /// The whole file for `tensors` and `metadata`, byte-identical to Python's
    /// `safetensors.numpy.save` for the same arrays (see the file comment).
    package static func encode(_ tensors: [SafeTensor], metadata: [String: String]) throws -> [UInt8] {
        let ordered = tensors.sorted { a, b in
            if a.dtype != b.dtype { return a.dtype == .f64 }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var declarations: [(String, SafeTensorsDType, [Int])] = []
        for tensor in ordered {
            try checkShape(tensor.name, tensor.shape)
            let count = tensor.shape.reduce(1, *)
            guard count == tensor.data.count else {
                throw MTIFError.computation(
                    "tensor \(JSONValue.quoted(tensor.name)): shape \(tensor.shape) needs \(count) values, given \(tensor.data.count)")
            }
            declarations.append((tensor.name, tensor.dtype, tensor.shape))
        }
        let (header, entries) = try makeHeader(declarations, metadata: metadata)
        let total = entries.last?.end ?? 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + total)
        bytes.append(contentsOf: littleEndianBytes(UInt64(header.count)))
        bytes.append(contentsOf: header)
        for tensor in ordered {
            tensor.data.withUnsafeBufferPointer { appendData($0, dtype: tensor.dtype, to: &bytes) }
        }
        return bytes
    }

    /// Writes `encode(tensors, metadata:)` to an output, refusing a terminal.
    package static func write(_ tensors: [SafeTensor], metadata: [String: String], to output: OutputFile) throws {
        try refuseTerminal(output)
        try output.write(bytes: encode(tensors, metadata: metadata))
    }

    static func refuseTerminal(_ output: OutputFile) throws {
        if output.isTerminal {
            throw MTIFError.usage("refusing to write binary safetensors data to a terminal",
                                  hint: "redirect standard output to a file or a pipe, or use -o FILE")
        }
    }

    static func checkShape(_ name: String, _ shape: [Int]) throws {
        guard !name.isEmpty, name != "__metadata__" else {
            throw MTIFError.computation("invalid tensor name \(JSONValue.quoted(name))")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw MTIFError.computation("tensor \(JSONValue.quoted(name)): negative dimension in shape \(shape)")
        }
    }

    /// The padded header for tensors laid out in the order given, and their entries.
    static func makeHeader(
        _ tensors: [(String, SafeTensorsDType, [Int])], metadata: [String: String]
    ) throws -> ([UInt8], [SafeTensorsEntry]) {
        var seen: Set<String> = []
        var json: [UInt8] = [UInt8(ascii: "{")]
        if !metadata.isEmpty {
            json.append(contentsOf: "\"__metadata__\":{".utf8)
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                JSONValue.appendQuoted(key, to: &json)
                json.append(UInt8(ascii: ":"))
                JSONValue.appendQuoted(metadata[key]!, to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        var entries: [SafeTensorsEntry] = []
        var offset = 0
        for (name, dtype, shape) in tensors {
            try checkShape(name, shape)
            guard seen.insert(name).inserted else {
                throw MTIFError.computation("tensor \(JSONValue.quoted(name)) declared twice")
            }
            let size = shape.reduce(1, *) * dtype.size
            let entry = SafeTensorsEntry(name: name, dtype: dtype, shape: shape, begin: offset, end: offset + size)
            offset += size
            entries.append(entry)
            if json.count > 1 { json.append(UInt8(ascii: ",")) }
            JSONValue.appendQuoted(name, to: &json)
            json.append(contentsOf: ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[".utf8)
            json.append(contentsOf: shape.map(String.init).joined(separator: ",").utf8)
            json.append(contentsOf: "],\"data_offsets\":[\(entry.begin),\(entry.end)]}".utf8)
        }
        json.append(UInt8(ascii: "}"))
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        return (json, entries)
    }

    static func littleEndianBytes(_ v: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
    }

    /// Appends values as little-endian `dtype` elements.
    static func appendData(_ values: UnsafeBufferPointer<Double>, dtype: SafeTensorsDType, to bytes: inout [UInt8]) {
        if dtype == .f64 && 1.littleEndian == 1 {
            bytes.append(contentsOf: UnsafeRawBufferPointer(values))
            return
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: values.count * dtype.size))
        bytes.withUnsafeMutableBytes { raw in
            let out = raw.baseAddress! + start
            switch dtype {
            case .f64:
                for (i, v) in values.enumerated() {
                    out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                }
            case .f32:
                for (i, v) in values.enumerated() {
                    out.storeBytes(of: Float(v).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
        }
    }

    /// Widens little-endian `dtype` elements to Doubles.
    static func decode(_ raw: UnsafeRawPointer, count: Int, dtype: SafeTensorsDType, into out: UnsafeMutablePointer<Double>) {
        switch dtype {
        case .f64:
            for i in 0..<count {
                out[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
            }
        case .f32:
            for i in 0..<count {
                out[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
            }
        }
    }

    /// The header length from the first 8 bytes, checked against the limit and,
    /// when known, the file size.
    static func headerLength(_ prefix: UnsafeRawPointer, fileSize: Int?, file: String) throws -> Int {
        let n = UInt64(littleEndian: prefix.loadUnaligned(as: UInt64.self))
        guard n <= UInt64(maximumHeaderLength) else {
            throw MTIFError.input("header length \(n) is larger than the \(maximumHeaderLength)-byte limit",
                                  file: file, hint: rerunHint)
        }
        if let fileSize, Int(n) > fileSize - 8 {
            throw MTIFError.input("header length \(n) runs past the end of the \(fileSize)-byte file",
                                  file: file, hint: rerunHint)
        }
        return Int(n)
    }

    /// Parses and validates a header: metadata string → string; every tensor a
    /// known dtype, a non-negative shape and `data_offsets` matching shape × size;
    /// tensors contiguous from 0 without gaps or overlap; and when `dataSize` is
    /// known, the data section exactly as long as declared. Entries come back in
    /// offset order.
    static func parseHeader(
        _ header: UnsafeRawBufferPointer, dataSize: Int?, file: String
    ) throws -> (metadata: [String: String], entries: [SafeTensorsEntry]) {
        func fail(_ message: String) -> MTIFError {
            MTIFError.input(message, file: file, hint: rerunHint)
        }
        let root: JSONValue
        do throws(JSONSyntaxError) { root = try JSONValue.parse(header) } catch {
            throw fail("header is not valid JSON: \(error.description)")
        }
        guard case .object(let members) = root else { throw fail("header is not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw fail("__metadata__ is not an object") }
                for (key, v) in pairs {
                    guard case .string(let s) = v else {
                        throw fail("__metadata__ key \(JSONValue.quoted(key)) is not a string")
                    }
                    metadata[key] = s
                }
                continue
            }
            let tensor = "tensor \(JSONValue.quoted(name))"
            guard case .object(let fields) = value else { throw fail("\(tensor): entry is not an object") }
            for (key, _) in fields where key != "dtype" && key != "shape" && key != "data_offsets" {
                throw fail("\(tensor): unexpected key \(JSONValue.quoted(key))")
            }
            guard let dtypeName = value["dtype"]?.string else { throw fail("\(tensor): missing or non-string dtype") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                let known = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "I64", "U64",
                             "F8_E5M2", "F8_E4M3"]
                throw fail(known.contains(dtypeName)
                    ? "\(tensor): dtype \(dtypeName) is not supported (only F64 and F32)"
                    : "\(tensor): unknown dtype \(JSONValue.quoted(dtypeName))")
            }
            guard let shapeValues = value["shape"]?.array else { throw fail("\(tensor): missing or non-array shape") }
            var shape: [Int] = []
            var count = 1
            for d in shapeValues {
                guard let k = d.int, k >= 0 else { throw fail("\(tensor): shape \(describe(value["shape"]!)) has a dimension that is not a non-negative integer") }
                let (product, overflow) = count.multipliedReportingOverflow(by: k)
                guard !overflow, product <= Int(Int32.max) * 1024 else { throw fail("\(tensor): shape is too large") }
                count = product
                shape.append(k)
            }
            guard let offsets = value["data_offsets"]?.array, offsets.count == 2,
                  let begin = offsets[0].int, let end = offsets[1].int, begin >= 0, end >= begin else {
                throw fail("\(tensor): data_offsets must be [begin, end] with 0 <= begin <= end")
            }
            guard end - begin == count * dtype.size else {
                throw fail("\(tensor): data_offsets [\(begin), \(end)] span \(end - begin) bytes, but shape \(shape) of \(dtype.rawValue) needs \(count * dtype.size)")
            }
            entries.append(SafeTensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        var previous: String?
        for entry in entries {
            if entry.begin < expected {
                throw fail("tensor \(JSONValue.quoted(entry.name)): data overlaps tensor \(JSONValue.quoted(previous ?? ""))")
            }
            if entry.begin > expected {
                throw fail("tensor \(JSONValue.quoted(entry.name)): gap of \(entry.begin - expected) bytes before its data")
            }
            expected = entry.end
            previous = entry.name
        }
        if let dataSize {
            if dataSize < expected {
                let cut = entries.first { $0.end > dataSize }?.name ?? ""
                throw fail("data section has \(dataSize) bytes but the header declares \(expected): tensor \(JSONValue.quoted(cut)) is truncated")
            }
            if dataSize > expected {
                throw fail("\(dataSize - expected) trailing bytes after the last tensor")
            }
        }
        return (metadata, entries)
    }

    private static func describe(_ value: JSONValue) -> String {
        (try? value.serialized()) ?? "?"
    }
}
