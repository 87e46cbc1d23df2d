import Foundation
import Shared
import Testing

/// A hard-sharing MLP trained in PyTorch (float64) by
/// examples/pytorch/train_export.py, with the MTIF scores torch computed from
/// its exact Hessian: committed in Tests/CLITests/PyTorch (README there).
/// `mtif-train --import` turns the model into a parameter file, and our
/// pipeline must give torch's scores to 1e-8 relative. No Python runs here.
@Suite struct PyTorchImportCLITests {
    static let fixture = Shell.repositoryRoot.appendingPathComponent("Tests/CLITests/PyTorch").path
    /// The settings the fixture was written with (PyTorch/README.md).
    static let flags = "--hidden 5 --activation tanh --lambda 0.05"

    @Test func importedModelGivesTorchsScores() throws {
        let sh = try Shell()
        let f = PyTorchImportCLITests.fixture
        let result = try sh.succeed("""
            mtif-train \(PyTorchImportCLITests.flags) --import '\(f)/model.safetensors' '\(f)/train.ndjson' -o params.safetensors 2> import.txt
            cat import.txt >&2
            mtif-grad -q --mean-by-task params.safetensors '\(f)/val.ndjson' -o rhs.safetensors
            mtif-grad -q params.safetensors '\(f)/train.ndjson' -o grads.safetensors
            mtif-ihvp -q --solver exact --damping 0.01 params.safetensors '\(f)/train.ndjson' rhs.safetensors -o ihvp.safetensors
            mtif-influence -q ihvp.safetensors grads.safetensors > scores.ndjson
            """)
        // Trained to a stationary point in torch: no warning, and said so.
        #expect(!result.stderr.contains("warning"), "\(result.dump)")
        #expect(result.stderr.contains("stationary under our objective"), "\(result.dump)")

        let ours = try PyTorchImportCLITests.scores(sh.read("scores.ndjson"))
        let torch = try PyTorchImportCLITests.scores(String(contentsOfFile: f + "/torch-scores.ndjson", encoding: .utf8))
        #expect(ours.count == torch.count && ours.count > 0)
        var worst = 0.0
        for (key, expected) in torch {
            let got = try #require(ours[key], "no score for \(key)")
            let relative = abs(got - expected) / max(abs(expected), 1e-300)
            worst = max(worst, relative)
            #expect(relative <= 1e-8, "\(key): ours \(got), torch \(expected), relative \(relative)")
        }
        print("PyTorch fixture: \(torch.count) scores, max relative error \(worst)")
        // The imported parameters are torch's values, bit for bit.
        let imported = try ParameterFile.read(path: sh.path("params.safetensors"))
        let model = try SafeTensorsFile(path: f + "/model.safetensors")
        for tensor in try makeModel(imported.architecture).layout.tensors {
            #expect(Array(imported.parameters[tensor.range]) == (try model.doubles(tensor.name)), "\(tensor.name)")
        }
        #expect(imported.metadata["training"]?.contains("\"optimizer\":\"import\"") == true)
    }

    /// The same model under another λ is not stationary: a warning naming
    /// ‖∇L‖ and --init, and polishing with --init removes it.
    @Test func nonStationaryImportWarnsAndPolishes() throws {
        let sh = try Shell()
        let f = PyTorchImportCLITests.fixture
        let imported = try sh.succeed("mtif-train --hidden 5 --lambda 0.2 --import '\(f)/model.safetensors' '\(f)/train.ndjson' -o p.safetensors")
        #expect(imported.stderr.contains("warning: \(f)/model.safetensors is not a stationary point of our objective"), "\(imported.dump)")
        #expect(imported.stderr.contains("mtif-train --init p.safetensors"), "\(imported.dump)")
        let downstream = try sh.succeed("mtif-grad p.safetensors '\(f)/train.ndjson' -o g.safetensors; mtif-grad --mean-by-task -q p.safetensors '\(f)/val.ndjson' -o r.safetensors; mtif-ihvp p.safetensors '\(f)/train.ndjson' r.safetensors -o i.safetensors; mtif-influence i.safetensors g.safetensors > /dev/null")
        #expect(downstream.stderr.contains("far from a stationary point"), "\(downstream.dump)")
        let polished = try sh.succeed("mtif-train --hidden 5 --lambda 0.2 --init p.safetensors '\(f)/train.ndjson' -o q.safetensors")
        #expect(!polished.stderr.contains("warning"), "\(polished.dump)")
    }

    /// (id, target) → score from score records.
    static func scores(_ text: String) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for record in try Shell.records(text) where record["type"] as? String == "score" {
            let id = record["id"] as! String
            for (target, value) in record["scores"] as! [String: Any] {
                result[id + " → " + target] = (value as! NSNumber).doubleValue
            }
        }
        return result
    }
}
