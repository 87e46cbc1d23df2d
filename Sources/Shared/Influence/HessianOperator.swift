import Foundation

/// Dimensions used throughout Influence/:
///   N training rows, B minibatch rows, P parameters, R right-hand sides
///   (one per target task or per test point). Blocks of right-hand sides are
///   (R, P) row-major: row r is one vector in the flat parameter order.

/// The damped curvature operator of the training objective at the trained
/// parameters w*:
///
///     v ↦ (H + δI) v,    H = ∇²L(w*),  L(w) = Σ_i weight_i ℓ_i(w) + Ω(w)
///
/// Every product is the model's exact Hessian-vector product (R-op), with Ω
/// included (`regularized: true`); with `curvature` .ggn, H is the
/// generalised Gauss–Newton matrix instead (positive semi-definite). `minibatch(_:)` gives the unbiased
/// estimate H̃ of H from B of the N rows: each sampled row's weight is scaled
/// by N/B, and Ω's Hessian is added in full, so E[H̃] = H.
package struct HessianOperator: Sendable {
    package let model: any MultitaskModel
    /// (P) w*.
    package let parameters: [Double]
    /// The rows whose loss the operator differentiates (all N, or a minibatch).
    package let batch: TaskBatch
    /// δ ≥ 0.
    package let damping: Double
    package let curvature: Curvature
    /// The arithmetic of the R-passes' matrix products.
    package let precision: GemmPrecision
    /// Work done through this operator and every minibatch operator made from it.
    package let work: PassCount
    /// The forward pass of `batch` at `parameters`, computed by the first
    /// product and reused by every later one.
    let forwardPasses = ForwardPassCache()

    package init(
        model: any MultitaskModel, parameters: [Double], batch: TaskBatch, damping: Double,
        curvature: Curvature = .hessian, precision: GemmPrecision = .float64, work: PassCount = PassCount()
    ) {
        precondition(parameters.count == model.layout.count)
        self.model = model
        self.parameters = parameters
        self.batch = batch
        self.damping = damping
        self.curvature = curvature
        self.precision = precision
        self.work = work
    }

    /// P.
    package var dimension: Int { parameters.count }

    /// (H + δI) v for one vector (P).
    package func apply(_ v: [Double]) -> [Double] {
        work.add(rows: batch.count, directions: 1)
        var result = [Double](repeating: 0, count: dimension)
        model.hessianVectorProducts(
            parameters, batch, regularized: true, v, count: 1, curvature: curvature, precision: precision,
            cache: forwardPasses, into: &result)
        if damping != 0 {
            result.withUnsafeMutableBufferPointer { r in
                v.withUnsafeBufferPointer { v in axpy(r.baseAddress!, damping, v.baseAddress!, count: v.count) }
            }
        }
        return result
    }

    /// H v without the damping, for curvature estimates.
    package func applyUndamped(_ v: [Double]) -> [Double] {
        work.add(rows: batch.count, directions: 1)
        var result = [Double](repeating: 0, count: dimension)
        model.hessianVectorProducts(
            parameters, batch, regularized: true, v, count: 1, curvature: curvature, precision: precision,
            cache: forwardPasses, into: &result)
        return result
    }

    /// out[r] = (H + δI) x[r] for every r in `rows`, where x and out are (R, P)
    /// row-major: one batched pass of the model for all the rows (the forward
    /// pass is shared, each layer's R-products are single matrix products).
    /// Each row's product does not depend on which other rows are in `rows`.
    /// Other rows of `out` are left as they are.
    package func apply(_ x: [Double], rows: [Int], into out: inout [Double]) {
        let p = dimension
        precondition(x.count == out.count && x.count % max(p, 1) == 0)
        guard !rows.isEmpty else { return }
        work.add(rows: batch.count, directions: rows.count)
        // Every row in order (LiSSA, and CG until a row finishes): no gather of
        // the directions, and the products land in `out`'s own buffer.
        let inOrder = rows.count * p == x.count && rows.elementsEqual(0 ..< rows.count)
        var directions = x  // (rows, P)
        if !inOrder {
            directions = [Double](repeating: 0, count: rows.count * p)
            for (j, r) in rows.enumerated() { directions[j * p ..< (j + 1) * p] = x[r * p ..< (r + 1) * p] }
        }
        var products: [Double] = []  // (rows, P)
        if inOrder { swap(&products, &out) }
        model.hessianVectorProducts(
            parameters, batch, regularized: true, directions, count: rows.count, curvature: curvature,
            precision: precision, cache: forwardPasses, into: &products)
        if inOrder { swap(&products, &out) }
        let damping = damping
        directions.withUnsafeBufferPointer { d in
            products.withUnsafeBufferPointer { hv in
                out.withUnsafeMutableBufferPointer { out in
                    let scattered = inOrder ? nil : hv.baseAddress  // in order: already in place
                    let buffers = UncheckedSendable((d.baseAddress!, scattered, out.baseAddress!))
                    parallelRanges(rows.count, costPerItem: p) { range in
                        let (d, hv, out) = buffers.value
                        for j in range {
                            let target = out + rows[j] * p
                            if let hv { target.update(from: hv + j * p, count: p) }
                            axpy(target, damping, d + j * p, count: p)
                        }
                    }
                }
            }
        }
    }

    /// The unbiased estimate from the rows `rows` (distinct indices into this
    /// operator's batch): weights scaled by N/B, Ω in full, the same damping.
    package func minibatch(_ rows: [Int]) -> HessianOperator {
        let factor = Double(batch.count) / Double(rows.count)
        let weights = rows.map { batch.weights[$0] * factor }
        return HessianOperator(
            model: model, parameters: parameters, batch: batch.subset(rows, weights: weights), damping: damping,
            curvature: curvature, precision: precision, work: work)
    }
}

/// The cost of the Hessian-vector products a solver asked for, in units the
/// benchmark turns into floating-point operations: each batched product is
/// one forward/backward pass over its rows plus one R-op per row and direction.
/// Solvers call their operator from one thread at a time (the parallelism is
/// inside the matrix products), which is what makes the unguarded counts safe.
package final class PassCount: @unchecked Sendable {
    /// Σ rows over forward/backward passes.
    package private(set) var rowPasses = 0
    /// Σ rows × directions over R-op passes.
    package private(set) var rowDirections = 0

    package init() {}

    func add(rows: Int, directions: Int) {
        rowPasses += rows
        rowDirections += rows * directions
    }
}

/// Draws minibatches of B distinct rows out of N, uniformly, by a partial
/// Fisher–Yates shuffle on our own generator (so `--seed` fixes the sequence).
package struct MinibatchSampler: Sendable {
    private var permutation: [Int]
    private var generator: SplitMix64
    package let batchSize: Int

    /// B = min(batchSize, N).
    package init(rows: Int, batchSize: Int, seed: UInt64, stream: UInt64) {
        permutation = Array(0 ..< rows)
        generator = SplitMix64(seed: seed, stream: stream)
        self.batchSize = min(max(batchSize, 1), rows)
    }

    /// B distinct row indices, each B-subset equally likely.
    package mutating func next() -> [Int] {
        let n = permutation.count
        for i in 0 ..< batchSize {
            let j = i + generator.below(n - i)
            permutation.swapAt(i, j)
        }
        return Array(permutation[0 ..< batchSize])
    }
}

/// x rounded up to two significant digits, for suggested flag values.
func roundedUp(_ x: Double) -> Double {
    guard x > 0, x.isFinite else { return x }
    var unit = 1.0
    while x / unit >= 100 { unit *= 10 }
    while x / unit < 10 { unit /= 10 }
    return (x / unit).rounded(.up) * unit
}

/// A damping that makes H + δI comfortably positive definite given an
/// estimate of λ_min(H) (which power iteration gives from above): 1.25·(−λ_min)
/// rounded up, and more than the current damping.
func suggestedDamping(lambdaMin: Double, current: Double) -> Double {
    let needed = roundedUp(1.25 * max(-lambdaMin, 0))
    return needed > current ? needed : roundedUp(max(10 * current, 1e-3))
}

/// A short decimal for messages: 4 significant digits.
func short(_ x: Double) -> String { String(format: "%.4g", x) }
