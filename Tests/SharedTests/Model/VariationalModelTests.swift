import Foundation
import Testing
import Shared

/// The VMTL objective's hand-written gradient against central finite
/// differences in Double, with the reparameterisation and Gumbel noise held
/// fixed (so J is a deterministic function of u) and the detached prior read
/// from a fixed copy of the parameters.
@Suite struct VariationalModelTests {
    static func architecture(_ activation: Activation, hidden: [Int], loss: LossKind) -> Architecture {
        Architecture(sharing: .hard, inputs: 4, hidden: hidden, activation: activation, loss: loss,
                     tasks: ["a", "b", "c"], outputs: loss == .crossEntropy ? [3, 3, 3] : [1, 1, 1],
                     lambda: 0.1, coupling: 0)
    }

    static let cases: [(String, Architecture)] = [
        ("tanh [5] cross-entropy", architecture(.tanh, hidden: [5], loss: .crossEntropy)),
        ("softplus [5, 4] cross-entropy", architecture(.softplus, hidden: [5, 4], loss: .crossEntropy)),
        ("tanh [5] squared error", architecture(.tanh, hidden: [5], loss: .squaredError)),
    ]

    /// A random point: means and trunk N(0, 0.36), ρ around −1, logits N(0, 1).
    static func point(_ model: VariationalModel, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var u = (0 ..< model.count).map { _ in 0.6 * rng.normal() }
        for i in model.rhoStart ..< model.logitStart { u[i] = -1 + 0.5 * rng.normal() }
        return u
    }

    @Test(arguments: 0 ..< 3)
    func gradientMatchesFiniteDifferences(_ index: Int) throws {
        let (name, architecture) = Self.cases[index]
        let model = try VariationalModel(architecture)
        let batch = ModelCase(name: name, architecture: architecture, rows: [5, 4, 3]).batch()
        var rng = SplitMix64(seed: 3)
        let noise = VariationalNoise(samples: 2, rows: batch.count, outputs: architecture.outputs[0], tasks: 3, rng: &rng)
        let u = Self.point(model, seed: 7)
        let prior = Self.point(model, seed: 8)  // the detached posteriors: a different point, held fixed
        let weights = [0.3, 0.5, 0.2]
        for temperature in [1.0, 0.5] {
            var gradient: [Double] = []
            let terms = model.objective(u, batch, noise: noise, temperature: temperature, klWeights: weights, prior: prior, gradient: &gradient)
            let numeric = finiteDifferenceGradient(u) { w in
                var unused: [Double] = []
                return model.objective(w, batch, noise: noise, temperature: temperature, klWeights: weights, prior: prior, gradient: &unused).value
            }
            let error = relativeError(gradient, numeric)
            print("FD vmtl gradient \(name) τ=\(temperature): \(String(format: "%.2e", error))")
            #expect(error <= 1e-6, "\(name) τ=\(temperature): \(error)")
            // Each block on its own, so a small block's error cannot hide in a large one's norm.
            let blocks: [(String, Range<Int>)] = [
                ("trunk", model.mean.layout.sharedRange), ("means", model.mean.layout.sharedRange.upperBound ..< model.rhoStart),
                ("rho", model.rhoStart ..< model.logitStart), ("logits", model.logitStart ..< model.count),
            ]
            for (block, range) in blocks {
                let e = relativeError(Array(gradient[range]), Array(numeric[range]))
                #expect(e <= 1e-6, "\(name) τ=\(temperature) \(block): \(e)")
                #expect(norm(Array(gradient[range])) > 1e-4, "\(block): a zero gradient would pass trivially")
            }
            #expect(terms.kl.allSatisfy { $0 > 0 })
        }
    }

    /// J = expected loss + Σ β_k KL_k + (λ/2)‖(γ, μ)‖², and the KL of a task whose
    /// posterior equals the only other task's (one-hot weights, τ → 0) is 0.
    @Test func termsAddUpAndKLVanishesAtItsPrior() throws {
        let architecture = Self.architecture(.tanh, hidden: [5], loss: .crossEntropy)
        var two = architecture
        two.tasks = ["a", "b"]; two.outputs = [3, 3]
        let model = try VariationalModel(two)
        let batch = ModelCase(name: "two", architecture: two, rows: [4, 3]).batch()
        var rng = SplitMix64(seed: 1)
        let noise = VariationalNoise(samples: 3, rows: batch.count, outputs: 3, tasks: 2, rng: &rng)
        var u = Self.point(model, seed: 2)
        // Task b's posterior = task a's: with one other task, π = 1 and p_b = q_a exactly.
        let e = model.headSize
        for j in 0 ..< e {
            u[model.headOffset(1) + j] = u[model.headOffset(0) + j]
            u[model.rhoStart + e + j] = u[model.rhoStart + j]
        }
        var g: [Double] = []
        let terms = model.objective(u, batch, noise: noise, temperature: 0.7, klWeights: [0.4, 0.6], prior: u, gradient: &g)
        #expect(abs(terms.kl[1]) < 1e-6, "KL(q ‖ q) = \(terms.kl[1])")
        let means = Array(u[0 ..< model.mean.layout.count])  // (γ, μ)
        let ridge = 0.5 * two.lambda * means.reduce(0) { $0 + $1 * $1 }
        let total = terms.expectedLoss + 0.4 * terms.kl[0] + 0.6 * terms.kl[1] + ridge
        #expect(abs(terms.value - total) <= 1e-12 * max(1, abs(total)))
        #expect(model.mixtureWeights(u) == [[0, 1], [1, 0]])
    }

    @Test func refusesHeadsOfDifferentShapes() throws {
        var architecture = Self.architecture(.tanh, hidden: [5], loss: .crossEntropy)
        architecture.outputs = [2, 3, 3]
        #expect(throws: MTIFError.self) { try VariationalModel(architecture) }
    }
}
