import Foundation

/// Variational multitask learning (VMTL; Shen et al., "Variational Multi-Task
/// Learning with Gumbel-Softmax Priors", NeurIPS 2021) on our hard-sharing
/// architecture: a deterministic shared trunk γ and, per task, a Gaussian
/// posterior over the linear head whose prior is built from the other
/// tasks' posteriors with learned mixture weights.
///
/// Dimensions: N rows, D inputs, H_1..H_L trunk widths (H = H_L), K tasks,
/// C outputs (the same for every task: priors mix heads entrywise),
/// E = C·H + C entries of a head, S reparameterised samples.
///
///   trunk     h = a_L,  a_l = φ(a_{l-1} W_lᵀ + b_l),  a_0 = x          h (N, H)
///   posterior q_k(Θ_k) = Π_j N(μ_kj, σ_kj²),  σ = softplus(ρ)          Θ_k = (W_k (C, H), b_k (C))
///   outputs   o = h W_kᵀ + b_k for Θ_k ~ q_k, sampled by local
///             reparameterisation: o = m + √v ⊙ ε, ε ~ N(0, I),
///             m = h μ_Wᵀ + μ_b, v = (h ⊙ h) σ_W²ᵀ + σ_b²                 m, v, o (n_k, C)
///   prior     π_k = softmax((log softmax(a_k) + g_k) / τ) over l ≠ k     a_k (K−1) logits, g_k Gumbel(0, 1)
///             p_k = N(M_k, V_k), the Gaussian with the mean and variance of
///             the mixture Σ_{l≠k} π_kl q̄_l (moment matching):
///             M_k = Σ π_kl μ̄_l,  V_k = Σ π_kl (σ̄_l² + μ̄_l²) − M_k² (+ 1e-10)
///             q̄_l: the other tasks' posteriors, detached (held fixed) as in VMTL
///   objective J = Σ_i weight_i (1/S) Σ_s ℓ(o_si, y_i) + Σ_k β_k KL(q_k ‖ p_k) + (λ/2)‖(γ, μ)‖²
///             weight_i = 1/n_k and β_k = β/n_k give Σ_k (1/n_k)·(−ELBO_k)
///
/// The reference implementation's prior variance is Σ π_kl² σ̄_l², the
/// variance of Σ π_kl Θ_l for independent Θ_l; it shrinks as π spreads out
/// (by 1/(K − 1) for uniform weights), which drags every posterior variance
/// down with it. The moment-matched Gaussian equals q̄_l when π is one-hot,
/// as the Gumbel-softmax sample becomes when τ → 0, and never falls below
/// the variances it mixes. The shared representation stays deterministic.
/// The ridge covers the trunk and the head means, as in hard sharing (the
/// reference applies weight decay to every parameter): a prior made of the
/// other tasks' posteriors pulls the heads together but does not bound their
/// common scale, and without it the heads grow and the trunk overfits
/// (on the synthetic default, test accuracy 0.62 against 0.72 with it).
///
/// The flat vector u (U) is the hard-sharing parameter vector (γ, μ_1 … μ_K)
/// in its own layout (so the posterior means form a hard-sharing parameter
/// file), then ρ_1 … ρ_K (each E, laid out like its head), then the logits
/// a_1 … a_K (each K − 1, over the other tasks in task order).
package struct VariationalModel: Sendable {
    package let architecture: Architecture
    /// The model of the posterior means: trunk γ and heads μ_k.
    package let mean: HardSharingModel
    /// U.
    package let count: Int
    /// E.
    package let headSize: Int
    /// Offset of ρ_1; task k's ρ block starts at rhoStart + k·E.
    package let rhoStart: Int
    /// Offset of a_1; task k's logits start at logitStart + k·(K − 1).
    package let logitStart: Int
    let trunk: [DenseLayer]
    /// (K) each task's head (the offsets of μ_W and μ_b).
    let heads: [DenseLayer]

    /// Variance floor of the prior, so that log V is finite when every mixed posterior is sharp.
    static let varianceFloor = 1e-10

    package init(_ architecture: Architecture) throws {
        guard architecture.sharing == .hard else {
            throw MTIFError.usage("vmtl builds on hard sharing (a shared trunk and a head per task)")
        }
        guard architecture.tasks.count >= 2 else {
            throw MTIFError.usage("vmtl needs at least two tasks: each task's prior mixes the other tasks' posteriors")
        }
        guard Set(architecture.outputs).count == 1 else {
            let detail = zip(architecture.tasks, architecture.outputs).map { "\($0.0)=\($0.1)" }.prefix(6).joined(separator: ", ")
            throw MTIFError.input(
                "vmtl mixes the other tasks' heads entry by entry, so every task needs the same number of outputs (\(detail))",
                hint: "use --sharing hard, or give every task the same label set")
        }
        mean = try HardSharingModel(architecture)
        self.architecture = architecture
        let networks = mean.networks
        trunk = Array(networks[0].dropLast())
        heads = networks.map { $0.last! }
        let k = architecture.tasks.count
        headSize = heads[0].outputs * heads[0].inputs + heads[0].outputs
        rhoStart = mean.layout.count
        logitStart = rhoStart + k * headSize
        count = logitStart + k * (k - 1)
    }

    package var taskCount: Int { heads.count }

    /// Offset of task k's head block (μ_W then μ_b, E entries) in u.
    package func headOffset(_ k: Int) -> Int { heads[k].weight }

    /// u from hard-sharing parameters (γ, μ): ρ = `rho` everywhere, logits 0.
    package func initial(fromMeans means: [Double], rho: Double) -> [Double] {
        precondition(means.count == mean.layout.count)
        return means + [Double](repeating: rho, count: taskCount * headSize)
            + [Double](repeating: 0, count: taskCount * (taskCount - 1))
    }

    /// (γ, μ): the posterior means, a hard-sharing parameter vector.
    package func means(_ u: [Double]) -> [Double] { Array(u[0 ..< mean.layout.count]) }

    /// (K, K) α[k][l] = softmax(a_k)_l, the expected mixture weight of task l
    /// in task k's prior (the distribution the Gumbel-softmax samples relax);
    /// 0 on the diagonal.
    package func mixtureWeights(_ u: [Double]) -> [[Double]] {
        let k = taskCount
        return (0 ..< k).map { t in
            let logits = Array(u[logitStart + t * (k - 1) ..< logitStart + (t + 1) * (k - 1)])
            let p = softmax(logits)
            var row = [Double](repeating: 0, count: k)
            for (j, l) in otherTasks(t).enumerated() { row[l] = p[j] }
            return row
        }
    }

    /// The tasks whose posteriors make task k's prior, in logit order.
    func otherTasks(_ k: Int) -> [Int] { (0 ..< taskCount).filter { $0 != k } }

    /// The terms of one evaluation of the objective.
    package struct Terms: Sendable {
        /// J.
        package var value: Double
        /// Σ_i weight_i (1/S) Σ_s ℓ(o_si, y_i): the expected loss term.
        package var expectedLoss: Double
        /// (K) KL(q_k ‖ p_k), unweighted.
        package var kl: [Double]
    }

    /// J(u) with the reparameterisation and Gumbel noise of `noise`, the
    /// temperature τ, KL weights β_k (K), and the detached posteriors read
    /// from `prior` (U; pass u itself when training: its values, not its
    /// gradient). Overwrites `gradient` (U) with ∂J/∂u, the prior held fixed.
    package func objective(
        _ u: [Double], _ batch: TaskBatch, noise: VariationalNoise, temperature: Double, klWeights: [Double],
        prior: [Double], gradient: inout [Double]
    ) -> Terms {
        precondition(u.count == count && prior.count == count, "u has \(u.count) entries, the model \(count)")
        precondition(batch.features == architecture.inputs && batch.taskRanges.count == taskCount)
        precondition(noise.rows == batch.count && noise.outputs == heads[0].outputs && klWeights.count == taskCount)
        precondition(temperature > 0)
        var g = [Double](repeating: 0, count: count)
        var terms = Terms(value: 0, expectedLoss: 0, kl: [])
        g.withUnsafeMutableBufferPointer { g in
            u.withUnsafeBufferPointer { u in
                prior.withUnsafeBufferPointer { prior in
                    terms.expectedLoss = batch.x.withUnsafeBufferPointer { x in
                        noise.withOutputNoise { eps in dataTerm(u.baseAddress!, x.baseAddress!, batch, eps, noise.samples, g.baseAddress!) }
                    }
                    terms.kl = klTerms(u.baseAddress!, prior.baseAddress!, noise, temperature, klWeights, g.baseAddress!)
                    // (λ/2)‖(γ, μ)‖²: the trunk and the head means, as hard sharing's ridge.
                    let lambda = architecture.lambda, means = mean.layout.count
                    axpy(g.baseAddress!, lambda, u.baseAddress!, count: means)
                    terms.value = terms.expectedLoss + 0.5 * lambda * dot(u.baseAddress!, u.baseAddress!, count: means)
                }
            }
        }
        for k in 0 ..< taskCount { terms.value += klWeights[k] * terms.kl[k] }
        gradient = g
        return terms
    }

    /// Σ_i weight_i (1/S) Σ_s ℓ(o_si, y_i); adds its gradient into g (U):
    /// trunk, head means and head ρ.
    private func dataTerm(
        _ u: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ batch: TaskBatch,
        _ noise: UnsafePointer<Double>, _ samples: Int, _ g: UnsafeMutablePointer<Double>
    ) -> Double {
        let n = batch.count, c = heads[0].outputs, h = heads[0].inputs
        let loss = architecture.loss
        return Scratch.with { scratch in
            // Trunk forward: z_l, a_l (N, O_l).
            var z: [UnsafeMutablePointer<Double>] = [], a: [UnsafeMutablePointer<Double>] = []
            var input = x  // a_0 (N, D)
            for layer in trunk {
                let zl = scratch.uninitialized(n * layer.outputs), al = scratch.uninitialized(n * layer.outputs)
                denseForward(zl, input, u + layer.weight, u + layer.bias, n: n, inputs: layer.inputs, outputs: layer.outputs)
                layer.activation.forward(al, zl, count: n * layer.outputs)
                z.append(zl); a.append(al)
                input = UnsafePointer(al)
            }
            let top = UnsafePointer(a[trunk.count - 1])           // h (N, H)
            let squared = scratch.uninitialized(n * h)            // h ⊙ h (N, H)
            for i in 0 ..< n * h { squared[i] = top[i] * top[i] }
            let dTop = scratch.zeros(n * h)                       // ∂J/∂h (N, H)
            var total = 0.0
            for (k, rows) in batch.taskRanges.enumerated() where !rows.isEmpty {
                let head = heads[k], nk = rows.count
                let rho = u + rhoStart + k * headSize             // (E) ρ_W (C, H) then ρ_b (C)
                let variance = scratch.uninitialized(headSize)    // (E) σ²
                for j in 0 ..< headSize { let s = softplus(rho[j]); variance[j] = s * s }
                let hk = top + rows.lowerBound * h, h2k = UnsafePointer(squared + rows.lowerBound * h)
                let m = scratch.uninitialized(nk * c), v = scratch.uninitialized(nk * c)  // (n_k, C)
                denseForward(m, hk, u + head.weight, u + head.bias, n: nk, inputs: h, outputs: c)
                denseForward(v, h2k, variance, variance + c * h, n: nk, inputs: h, outputs: c)
                let dm = scratch.zeros(nk * c), dv = scratch.zeros(nk * c)  // (n_k, C)
                let o = scratch.uninitialized(c), dO = scratch.uninitialized(c)
                for r in 0 ..< nk {
                    let i = rows.lowerBound + r
                    let scale = batch.weights[i] / Double(samples)
                    for s in 0 ..< samples {
                        let eps = noise + (s * n + i) * c  // (C) ε of sample s, row i
                        for j in 0 ..< c { o[j] = m[r * c + j] + v[r * c + j].squareRoot() * eps[j] }
                        total.addProduct(scale, loss.evaluate(o, outputs: c, target: batch.targets[i], scale: scale, gradient: dO))
                        for j in 0 ..< c {
                            dm[r * c + j] += dO[j]
                            dv[r * c + j] += dO[j] * eps[j] / (2 * v[r * c + j].squareRoot())
                        }
                    }
                }
                // Means: dμ_W += dmᵀ h, dμ_b += Σ dm, dh += dm μ_W.
                denseBackward(dTop + rows.lowerBound * h, g + head.weight, g + head.bias, dm, hk, u + head.weight,
                              n: nk, inputs: h, outputs: c)
                // Variances: dσ²_W += dvᵀ (h ⊙ h), dσ²_b += Σ dv, dh += 2h ⊙ (dv σ²_W).
                let dVariance = scratch.zeros(headSize)
                let dSquared = scratch.zeros(nk * h)
                denseBackward(dSquared, dVariance, dVariance + c * h, dv, h2k, variance, n: nk, inputs: h, outputs: c)
                let dh = dTop + rows.lowerBound * h
                for i in 0 ..< nk * h { dh[i].addProduct(2 * hk[i], dSquared[i]) }
                // σ² = softplus(ρ)²: dσ²/dρ = 2 softplus(ρ) sigmoid(ρ).
                let dRho = g + rhoStart + k * headSize
                for j in 0 ..< headSize { dRho[j] += dVariance[j] * 2 * softplus(rho[j]) * sigmoid(rho[j]) }
            }
            // Trunk backward from ∂J/∂h.
            var dz = scratch.zeros(n * trunk.last!.outputs)
            trunk.last!.activation.backward(dz, dTop, z[trunk.count - 1], a[trunk.count - 1], count: n * trunk.last!.outputs)
            for l in stride(from: trunk.count - 1, through: 0, by: -1) {
                let layer = trunk[l]
                let below = l > 0 ? UnsafePointer(a[l - 1]) : x
                let da = l > 0 ? scratch.zeros(n * layer.inputs) : nil
                denseBackward(da, g + layer.weight, g + layer.bias, dz, below, u + layer.weight,
                              n: n, inputs: layer.inputs, outputs: layer.outputs)
                guard let da else { break }
                let dzBelow = scratch.zeros(n * layer.inputs)
                trunk[l - 1].activation.backward(dzBelow, da, z[l - 1], a[l - 1], count: n * layer.inputs)
                dz = dzBelow
            }
            return total
        }
    }
}

/// softplus(x) = log(1 + eˣ), without overflow.
@inline(__always)
func softplus(_ x: Double) -> Double {
    x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
}
