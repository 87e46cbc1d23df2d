/// s_k · ∇ℓ(w; z) for K fixed vectors s_k (K, P) and every row z of a batch,
/// ∇ℓ unweighted and without Ω: the fused join's scores before their −1/n_l.
/// A layered model never forms the (n, P) gradients: a dense layer's gradient
/// is dz aᵀ, so s·∇ = Σ_layers dzᵀ (S a + s_b), one product of the layer's
/// inputs with all K weight blocks at once. Each row's dots depend on that
/// row only (fixed summation order), so batches and chunks do not change them.
package struct GradientDots: Sendable {
    /// K.
    package let count: Int
    private let write: @Sendable (TaskBatch, [Int], UnsafeMutablePointer<Double>) -> Void

    init(count: Int, write: @escaping @Sendable (TaskBatch, [Int], UnsafeMutablePointer<Double>) -> Void) {
        self.count = count
        self.write = write
    }

    /// Overwrites out + destination[i]·K with the K dots of batch row i.
    package func callAsFunction(_ batch: TaskBatch, destination: [Int], into out: UnsafeMutablePointer<Double>) {
        precondition(destination.count == batch.count)
        write(batch, destination, out)
    }
}

extension LayeredModel {
    /// Per distinct layer, the K weight blocks stacked (K·O, I) and biases
    /// (K, O) are gathered once; each batch then costs one forward and
    /// backward pass and, per layer, (n, I)·(I, K·O).
    package func gradientDots(_ w: [Double], vectors s: [Double], count k: Int) -> GradientDots {
        let p = layout.count
        precondition(s.count == k * p && w.count == p)
        var stacks: [Int: (weights: [Double], biases: [Double])] = [:]  // by the layer's weight offset
        for layer in networks.joined() where stacks[layer.weight] == nil {
            let (o, i) = (layer.outputs, layer.inputs)
            var weights = [Double](repeating: 0, count: k * o * i)
            var biases = [Double](repeating: 0, count: k * o)
            for t in 0 ..< k {
                weights[t * o * i ..< (t + 1) * o * i] = s[t * p + layer.weight ..< t * p + layer.weight + o * i]
                biases[t * o ..< (t + 1) * o] = s[t * p + layer.bias ..< t * p + layer.bias + o]
            }
            stacks[layer.weight] = (weights, biases)
        }
        let gathered = stacks
        return GradientDots(count: k) { batch, destination, out in
            self.writeGradientDots(w, batch, gathered, count: k, destination: destination, into: out)
        }
    }

    private func writeGradientDots(
        _ w: [Double], _ batch: TaskBatch, _ stacks: [Int: (weights: [Double], biases: [Double])], count k: Int,
        destination: [Int], into out: UnsafeMutablePointer<Double>
    ) {
        forEachChunkOfExampleDeltas(w, batch) { start, trace, dz, scratch in
            let plan = trace.plan
            for i in 0 ..< plan.rows { (out + destination[start + i] * k).update(repeating: 0, count: k) }
            for l in 0 ..< plan.depth {
                for segment in plan.segments[l] {
                    let layer = segment.layer
                    let (n, o) = (segment.rows.count, layer.outputs)
                    let stack = stacks[layer.weight]!
                    let products = scratch.uninitialized(n * k * o)  // (n, K, O): S_k a of each row
                    stack.weights.withUnsafeBufferPointer { weights in
                        gemm(products, ldc: k * o, trace.input(l, segment), lda: layer.inputs,
                             weights.baseAddress!, ldb: layer.inputs, transposeB: true,
                             m: n, n: k * o, k: layer.inputs, accumulate: false)
                    }
                    let first = start + segment.rows.lowerBound
                    let shared = UncheckedSendable((products, dz[l] + segment.offset, out, destination))
                    stack.biases.withUnsafeBufferPointer { biases in
                        let biases = UncheckedSendable(biases.baseAddress!)
                        parallelRanges(n, costPerItem: k * o) { range in
                            let (products, dz, out, destination) = shared.value
                            for j in range {
                                let row = out + destination[first + j] * k, delta = dz + j * o
                                for t in 0 ..< k {
                                    row[t] += dot(delta, products + (j * k + t) * o, count: o)
                                        + dot(delta, biases.value + t * o, count: o)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
