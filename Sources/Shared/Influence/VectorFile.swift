/// Files of vectors in parameter space, one row per example or per target, with
/// who each row belongs to: per-example gradients, per-task mean gradients (the
/// right-hand sides ∇V_k), and inverse-HVP solutions s = (H + δI)⁻¹ v.
///
/// On disk: safetensors with one 2-D tensor `rows` (R, W), written and read as
/// a stream, and metadata (JSON text values):
///
///   schema        "mtif/1"
///   kind          "gradients" | "mean_gradients" | "inverse_hvp"
///   layout        "dense": W = P, the flat parameter order;
///                 "task_block": W = S + max_k |θ_k| with S = |γ| under hard
///                 sharing and 0 under soft sharing (ℓ never touches the centre);
///                 a row of task l holds (γ, θ_l), zero-padded. A per-example
///                 gradient is zero everywhere else, so nothing is lost.
///   rows          [[id, task], …]; for per-target rows id is the target's name
///   parameters    fingerprint of the parameter file the rows were computed at
///   data          fingerprint of the examples the rows came from
///   architecture, tasks   copied from the parameter file (rebuilds the layout)
///   + diagnostics of the producing tool (solver, damping, iterations, …)
package enum VectorKind: String, Sendable, Codable {
    case gradients
    case meanGradients = "mean_gradients"
    case inverseHVP = "inverse_hvp"
}

package enum RowLayout: String, Sendable, Codable {
    case dense
    case taskBlock = "task_block"
}

package struct RowIdentity: Equatable, Sendable {
    package var id: String
    package var task: String

    package init(id: String, task: String) {
        self.id = id
        self.task = task
    }
}

extension RowIdentity {
    /// `[[id, task], …]` as JSON text, written directly: a gradient file of a
    /// million examples has a million of them, too many for a JSONValue tree.
    static func serialize(_ rows: [RowIdentity]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(rows.count * 24 + 2)
        for (i, row) in rows.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "["))
            JSONValue.appendQuoted(row.id, to: &bytes)
            bytes.append(UInt8(ascii: ","))
            JSONValue.appendQuoted(row.task, to: &bytes)
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads `[[id, task], …]` with the strict scanner, one pair at a time.
    static func parse(_ text: String, file: String) throws -> [RowIdentity] {
        var text = text
        return try text.withUTF8 { utf8 throws(MTIFError) -> [RowIdentity] in
            var scanner = JSONScanner(UnsafeRawBufferPointer(utf8))
            var rows: [RowIdentity] = []
            func malformed(_ detail: String) -> MTIFError {
                MTIFError.input("\(file): metadata \"rows\" is malformed (entry \(rows.count): \(detail))")
            }
            do throws(JSONSyntaxError) {
                scanner.skipWhitespace()
                try scanner.expect(UInt8(ascii: "["), "'['")
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: "]") {
                    scanner.position += 1
                } else {
                    while true {
                        scanner.skipWhitespace()
                        try scanner.expect(UInt8(ascii: "["), "'[' starting [id, task]")
                        scanner.skipWhitespace()
                        guard scanner.peek == UInt8(ascii: "\"") else { throw scanner.error("expected the id string") }
                        let id = try scanner.parseString()
                        scanner.skipWhitespace()
                        try scanner.expect(UInt8(ascii: ","), "','")
                        scanner.skipWhitespace()
                        guard scanner.peek == UInt8(ascii: "\"") else { throw scanner.error("expected the task string") }
                        let task = try scanner.parseString()
                        scanner.skipWhitespace()
                        try scanner.expect(UInt8(ascii: "]"), "']' ending [id, task]")
                        rows.append(RowIdentity(id: id, task: task))
                        scanner.skipWhitespace()
                        if scanner.peek == UInt8(ascii: ",") { scanner.position += 1; continue }
                        try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
                        break
                    }
                }
                scanner.skipWhitespace()
                guard scanner.position == scanner.end else { throw scanner.error("trailing text") }
            } catch {
                throw malformed(error.message)
            }
            return rows
        }
    }
}

/// Maps between full parameter vectors (P) and task-block rows (W).
package struct TaskBlockLayout: Sendable {
    /// S: leading γ entries kept in every row (|γ| for hard sharing, 0 for soft).
    package let sharedCount: Int
    /// (K) θ_k ranges in the full vector.
    package let taskRanges: [Range<Int>]
    /// W = S + max_k |θ_k|.
    package let width: Int
    package let parameterCount: Int

    package init(architecture: Architecture, layout: ParameterLayout) {
        precondition(layout.sharedRange.lowerBound == 0)
        sharedCount = architecture.sharing == .hard ? layout.sharedRange.count : 0
        taskRanges = layout.taskRanges
        width = sharedCount + (taskRanges.map(\.count).max() ?? 0)
        parameterCount = layout.count
    }

    /// Where a model writes per-example gradients to produce these rows directly.
    package var columns: GradientColumns {
        .taskBlocks(sharedCount: sharedCount, taskRanges: taskRanges, width: width)
    }

    /// Writes the full vector of a row of task `task` into `dense` (P), zeros elsewhere.
    package func expand(_ row: UnsafePointer<Double>, task: Int, into dense: UnsafeMutablePointer<Double>) {
        dense.update(repeating: 0, count: parameterCount)
        dense.update(from: row, count: sharedCount)
        let range = taskRanges[task]
        (dense + range.lowerBound).update(from: row + sharedCount, count: range.count)
    }

    /// Writes the task-block row of `dense` (P) for task `task` into `row` (W).
    package func compact(_ dense: UnsafePointer<Double>, task: Int, into row: UnsafeMutablePointer<Double>) {
        row.update(repeating: 0, count: width)
        row.update(from: dense, count: sharedCount)
        let range = taskRanges[task]
        (row + sharedCount).update(from: dense + range.lowerBound, count: range.count)
    }
}

/// Everything in a vector file but the numbers.
package struct VectorFileHeader: Sendable {
    package var kind: VectorKind
    package var layout: RowLayout
    package var rows: [RowIdentity]
    package var architecture: Architecture
    package var schema: TaskSchema
    package var parametersFingerprint: String
    package var dataFingerprint: String
    /// Tool-specific metadata (tool, arguments, diagnostics), JSON text values.
    package var extra: [String: String]

    package init(
        kind: VectorKind, layout: RowLayout, rows: [RowIdentity], architecture: Architecture, schema: TaskSchema,
        parametersFingerprint: String, dataFingerprint: String, extra: [String: String] = [:]
    ) {
        self.kind = kind
        self.layout = layout
        self.rows = rows
        self.architecture = architecture
        self.schema = schema
        self.parametersFingerprint = parametersFingerprint
        self.dataFingerprint = dataFingerprint
        self.extra = extra
    }

    /// The header for rows computed at the parameters of `parameters`.
    package init(
        kind: VectorKind, layout: RowLayout, rows: [RowIdentity], at parameters: ParameterFile,
        dataFingerprint: String, extra: [String: String] = [:]
    ) {
        self.init(
            kind: kind, layout: layout, rows: rows, architecture: parameters.architecture, schema: parameters.schema,
            parametersFingerprint: parameters.fingerprint, dataFingerprint: dataFingerprint, extra: extra)
    }

    package func model() throws -> any MultitaskModel { try makeModel(architecture) }

    package func blockLayout() throws -> TaskBlockLayout {
        TaskBlockLayout(architecture: architecture, layout: try model().layout)
    }

    /// W: the row width this header's layout implies.
    package func width() throws -> Int {
        switch layout {
        case .dense: return try model().layout.count
        case .taskBlock: return try blockLayout().width
        }
    }

    /// (R) the task index of each row, for task-block expansion.
    package func rowTaskIndices(file: String) throws -> [Int] {
        var index: [String: Int] = [:]
        for (k, name) in architecture.tasks.enumerated() { index[name] = k }
        return try rows.map { row in
            guard let k = index[row.task] else {
                throw MTIFError.input("\(file): row \"\(row.id)\" names task \"\(row.task)\" that the model does not have")
            }
            return k
        }
    }

    fileprivate func metadata() throws -> [String: String] {
        var meta = extra
        meta["schema"] = ParameterFile.schemaVersion
        meta["kind"] = kind.rawValue
        meta["layout"] = layout.rawValue
        meta["rows"] = RowIdentity.serialize(rows)
        meta["parameters"] = parametersFingerprint
        meta["data"] = dataFingerprint
        meta["architecture"] = try JSONText.encode(architecture)
        meta["tasks"] = try JSONText.encode(schema)
        return meta
    }

    fileprivate init(metadata meta: [String: String], file: String) throws {
        try ParameterFile.checkSchemaVersion(meta, file: file, hint: "recompute it with this version of the tools")
        guard let kindText = meta["kind"], let kind = VectorKind(rawValue: kindText) else {
            throw MTIFError.input(
                "\(file): not a gradient or inverse-HVP file (metadata kind is \(meta["kind"].map { "\"\($0)\"" } ?? "missing"))",
                hint: "give a file written by mtif-grad or mtif-ihvp")
        }
        guard let layoutText = meta["layout"], let layout = RowLayout(rawValue: layoutText) else {
            throw MTIFError.input("\(file): metadata \"layout\" is missing or unknown")
        }
        guard let rowsText = meta["rows"] else {
            throw MTIFError.input("\(file): metadata \"rows\" is missing or malformed")
        }
        let rows = try RowIdentity.parse(rowsText, file: file)
        guard let parameters = meta["parameters"], let data = meta["data"] else {
            throw MTIFError.input("\(file): metadata lacks the \"parameters\" or \"data\" fingerprint")
        }
        var extra = meta
        for key in ["schema", "kind", "layout", "rows", "parameters", "data", "architecture", "tasks"] { extra[key] = nil }
        let architecture: Architecture = try JSONText.decode(meta["architecture"], field: "architecture", file: file)
        let schema: TaskSchema = try JSONText.decode(meta["tasks"], field: "tasks", file: file)
        _ = try ParameterFile.checkedModel(architecture, schema: schema, file: file)
        self.init(
            kind: kind, layout: layout, rows: rows, architecture: architecture, schema: schema,
            parametersFingerprint: parameters, dataFingerprint: data, extra: extra)
    }
}

/// Streams rows into a vector file: header first, then rows in order, in
/// bounded memory. `commit()` checks every declared row was written and
/// renames the file into place.
package final class VectorFileWriter {
    package let header: VectorFileHeader
    package let width: Int
    private let output: OutputFile
    private let stream: SafeTensorsStreamWriter

    package init(path: String?, header: VectorFileHeader, dtype: SafeTensorsDType = .f64) throws {
        self.header = header
        width = try header.width()
        output = try OutputFile(path: path)
        stream = try SafeTensorsStreamWriter(
            output: output,
            tensors: [.init(name: "rows", dtype: dtype, shape: [header.rows.count, width])],
            metadata: try header.metadata())
    }

    /// Appends `count` rows, (count, W) row-major.
    package func append(_ rows: UnsafeBufferPointer<Double>) throws {
        precondition(rows.count % width == 0)
        if rows.contains(where: { !$0.isFinite }) {
            throw MTIFError.computation(
                "a \(header.kind.rawValue) row holds a non-finite value (NaN or Inf); nothing was written",
                hint: "check that the model trained without warnings")
        }
        try stream.append(rows)
    }

    package func append(_ rows: [Double]) throws {
        try rows.withUnsafeBufferPointer { try append($0) }
    }

    package func commit() throws {
        try stream.finish()
        try output.commit()
    }
}

/// Reads a vector file as a stream: the header, then rows in order.
package final class VectorFileReader {
    package let header: VectorFileHeader
    package let width: Int
    package let file: String
    private let stream: SafeTensorsStreamReader

    package init(path: String) throws {
        stream = try SafeTensorsStreamReader(path: path)
        file = stream.file
        header = try VectorFileHeader(metadata: stream.metadata, file: stream.file)
        width = try header.width()
        guard let shape = stream.shape("rows"), shape == [header.rows.count, width], stream.names == ["rows"] else {
            throw MTIFError.input(
                "\(file): expected one tensor \"rows\" of shape [\(header.rows.count), \(width)] for its metadata, found \(stream.names.map { "\($0) \(stream.shape($0) ?? [])" }.joined(separator: ", "))",
                hint: "the file is damaged or not from mtif-grad/mtif-ihvp; recompute it")
        }
    }

    /// Reads up to `maxRows` next rows into `rows` ((r, W) row-major); returns r, 0 at the end.
    package func readRows(maxRows: Int, into rows: inout [Double]) throws -> Int {
        try stream.readRows("rows", maxRows: maxRows, into: &rows)
    }

    /// Reads every remaining row as dense P-vectors (R, P), expanding task blocks.
    package func readAllDense() throws -> [Double] {
        let model = try header.model()
        let p = model.layout.count
        // Grown as rows arrive rather than sized from the metadata up front: from
        // a pipe the row count is only a claim until the data is there.
        var all: [Double] = []
        all.reserveCapacity(min(header.rows.count * p, 1 << 24))
        var chunk: [Double] = []
        var done = 0
        let blocks = header.layout == .taskBlock ? try header.blockLayout() : nil
        let tasks = header.layout == .taskBlock ? try header.rowTaskIndices(file: file) : []
        while true {
            let r = try readRows(maxRows: 256, into: &chunk)
            if r == 0 { break }
            all.append(contentsOf: repeatElement(0, count: r * p))
            all.withUnsafeMutableBufferPointer { out in
                chunk.withUnsafeBufferPointer { rows in
                    for i in 0 ..< r {
                        let destination = out.baseAddress! + (done + i) * p
                        let source = rows.baseAddress! + i * width
                        if let blocks {
                            blocks.expand(source, task: tasks[done + i], into: destination)
                        } else {
                            destination.update(from: source, count: p)
                        }
                    }
                }
            }
            done += r
        }
        try stream.finish()
        return all
    }

    package func finish() throws { try stream.finish() }
}

/// Refuses to combine artefacts computed at different parameters, naming both
/// files and what to re-run.
package func requireSameParameters(
    _ a: (file: String, fingerprint: String), _ b: (file: String, fingerprint: String),
    hint: String = "recompute both from the same parameter file"
) throws {
    guard a.fingerprint == b.fingerprint else {
        throw MTIFError.input(
            "\(a.file) was computed at parameters \(a.fingerprint), \(b.file) at \(b.fingerprint)", hint: hint)
    }
}
