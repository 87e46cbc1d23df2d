import Testing
import Shared

/// The parameter file: an exact round trip through safetensors bytes,
/// PyTorch-style tensor names, and strict checks on what it reads back.
@Suite struct ParameterFileTests {
    /// A hard-sharing model over 3 inputs with a trunk of width 4 and two tasks
    /// (2 and 3 classes, the second named), random parameters.
    private func sample() throws -> ParameterFile {
        let architecture = Architecture(
            sharing: .hard, inputs: 3, hidden: [4], activation: .tanh, loss: .crossEntropy,
            tasks: ["t01", "walk"], outputs: [2, 3], lambda: 0.05, coupling: 0)
        let examples = [
            Example(id: "1", task: "t01", x: [0, 0, 0], y: .name("no")),
            Example(id: "2", task: "t01", x: [0, 0, 0], y: .name("yes")),
            Example(id: "3", task: "walk", x: [0, 0, 0], y: .name("fast")),
            Example(id: "4", task: "walk", x: [0, 0, 0], y: .name("slow")),
            Example(id: "5", task: "walk", x: [0, 0, 0], y: .name("medium")),
            Example(id: "6", task: "walk", x: [0, 0, 0], y: .name("slow")),
        ]
        let schema = try TaskSchema.derive(from: examples, file: "train")
        let model = try makeModel(architecture)
        var rng = SplitMix64(seed: 17)
        // Awkward values: they must come back bit for bit.
        var parameters = (0 ..< model.layout.count).map { _ in rng.normal() / 3 }
        parameters[0] = 0.1; parameters[1] = -0.0; parameters[2] = 5e-324; parameters[3] = 1e300
        return ParameterFile(
            architecture: architecture, schema: schema, parameters: parameters,
            metadata: ["tool": "test", "seed": "9", "training": #"{"optimizer":"lbfgs","iterations":3}"#])
    }

    private func reopen(_ bytes: [UInt8]) throws -> ParameterFile {
        try ParameterFile(try SafeTensorsFile(bytes: bytes, name: "p.safetensors"), name: "p.safetensors")
    }

    @Test func roundTripIsExact() throws {
        let original = try sample()
        let bytes = try original.encode()
        let back = try reopen(bytes)
        #expect(back.parameters.map(\.bitPattern) == original.parameters.map(\.bitPattern))
        #expect(back.architecture == original.architecture)
        #expect(back.schema == original.schema)
        #expect(back.schema.tasks.map(\.labels) == [["no", "yes"], ["fast", "medium", "slow"]])
        #expect(back.metadata == original.metadata)
        #expect(back.fingerprint == original.fingerprint)
        // Encoding is deterministic: the same file again, byte for byte.
        #expect(try back.encode() == bytes)
    }

    @Test func tensorsHavePyTorchNamesShapesAndMetadata() throws {
        let original = try sample()
        let file = try SafeTensorsFile(bytes: try original.encode(), name: "p")
        #expect(Set(file.names) == [
            "shared.0.weight", "shared.0.bias", "head.t01.weight", "head.t01.bias", "head.walk.weight", "head.walk.bias",
        ])
        #expect(file.shape("shared.0.weight") == [4, 3])  // (out, in) like nn.Linear.weight
        #expect(file.shape("shared.0.bias") == [4])
        #expect(file.shape("head.t01.weight") == [2, 4])
        #expect(file.shape("head.walk.weight") == [3, 4])
        #expect(file.shape("head.walk.bias") == [3])
        #expect(file.names.allSatisfy { file.dtype($0) == .f64 })
        #expect(try file.doubles("shared.0.weight") == Array(original.parameters[0 ..< 12]))
        let meta = file.metadata
        #expect(meta["schema"] == "mtif/1" && meta["kind"] == "parameters")
        #expect(meta["parameter_order"] ==
            #"["shared.0.weight","shared.0.bias","head.t01.weight","head.t01.bias","head.walk.weight","head.walk.bias"]"#)
        #expect(meta["regularizer"] == #"{"coupling":0,"lambda":0.05}"#)
        #expect(meta["fingerprint"] == original.fingerprint)
        #expect(meta["tasks"]!.contains(#""labels":["fast","medium","slow"]"#))
        #expect(meta["architecture"]!.contains(#""sharing":"hard""#))
        #expect(meta["tool"] == "test" && meta["seed"] == "9")
    }

    /// The file's tensors and metadata, changed by `edit` and written again.
    private func tampered(
        _ edit: (inout [SafeTensor], inout [String: String]) -> Void
    ) throws -> [UInt8] {
        let file = try SafeTensorsFile(bytes: try sample().encode(), name: "p")
        var tensors = try file.names.map { SafeTensor(name: $0, dtype: .f64, shape: file.shape($0)!, data: try file.doubles($0)) }
        var metadata = file.metadata
        edit(&tensors, &metadata)
        return try SafeTensors.encode(tensors, metadata: metadata)
    }

    private func index(_ tensors: [SafeTensor], _ name: String) -> Int { tensors.firstIndex { $0.name == name }! }

    @Test func tamperedFilesAreInputErrorsNamingTheProblem() throws {
        // Untouched, the decode-encode cycle is accepted.
        _ = try reopen(try tampered { _, _ in })

        let wrongShape = try tampered { t, _ in
            let i = index(t, "head.walk.bias")
            t[i] = SafeTensor(name: "head.walk.bias", dtype: .f64, shape: [4], data: [1, 2, 3, 4])
        }
        expectMTIFError(.input, containing: ["p.safetensors", "\"head.walk.bias\"", "shape [4]", "needs [3]"]) {
            _ = try reopen(wrongShape)
        }
        let transposed = try tampered { t, _ in t[index(t, "shared.0.weight")].shape = [3, 4] }
        expectMTIFError(.input, containing: ["\"shared.0.weight\"", "shape [3, 4]", "needs [4, 3]"]) {
            _ = try reopen(transposed)
        }

        let missing = try tampered { t, _ in t.remove(at: index(t, "head.t01.bias")) }
        expectMTIFError(.input, containing: ["p.safetensors", "\"head.t01.bias\" is missing"]) { _ = try reopen(missing) }

        let extra = try tampered { t, _ in t.append(SafeTensor(name: "head.run.bias", dtype: .f64, shape: [2], data: [0, 0])) }
        expectMTIFError(.input, containing: ["unexpected tensor \"head.run.bias\""]) { _ = try reopen(extra) }

        let changed = try tampered { t, _ in t[index(t, "head.walk.weight")].data[5] += 1e-12 }
        expectMTIFError(.input, containing: ["p.safetensors", "do not match the fingerprint"]) { _ = try reopen(changed) }

        let kind = try tampered { _, m in m["kind"] = "scores" }
        expectMTIFError(.input, containing: ["not a parameter file", "kind is \"scores\""]) { _ = try reopen(kind) }
        let noKind = try tampered { _, m in m["kind"] = nil }
        expectMTIFError(.input, containing: ["not a parameter file", "kind is missing"]) { _ = try reopen(noKind) }

        let version = try tampered { _, m in m["schema"] = "mtif/0" }
        expectMTIFError(.input, containing: ["metadata \"schema\" is \"mtif/0\"", "reads \"mtif/1\""]) { _ = try reopen(version) }

        let architecture = try tampered { _, m in m["architecture"] = "{" }
        expectMTIFError(.input, containing: ["metadata \"architecture\" is malformed"]) { _ = try reopen(architecture) }
        let noTasks = try tampered { _, m in m["tasks"] = nil }
        expectMTIFError(.input, containing: ["metadata \"tasks\" is missing"]) { _ = try reopen(noTasks) }
    }
}
