import Foundation

/// A trained model as a safetensors file: one F64 tensor per parameter tensor
/// under its PyTorch-style name (so `safetensors.torch.load_file` opens it) and
/// the structured metadata under `__metadata__`, each value JSON text:
///
///   schema           "mtif/1"
///   kind             "parameters"
///   tool, arguments  producer and its command line
///   architecture     sharing, widths, activation, loss, tasks, outputs, λ, c
///   tasks            per task: name, outputs, labels, n_k (the TaskSchema)
///   parameter_order  the flat order of tensor names
///   regularizer      {"lambda": λ, "coupling": c}
///   training         diagnostics (optimizer, iterations, final ‖∇L‖, converged, …)
///   fingerprint      of the parameter values; later artefacts quote it
///   checksum         of architecture, tasks, parameter_order, regularizer and
///                    fingerprint as stored: an edited n_k or λ is refused
///   inputs           fingerprints of the training set and warm start
package struct ParameterFile: Sendable {
    package static let schemaVersion = "mtif/1"

    package var architecture: Architecture
    package var schema: TaskSchema
    /// (P) in `layout` order.
    package var parameters: [Double]
    /// Extra metadata (training, inputs, tool, arguments, seed), JSON text values.
    package var metadata: [String: String]

    package init(architecture: Architecture, schema: TaskSchema, parameters: [Double], metadata: [String: String]) {
        self.architecture = architecture
        self.schema = schema
        self.parameters = parameters
        self.metadata = metadata
    }

    package var fingerprint: String { Fingerprint.of(parameters) }

    package func encode() throws -> [UInt8] {
        let model = try makeModel(architecture)
        let layout = model.layout
        var meta = metadata
        meta["schema"] = ParameterFile.schemaVersion
        meta["kind"] = "parameters"
        meta["architecture"] = try JSONText.encode(architecture)
        meta["tasks"] = try JSONText.encode(schema)
        meta["parameter_order"] = try JSONText.encode(layout.tensors.map(\.name))
        meta["regularizer"] = try JSONText.encode(["lambda": architecture.lambda, "coupling": architecture.coupling])
        meta["fingerprint"] = fingerprint
        meta["checksum"] = ParameterFile.checksum(meta)
        let tensors = layout.tensors.map { t in
            SafeTensor(name: t.name, dtype: .f64, shape: t.shape, data: Array(parameters[t.range]))
        }
        return try SafeTensors.encode(tensors, metadata: meta)
    }

    /// Writes the file atomically (`path.tmp`, then rename); `-` is stdout.
    package func write(to path: String) throws {
        let out = try OutputFile(path: path)
        if out.isTerminal {
            throw MTIFError.usage("refusing to write binary parameters to a terminal", hint: "give -o FILE or redirect stdout")
        }
        try out.write(bytes: try encode())
        try out.commit()
    }

    package static func read(path: String) throws -> ParameterFile {
        let file = try SafeTensorsFile(path: path)
        return try ParameterFile(file, name: path == "-" ? "standard input" : path)
    }

    package init(_ file: SafeTensorsFile, name: String) throws {
        let meta = file.metadata
        guard meta["kind"] == "parameters" else {
            throw MTIFError.input(
                "\(name): not a parameter file (metadata kind is \(meta["kind"].map { "\"\($0)\"" } ?? "missing"))",
                hint: "give the file written by mtif-train -o")
        }
        try ParameterFile.checkSchemaVersion(meta, file: name, hint: "retrain with this version of mtif-train")
        let architecture: Architecture = try JSONText.decode(meta["architecture"], field: "architecture", file: name)
        let schema: TaskSchema = try JSONText.decode(meta["tasks"], field: "tasks", file: name)
        let model = try ParameterFile.checkedModel(architecture, schema: schema, file: name)
        var parameters = [Double](repeating: 0, count: model.layout.count)
        for tensor in model.layout.tensors {
            guard let shape = file.shape(tensor.name) else {
                throw MTIFError.input(
                    "\(name): tensor \"\(tensor.name)\" is missing for the architecture in its metadata",
                    hint: "the file was written for another architecture; retrain it")
            }
            guard shape == tensor.shape else {
                throw MTIFError.input(
                    "\(name): tensor \"\(tensor.name)\" has shape \(shape), the architecture needs \(tensor.shape)",
                    hint: "the file was written for another architecture; retrain it")
            }
            let values = try file.doubles(tensor.name)
            parameters.replaceSubrange(tensor.range, with: values)
        }
        if file.names.count != model.layout.tensors.count {
            let known = Set(model.layout.tensors.map(\.name))
            let extra = file.names.first { !known.contains($0) } ?? "?"
            throw MTIFError.input("\(name): unexpected tensor \"\(extra)\" for the architecture in its metadata")
        }
        var rest = meta
        if let recorded = meta["checksum"], recorded != ParameterFile.checksum(meta) {
            throw MTIFError.input(
                "\(name): metadata \"checksum\" does not match the architecture, tasks (n_k, classes), regulariser and fingerprint it covers",
                hint: "the metadata was edited or damaged (an edited n_k would scale every score); retrain, or re-import the model")
        }
        for key in ["schema", "kind", "architecture", "tasks", "parameter_order", "regularizer", "fingerprint", "checksum"] {
            rest[key] = nil
        }
        self.init(architecture: architecture, schema: schema, parameters: parameters, metadata: rest)
        if let recorded = meta["fingerprint"], recorded != fingerprint {
            throw MTIFError.input(
                "\(name): parameter values do not match the fingerprint in the metadata",
                hint: "the file was modified or damaged; retrain it")
        }
    }
}

extension ParameterFile {
    /// The metadata that fixes what the numbers mean, as stored: architecture
    /// (λ, c, widths), tasks (n_k, classes), parameter order, regulariser and
    /// the parameters' fingerprint. Files written before it existed have none
    /// and are read as before.
    static let checksummedKeys = ["architecture", "tasks", "parameter_order", "regularizer", "fingerprint"]

    static func checksum(_ meta: [String: String]) -> String {
        var f = Fingerprint()
        for key in checksummedKeys {
            f.add(key)
            f.add(meta[key] ?? "")
        }
        return f.hex
    }

    /// Refuses a file of another schema version: its metadata may mean
    /// something else, so reading on would give wrong numbers, not an error.
    package static func checkSchemaVersion(_ meta: [String: String], file: String, hint: String) throws {
        guard let version = meta["schema"] else {
            throw MTIFError.input(
                "\(file): metadata \"schema\" is missing (expected \"\(schemaVersion)\")",
                hint: "the file was not written by the MTIF tools, or by a version before schemas; \(hint)")
        }
        guard version == schemaVersion else {
            throw MTIFError.input(
                "\(file): metadata \"schema\" is \(JSONValue.quoted(version)), this version of the tools reads \"\(schemaVersion)\"",
                hint: hint)
        }
    }

    /// The model of an architecture read from a file's metadata, after checking
    /// it is one we support and that the task schema beside it describes the
    /// same tasks, outputs and features: the two are written together, so a
    /// mismatch means a damaged or hand-edited file, and trusting the schema's
    /// class counts would index past the heads' outputs.
    package static func checkedModel(_ architecture: Architecture, schema: TaskSchema, file: String) throws -> any MultitaskModel {
        let model: any MultitaskModel
        do { model = try makeModel(architecture) } catch let error as MTIFError {
            throw MTIFError.input("\(file): metadata \"architecture\": \(error.message)",
                                  hint: "the file is damaged or from another tool; retrain it")
        }
        func mismatch(_ what: String) -> MTIFError {
            MTIFError.input("\(file): metadata \"tasks\" does not match \"architecture\": \(what)",
                            hint: "the file is damaged or was edited; retrain it")
        }
        guard schema.taskNames == architecture.tasks else {
            throw mismatch("tasks \(schema.taskNames.prefix(6)) vs \(architecture.tasks.prefix(6))")
        }
        guard schema.features == architecture.inputs else {
            throw mismatch("\(schema.features) features vs \(architecture.inputs) inputs")
        }
        guard schema.loss == architecture.loss else {
            throw mismatch("loss \(schema.loss.rawValue) vs \(architecture.loss.rawValue)")
        }
        for (task, outputs) in zip(schema.tasks, architecture.outputs) {
            guard task.outputs == outputs, task.count >= 0, (task.labels?.count ?? 0) <= outputs else {
                throw mismatch("task \(JSONValue.quoted(task.name)) has \(task.outputs) outputs and \(task.labels?.count ?? 0) class names, its head \(outputs) outputs")
            }
        }
        return model
    }
}

/// Metadata values are JSON text; Foundation's coder is fine off the hot path.
package enum JSONText {
    package static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .throw
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw MTIFError.computation("cannot encode metadata: a value is not finite")
        }
    }

    package static func decode<T: Decodable>(_ text: String?, field: String, file: String) throws -> T {
        guard let text else {
            throw MTIFError.input("\(file): metadata \"\(field)\" is missing")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw MTIFError.input("\(file): metadata \"\(field)\" is malformed: \(describe(error))",
                                  hint: "the file is damaged or from another tool; re-create it")
        } catch {
            throw MTIFError.input("\(file): metadata \"\(field)\" is malformed")
        }
    }

    /// One short line instead of Foundation's multi-part debug description.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key \(JSONValue.quoted(key.stringValue)) at \(path(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context.codingPath))"
        @unknown default:
            return "cannot decode"
        }
    }
}
