/// The `--factors` file of mtif-ihvp: EK-FAC factors in safetensors, so
/// many queries at the same parameters reuse one fit.
///
/// Tensors, per block X (a dense layer's tensor prefix, `shared.0`, `head.s07`):
///   X.input_basis  (I+1, I+1) U_A      X.output_basis (O, O) U_G
///   X.eigenvalues  (O, I+1)   Λ, with ∇²Ω's diagonal, without the damping
/// Metadata: `schema` mtif-ekfac/1, `parameters` (fingerprint of the
/// parameters), `training` (fingerprint of the training examples),
/// `architecture` (JSON), `blocks` (JSON list of the prefixes in parameter
/// order), `tool`.
extension EKFACFactors {
    package static let schemaVersion = "mtif-ekfac/1"

    /// Where the factors were computed: a file is reused only at the same.
    package struct Provenance: Equatable, Sendable {
        package var parameters: String
        package var training: String
        package var architecture: Architecture

        package init(parameters: String, training: String, architecture: Architecture) {
            self.parameters = parameters
            self.training = training
            self.architecture = architecture
        }
    }

    package func write(to path: String, provenance: Provenance) throws {
        var tensors: [SafeTensor] = []
        for block in blocks {
            tensors.append(SafeTensor(name: block.name + ".input_basis", dtype: .f64, shape: [block.width, block.width], data: block.inputBasis))
            tensors.append(SafeTensor(name: block.name + ".output_basis", dtype: .f64, shape: [block.outputs, block.outputs], data: block.outputBasis))
            tensors.append(SafeTensor(name: block.name + ".eigenvalues", dtype: .f64, shape: [block.outputs, block.width], data: block.eigenvalues))
        }
        let metadata: [String: String] = [
            "schema": Self.schemaVersion,
            "tool": "mtif-ihvp",
            "parameters": provenance.parameters,
            "training": provenance.training,
            "architecture": try JSONText.encode(provenance.architecture),
            "blocks": try JSONText.encode(blocks.map(\.name)),
            "curvature": "ggn",
        ]
        let out = try OutputFile(path: path)
        try SafeTensors.write(tensors, metadata: metadata, to: out)
        try out.commit()
    }

    /// Reads factors for `model`, refusing a file computed at other
    /// parameters, data or architecture (exit 2, naming the file).
    package static func read(path: String, model: any MultitaskModel, provenance: Provenance) throws -> EKFACFactors {
        let file = try SafeTensorsFile(path: path)
        let name = file.file
        let hint = "delete \(name) (or give another --factors path) to recompute the factors at these parameters"
        guard file.metadata["schema"] == schemaVersion else {
            throw MTIFError.input(
                "not an EK-FAC factors file (schema \(file.metadata["schema"].map(JSONValue.quoted) ?? "missing"), expected \(JSONValue.quoted(schemaVersion)))",
                file: name, field: "schema", hint: hint)
        }
        let architecture: Architecture = try JSONText.decode(file.metadata["architecture"], field: "architecture", file: name)
        guard architecture == provenance.architecture else {
            throw MTIFError.input("the factors were computed for another architecture than the parameters'", file: name, field: "architecture", hint: hint)
        }
        guard file.metadata["parameters"] == provenance.parameters else {
            throw MTIFError.input(
                "the factors were computed at other parameters (fingerprint \(file.metadata["parameters"] ?? "missing"), the parameters have \(provenance.parameters))",
                file: name, field: "parameters", hint: hint)
        }
        guard file.metadata["training"] == provenance.training else {
            throw MTIFError.input(
                "the factors were computed on another training set (fingerprint \(file.metadata["training"] ?? "missing"), the training examples have \(provenance.training))",
                file: name, field: "training", hint: hint)
        }
        guard let layered = model as? any LayeredModel else {
            throw MTIFError.usage("--solver ekfac needs a hard- or soft-sharing model of dense layers")
        }
        var factors = try EKFACFactors(skeleton: model.layout, layered)
        for b in factors.blocks.indices {
            let block = factors.blocks[b]
            func tensor(_ suffix: String, _ shape: [Int]) throws -> [Double] {
                let key = block.name + suffix
                guard let found = file.shape(key) else {
                    throw MTIFError.input("missing tensor \(JSONValue.quoted(key))", file: name, hint: hint)
                }
                guard found == shape else {
                    throw MTIFError.input("tensor \(JSONValue.quoted(key)) has shape \(found), expected \(shape)", file: name, hint: hint)
                }
                let values = try file.doubles(key)
                guard values.allSatisfy(\.isFinite) else {
                    throw MTIFError.input("tensor \(JSONValue.quoted(key)) holds a NaN or Inf", file: name, hint: hint)
                }
                return values
            }
            factors.blocks[b].inputBasis = try tensor(".input_basis", [block.width, block.width])
            factors.blocks[b].outputBasis = try tensor(".output_basis", [block.outputs, block.outputs])
            factors.blocks[b].eigenvalues = try tensor(".eigenvalues", [block.outputs, block.width])
            guard factors.blocks[b].eigenvalues.allSatisfy({ $0 >= 0 }) else {
                throw MTIFError.input("tensor \(JSONValue.quoted(block.name + ".eigenvalues")) holds a negative eigenvalue", file: name, hint: hint)
            }
        }
        return factors
    }
}
