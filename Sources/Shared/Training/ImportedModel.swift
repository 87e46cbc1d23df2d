/// A model trained elsewhere (PyTorch, `safetensors.torch.save_file`) turned
/// into a parameter file (`mtif-train --import MODEL.safetensors`).
///
/// The file holds one tensor per parameter tensor under our names and PyTorch's
/// shapes: `shared.<l>.weight` (out, in) and `shared.<l>.bias` (out) for the
/// trunk's layers l = 0, 1, …, `head.<task>.weight` and `head.<task>.bias` for
/// each task (soft sharing: `center.<l>.…` and `task.<task>.<l>.…`), F64 or
/// F32. The architecture and λ come from mtif-train's flags, the tasks, class
/// counts and n_k from TRAIN, as in training: the result is what mtif-train
/// would have written had it stopped at these values.
package struct ImportedModel {
    /// (P) the values in `layout` order.
    package var parameters: [Double]

    /// Reads `path` for `layout`; a missing, misshapen or extra tensor is an
    /// input error naming it and what the architecture expects.
    package init(path: String, layout: ParameterLayout, architecture: Architecture) throws {
        let file = try SafeTensorsFile(path: path)
        let name = displayName(path)
        let flags = "--sharing \(architecture.sharing.rawValue) --hidden \(architecture.hidden.map(String.init).joined(separator: ",")) and the tasks of TRAIN"
        var values = [Double](repeating: 0, count: layout.count)
        for tensor in layout.tensors {
            guard let shape = file.shape(tensor.name) else {
                let present = file.names.prefix(4).map { "\"\($0)\"" }.joined(separator: ", ")
                throw MTIFError.input(
                    "\(name): tensor \"\(tensor.name)\" \(tensor.shape) is missing (the file has \(present)\(file.names.count > 4 ? ", …" : ""))",
                    hint: "name the tensors as our format does (shared.0.weight, …, head.<task>.weight) and match \(flags)")
            }
            guard shape == tensor.shape else {
                throw MTIFError.input(
                    "\(name): tensor \"\(tensor.name)\" has shape \(shape), \(flags) need \(tensor.shape)",
                    hint: "give the --hidden widths and --activation the model was trained with")
            }
            let data = try file.doubles(tensor.name)
            if let bad = data.firstIndex(where: { !$0.isFinite }) {
                throw MTIFError.input("\(name): tensor \"\(tensor.name)\" element \(bad) is \(data[bad])")
            }
            values.replaceSubrange(tensor.range, with: data)
        }
        let known = Set(layout.tensors.map(\.name))
        if let extra = file.names.first(where: { !known.contains($0) }) {
            throw MTIFError.input(
                "\(name): tensor \"\(extra)\" is not part of the model (\(flags))",
                hint: "save only the model's parameters (its state_dict), under our names")
        }
        parameters = values
    }
}

extension TrainingReport {
    /// The record of an imported model: no iterations, L and ‖∇L‖ measured
    /// here. `initialGradientNorm` is ‖∇L‖ at our own initialisation, so the
    /// stationarity tests downstream use the same scale as for a model we trained.
    static func imported(objective: Double, gradientNorm: Double, initialGradientNorm: Double, tolerance: Double) -> TrainingReport {
        TrainingReport(
            optimizer: "import", iterations: 0, evaluations: 1, objective: objective, gradientNorm: gradientNorm,
            initialGradientNorm: initialGradientNorm, tolerance: tolerance,
            converged: gradientNorm <= tolerance * max(1, initialGradientNorm), stop: "imported")
    }
}
