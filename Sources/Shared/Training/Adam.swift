import Foundation

/// Minibatch Adam (Kingma & Ba 2015) for data too large for full-batch L-BFGS.
/// Each step uses the unbiased minibatch estimate of the objective,
/// (N/B) Σ_{i∈batch} weight_i ℓ_i + Ω, so its optimum is the full objective's.
/// Rows are reshuffled every epoch with the seeded generator. Adam does not
/// reach the tight stationarity influence functions need: finish with
/// `mtif-train --init` (L-BFGS) before computing scores.
package struct Adam: Sendable {
    package var learningRate = 1e-3
    package var epochs = 20
    package var batchSize = 256
    package var beta1 = 0.9
    package var beta2 = 0.999
    package var epsilon = 1e-8
    package var seed: UInt64 = 0

    package init() {}

    /// `progress(epoch, mean minibatch objective)` after each epoch.
    package func minimize(
        model: any MultitaskModel, batch: TaskBatch, from start: [Double],
        progress: ((Int, Double) -> Void)? = nil
    ) throws -> (parameters: [Double], steps: Int) {
        let n = batch.count
        let p = start.count
        var w = start
        var m = [Double](repeating: 0, count: p)
        var v = [Double](repeating: 0, count: p)
        var g = [Double](repeating: 0, count: p)
        var rng = SplitMix64(seed: seed, stream: 0xADA)
        var order = Array(0 ..< n)
        var step = 0
        let size = max(1, min(batchSize, n))
        for epoch in 1 ... max(1, epochs) {
            rng.shuffle(&order)
            var total = 0.0
            var batches = 0
            var start = 0
            while start < n {
                let rows = Array(order[start ..< min(start + size, n)])
                start += size
                let scale = Double(n) / Double(rows.count)
                let minibatch = batch.subset(rows, weights: rows.map { batch.weights[$0] * scale })
                let value = model.objective(w, minibatch, regularized: true, gradient: &g)
                try LBFGS.checkFinite(value, g)
                step += 1
                let correction1 = 1 - pow(beta1, Double(step))
                let correction2 = 1 - pow(beta2, Double(step))
                for i in 0 ..< p {
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                    w[i] -= learningRate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
                }
                total += value
                batches += 1
            }
            progress?(epoch, total / Double(batches))
        }
        return (w, step)
    }
}
