import Foundation
import Testing
import Shared

/// Layouts, construction errors, outputs, losses and initialisation.
@Suite struct ModelTests {
    @Test func hardSharingLayoutFollowsPyTorchNames() throws {
        let c = ModelCase.hard(.tanh, hidden: [5, 4], loss: .crossEntropy)
        let model = try makeModel(c.architecture)
        let layout = model.layout
        #expect(layout.tensors.map(\.name) == [
            "shared.0.weight", "shared.0.bias", "shared.1.weight", "shared.1.bias",
            "head.a.weight", "head.a.bias", "head.b.weight", "head.b.bias", "head.c.weight", "head.c.bias",
        ])
        #expect(layout.tensor(named: "shared.0.weight")?.shape == [5, 4])
        #expect(layout.tensor(named: "shared.1.weight")?.shape == [4, 5])
        #expect(layout.tensor(named: "head.c.weight")?.shape == [4, 4])
        #expect(layout.tensor(named: "head.c.bias")?.shape == [4])
        #expect(layout.sharedRange == 0 ..< (20 + 5 + 20 + 4))
        #expect(layout.taskRanges == [49 ..< 59, 59 ..< 74, 74 ..< 94])
        #expect(layout.count == 94)
    }

    @Test func softSharingLayoutRepeatsTheCentre() throws {
        let c = ModelCase.soft(.tanh, hidden: [5], loss: .crossEntropy)
        let model = try makeModel(c.architecture)
        let layout = model.layout
        #expect(layout.tensors.prefix(4).map(\.name) == ["center.0.weight", "center.0.bias", "center.1.weight", "center.1.bias"])
        #expect(layout.tensors.map(\.name).contains("task.b.1.weight"))
        #expect(layout.tensor(named: "task.c.1.weight")?.shape == [3, 5])
        let g = 5 * 4 + 5 + 3 * 5 + 3
        #expect(layout.sharedRange == 0 ..< g)
        #expect(layout.taskRanges == [g ..< 2 * g, 2 * g ..< 3 * g, 3 * g ..< 4 * g])

        let linear = try makeModel(ModelCase.soft(.identity, hidden: [], loss: .squaredError).architecture)
        #expect(linear.layout.tensors.map(\.name).prefix(2) == ["center.0.weight", "center.0.bias"])
        #expect(linear.layout.tensor(named: "task.a.0.weight")?.shape == [1, 4])
    }

    @Test func softSharingWithUnequalOutputsIsRejected() {
        var architecture = ModelCase.soft(.tanh, hidden: [5], loss: .crossEntropy).architecture
        architecture.outputs = [2, 3, 3]
        #expect(throws: MTIFError.self) { try makeModel(architecture) }
        do {
            _ = try makeModel(architecture)
        } catch let error as MTIFError {
            #expect(error.exitCode == 2)
            #expect(error.message.contains("different numbers of outputs: a has 2, the other 2 have 3"), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func hardSharingWithoutTrunkIsRejected() {
        var architecture = ModelCase.hard(.tanh, hidden: [5], loss: .crossEntropy).architecture
        architecture.hidden = []
        #expect(throws: MTIFError.self) { try makeModel(architecture) }
    }

    @Test(arguments: ModelCase.smooth)
    func lossesOutputsAndObjectiveAgree(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let width = c.architecture.maxOutputs
        let outputs = model.outputs(w, batch)
        let losses = model.perExampleLosses(w, batch)
        #expect(outputs.count == batch.count * width)
        #expect(losses.count == batch.count)
        let taskOf = batch.taskOfRow
        for i in 0 ..< batch.count {
            let ck = c.architecture.outputs[taskOf[i]]
            let o = Array(outputs[i * width ..< i * width + ck])
            #expect(outputs[i * width + ck ..< (i + 1) * width].allSatisfy { $0 == 0 })
            // The loss recomputed from the outputs by its textbook formula.
            let expected: Double
            switch c.architecture.loss {
            case .crossEntropy:
                expected = log(o.map { exp($0) }.reduce(0, +)) - o[Int(batch.targets[i])]
            case .squaredError:
                expected = o.map { ($0 - batch.targets[i]) * ($0 - batch.targets[i]) }.reduce(0, +)
            }
            #expect(abs(losses[i] - expected) <= 1e-12 * max(1, abs(expected)))
        }
        var gradient: [Double] = []
        let plain = model.objective(w, batch, regularized: false, gradient: &gradient)
        let weighted = zip(batch.weights, losses).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(plain - weighted) <= 1e-12 * max(1, abs(weighted)))
        let regularized = model.objective(w, batch, regularized: true, gradient: &gradient)
        #expect(regularized > plain)
    }

    @Test func crossEntropyIsStableForLargeLogits() throws {
        let c = ModelCase.soft(.identity, hidden: [], loss: .crossEntropy)
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model).map { $0 * 400 }
        let losses = model.perExampleLosses(w, batch)
        #expect(losses.allSatisfy { $0.isFinite && $0 >= 0 })
        var gradient: [Double] = []
        _ = model.objective(w, batch, regularized: true, gradient: &gradient)
        #expect(gradient.allSatisfy { $0.isFinite })
    }

    @Test func initialParametersAreDeterministicAndScaled() throws {
        let hard = try makeModel(ModelCase.hard(.tanh, hidden: [64], loss: .crossEntropy).architecture)
        let w = hard.initialParameters(seed: 3)
        #expect(w == hard.initialParameters(seed: 3))
        #expect(w != hard.initialParameters(seed: 4))
        for tensor in hard.layout.tensors {
            let values = w[tensor.range]
            if tensor.shape.count == 1 {
                #expect(values.allSatisfy { $0 == 0 }, "\(tensor.name) bias is zero")
            } else {
                let variance = values.reduce(0) { $0 + $1 * $1 } / Double(values.count)
                let expected = 1 / Double(tensor.shape[1])
                #expect(variance > 0.4 * expected && variance < 2.5 * expected, "\(tensor.name): \(variance)")
            }
        }

        let soft = try makeModel(ModelCase.soft(.tanh, hidden: [5], loss: .squaredError).architecture)
        let s = soft.initialParameters(seed: 3)
        let centre = Array(s[soft.layout.sharedRange])
        #expect(centre.contains { $0 != 0 })
        for range in soft.layout.taskRanges { #expect(Array(s[range]) == centre) }
    }

    /// A large batch takes the parallel GEMM and outer-product paths; results
    /// must match the same rows evaluated in small pieces.
    @Test func largeBatchMatchesSmallBatches() throws {
        var c = ModelCase.hard(.tanh, hidden: [300], loss: .crossEntropy, rows: [900, 700, 400])
        c.architecture.inputs = 40
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = model.initialParameters(seed: 1)
        let p = model.layout.count
        var full: [Double] = []
        model.perExampleGradients(w, batch, into: &full)
        let rows = [0, 1, 899, 900, 1599, 1600, 1999]
        let small = batch.subset(rows)
        var pieces: [Double] = []
        model.perExampleGradients(w, small, into: &pieces)
        for (position, row) in rows.enumerated() {
            let error = relativeError(Array(full[row * p ..< (row + 1) * p]), Array(pieces[position * p ..< (position + 1) * p]))
            #expect(error <= 1e-12, "row \(row): \(error)")
        }
        let v = randomVector(p, seed: 2)
        var hv1: [Double] = [], hv2: [Double] = []
        model.hessianVectorProduct(w, batch, regularized: true, v, into: &hv1)
        model.hessianVectorProduct(w, batch, regularized: true, v, into: &hv2)
        #expect(hv1 == hv2, "HVP is deterministic")
    }
}
