import Foundation

/// The prior of each task and its KL term: Gumbel-softmax mixture weights
/// over the other tasks, the moment-matched Gaussian of the mixture of their
/// (detached) posteriors, and the closed-form Gaussian KL. Per task k, over
/// the E entries j of a head:
///
///   s = log softmax(a_k),  y = (s + g_k)/τ,  π = softmax(y)                  (K − 1)
///   M_j = Σ_l π_l μ̄_lj,   V_j = Σ_l π_l (σ̄_lj² + (μ̄_lj − M_j)²) + floor
///   KL_k = ½ Σ_j [log V_j − log σ_kj² + σ_kj²/V_j + (μ_kj − M_j)²/V_j − 1]
///
/// Gradients (the prior's μ̄, σ̄ held fixed):
///   ∂KL/∂μ_kj = (μ_kj − M_j)/V_j,   ∂KL/∂σ_kj² = ½ (1/V_j − 1/σ_kj²)
///   ∂KL/∂M_j = −(μ_kj − M_j)/V_j,   ∂KL/∂V_j = ½ (1/V_j − σ_kj²/V_j² − (μ_kj − M_j)²/V_j²)
///   ∂V_j/∂π_l = σ̄_lj² + μ̄_lj² − 2 M_j μ̄_lj,   ∂M_j/∂π_l = μ̄_lj
///   ∂/∂y = π ⊙ (∂/∂π − π·∂/∂π),  ∂/∂s = ∂/∂y / τ,  ∂/∂a = ∂/∂s − softmax(a) Σ ∂/∂s
extension VariationalModel {
    /// (K) KL(q_k ‖ p_k); adds Σ_k β_k ∂KL_k/∂u into g (U) for the head
    /// means, ρ and logits.
    func klTerms(
        _ u: UnsafePointer<Double>, _ prior: UnsafePointer<Double>, _ noise: VariationalNoise, _ temperature: Double,
        _ weights: [Double], _ g: UnsafeMutablePointer<Double>
    ) -> [Double] {
        let k = taskCount, e = headSize
        // (K, E) the detached posteriors: μ̄ and σ̄².
        var priorMean = [Double](repeating: 0, count: k * e), priorVariance = [Double](repeating: 0, count: k * e)
        for l in 0 ..< k {
            for j in 0 ..< e {
                priorMean[l * e + j] = prior[headOffset(l) + j]
                let s = softplus(prior[rhoStart + l * e + j])
                priorVariance[l * e + j] = s * s
            }
        }
        var result = [Double](repeating: 0, count: k)
        var mixtureMean = [Double](repeating: 0, count: e), mixtureVariance = [Double](repeating: 0, count: e)
        var dMean = [Double](repeating: 0, count: e), dVariance = [Double](repeating: 0, count: e)
        for t in 0 ..< k {
            let others = otherTasks(t)
            let logits = u + logitStart + t * (k - 1)
            let gumbel = noise.gumbel(task: t)
            // π = softmax((log softmax(a) + g)/τ).
            let p = softmax((0 ..< k - 1).map { logits[$0] })
            let y = (0 ..< k - 1).map { (log(p[$0]) + gumbel[$0]) / temperature }
            let pi = softmax(y)
            for j in 0 ..< e {
                var m = 0.0
                for (i, l) in others.enumerated() { m.addProduct(pi[i], priorMean[l * e + j]) }
                var v = VariationalModel.varianceFloor
                for (i, l) in others.enumerated() {
                    let d = priorMean[l * e + j] - m
                    v += pi[i] * (priorVariance[l * e + j] + d * d)
                }
                mixtureMean[j] = m
                mixtureVariance[j] = v
            }
            let beta = weights[t]
            let mu = u + headOffset(t), rho = u + rhoStart + t * e
            let dMu = g + headOffset(t), dRho = g + rhoStart + t * e
            var kl = 0.0
            for j in 0 ..< e {
                let s = softplus(rho[j]), variance = s * s
                let m = mixtureMean[j], v = mixtureVariance[j]
                let d = mu[j] - m
                kl += 0.5 * (log(v) - log(variance) + variance / v + d * d / v - 1)
                dMu[j] += beta * d / v
                let dq = beta * 0.5 * (1 / v - 1 / variance)
                dRho[j] += dq * 2 * s * sigmoid(rho[j])
                dMean[j] = -beta * d / v
                dVariance[j] = beta * 0.5 * (1 / v - variance / (v * v) - d * d / (v * v))
            }
            result[t] = kl
            // Back through the moment match to π, then the Gumbel-softmax to the logits.
            var dPi = [Double](repeating: 0, count: k - 1)
            for (i, l) in others.enumerated() {
                var total = 0.0
                for j in 0 ..< e {
                    let mean = priorMean[l * e + j]
                    total += dMean[j] * mean
                    total += dVariance[j] * (priorVariance[l * e + j] + mean * mean - 2 * mixtureMean[j] * mean)
                }
                dPi[i] = total
            }
            var projection = 0.0
            for i in 0 ..< k - 1 { projection.addProduct(pi[i], dPi[i]) }
            let dS = (0 ..< k - 1).map { pi[$0] * (dPi[$0] - projection) / temperature }
            let dSum = dS.reduce(0, +)
            let dLogits = g + logitStart + t * (k - 1)
            for i in 0 ..< k - 1 { dLogits[i] += dS[i] - p[i] * dSum }
        }
        return result
    }
}
