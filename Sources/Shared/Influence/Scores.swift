/// Influence scores of training examples on target tasks:
///
///     score_k(z) = −(1/n_l) · s_k · ∇ℓ_l(w*; z)        z a training example of task l
///
/// with s_k = (H + δI)⁻¹ ∇V_k(w*) the inverse-HVP of target k and n_l the
/// number of TRAINING examples of task l (the weight of z in L). Sign: the
/// score approximates V_k(w*) − V_k(w*₋z), so positive = the example hurts
/// target k (removing it is predicted to lower V_k), negative = it helps.
///
/// Dimensions: K targets, P parameters, r rows of a chunk, W their width
/// (P dense; S + max_l |θ_l| in task blocks, S = |γ| under hard sharing).
package struct InfluenceScorer: Sendable {
    /// The sign convention, as artefacts state it.
    package static let signConvention =
        "positive = removing the example is predicted to lower the target's validation loss (it hurts the target)"
    package static let formula = "-(1/n_l) s_k·∇ℓ_l(z)"

    /// (K) target names, the inverse-HVP rows' ids.
    package let targets: [String]
    /// (K, P) row-major s_k.
    private let inverseHVPs: [Double]
    private let blocks: TaskBlockLayout
    /// (tasks) −1/n_l.
    private let scales: [Double]

    /// - Parameters:
    ///   - inverseHVPs: (K, P) row-major, dense.
    ///   - trainingCounts: n_l for each task of the model, in model order.
    package init(inverseHVPs: [Double], targets: [String], blocks: TaskBlockLayout, trainingCounts: [Int]) {
        precondition(inverseHVPs.count == targets.count * blocks.parameterCount)
        precondition(trainingCounts.count == blocks.taskRanges.count)
        self.inverseHVPs = inverseHVPs
        self.targets = targets
        self.blocks = blocks
        scales = trainingCounts.map { $0 > 0 ? -1 / Double($0) : .nan }
    }

    package var targetCount: Int { targets.count }

    /// Overwrites `scores` with (r, K) row-major score_k of `r` gradient rows
    /// ((r, W) row-major in `layout`), row i of model task `tasks[i]`.
    ///
    /// Both layouts are computed the same way, so they give the same bits: the
    /// γ part of all r rows as one (r, S)·(S, K) product, then each row's θ_l
    /// part (its own task block; a gradient is zero elsewhere) as K dot products
    /// against s restricted to θ_l. A row is never expanded to P. Each score
    /// depends only on its own row (fixed summation order), so chunking and
    /// sharding do not change a bit of it.
    package func scores(
        _ rows: UnsafeBufferPointer<Double>, count r: Int, tasks: [Int], layout: RowLayout, into scores: inout [Double]
    ) {
        let k = targets.count
        let p = blocks.parameterCount
        let width = layout == .dense ? p : blocks.width
        precondition(rows.count >= r * width && tasks.count >= r)
        if scores.count != r * k { scores = [Double](repeating: 0, count: r * k) }
        guard r > 0, k > 0 else { return }
        inverseHVPs.withUnsafeBufferPointer { sBuffer in
            scores.withUnsafeMutableBufferPointer { out in
                let s = sBuffer.baseAddress!, c = out.baseAddress!, g = rows.baseAddress!
                let shared = blocks.sharedCount
                // γ part for every row at once: (r, S)·(S, K); zeroes C when S = 0.
                gemm(c, ldc: k, g, lda: width, s, ldb: p, transposeB: true, m: r, n: k, k: shared, accumulate: false)
                for i in 0 ..< r {
                    let range = blocks.taskRanges[tasks[i]]
                    let theta = g + i * width + (layout == .dense ? range.lowerBound : shared)
                    for t in 0 ..< k { c[i * k + t] += dot(theta, s + t * p + range.lowerBound, count: range.count) }
                    scale(c + i * k, scales[tasks[i]], count: k)
                }
            }
        }
    }

    /// The model's dots with these inverse-HVPs at `parameters`, for `scores(of:dots:into:)`.
    package func gradientDots(model: any MultitaskModel, parameters: [Double]) -> GradientDots {
        model.gradientDots(parameters, vectors: inverseHVPs, count: targets.count)
    }

    /// The fused join: overwrites `scores` with (r, K) score_k of the batch's
    /// examples in the order they were read (row i at `batch.sourceIndex[i]`),
    /// from the model's gradient dots without forming the gradients. Equal to
    /// `scores(_:…)` of the same examples' gradient rows up to rounding.
    package func scores(of batch: TaskBatch, dots: GradientDots, into scores: inout [Double]) {
        let k = targets.count
        precondition(dots.count == k)
        let r = batch.count
        if scores.count != r * k { scores = [Double](repeating: 0, count: r * k) }
        guard r > 0, k > 0 else { return }
        scores.withUnsafeMutableBufferPointer { out in
            dots(batch, destination: batch.sourceIndex, into: out.baseAddress!)
            for (l, rows) in batch.taskRanges.enumerated() {
                for i in rows { scale(out.baseAddress! + batch.sourceIndex[i] * k, scales[l], count: k) }
            }
        }
    }
}
