import Foundation

/// LiSSA (Agarwal, Bullins & Hazan 2017) in the damped, scaled form of Koh &
/// Liang (2017): a stochastic Neumann series for (H + δI)⁻¹v.
///
/// Mathematics: with A_j = H̃_j + δI, H̃_j the unbiased minibatch Hessian of
/// step j (B rows drawn uniformly without replacement, weights scaled by N/B,
/// Ω in full; B ≥ N gives the full H), and a scale s:
///
///     h₀ = v,   h_{j+1} = v + h_j − A_j h_j / s,   result h_depth / s ≈ (H + δI)⁻¹v
///
/// since h_j/s = (1/s) Σ_{i≤j} (I − A/s)^i v → A⁻¹v. The error along an
/// eigen-direction of eigenvalue λ shrinks by (1 − (λ + δ)/s) per step, so the
/// depth needed grows like s/(λ_min + δ). The same minibatch serves every
/// right-hand side at a step; repeat t draws its minibatches from stream t of
/// `seed`, so results do not depend on how many rows are solved together.
///
/// Depth: fixed, or (default) auto: the d that makes the predicted remaining
/// error along the flattest direction, (1 − μ/s)^d, at most `accuracy`
/// (1e-3), i.e. d = ⌈ln(accuracy) / ln(1 − μ/s)⌉ ≈ ln(1/accuracy)·s/μ, capped
/// at `maxDepth` (10,000) with a warning that names what remains. Without a
/// floor μ > 0 no depth follows and auto runs `maxDepth` steps.
///
/// Afterwards every row's full-data residual r = v − (H + δI)x is computed
/// (one Hessian-vector product per row) and, with λ_min(H + δI) ≥ μ (H ⪰ 0),
/// ‖x − x*‖ ≤ ‖r‖/μ bounds the relative error by (‖r‖/μ) / (‖x‖ − ‖r‖/μ):
/// recorded per row; it covers the minibatch noise the prediction leaves out,
/// and is pessimistic (it treats all of r as lying along the flattest direction).
///
/// Defaults: depth auto, repeats 1, batch size 256, seed 0, and
/// s = 1.1·(λ̂ + δ), λ̂ the largest of the power-iteration estimates of
/// λ_max(H) and of λ_max of 3 minibatch Hessians (which can exceed it). Any
/// s above half of every A_j's largest eigenvalue is stable; the 1.1 covers
/// the estimates' error from below.
///
/// Watching ‖h‖: if every A_j has its spectrum in [0, 2s], each step is a
/// contraction and ‖h_j‖ ≤ (j + 1)‖v‖, and with a curvature floor
/// μ = δ + (λ for a strictly convex model) also ‖h_j‖ ≤ ‖v‖·s/μ. A row whose
/// ‖h_j‖ exceeds 10× that bound, or turns NaN or Inf, has diverged: the solver
/// stops before anything is written, with "raise --scale to at least X" when
/// s ≤ λ̂ + δ, else "raise --damping to at least Y" from a power-iteration
/// estimate of λ_min(H).
///
/// Stopping rule: `depth` steps, or earlier for a row once
/// ‖h_{j+1} − h_j‖ ≤ tol·‖h_j‖ (tol default 0: off). With repeats ≥ 2 the
/// result is the mean over repeats and each row records its spread,
/// ‖std over repeats‖/‖mean‖. A warning is printed when the predicted
/// remaining error along the flattest direction, (1 − μ/s)^depth, exceeds 10%
/// (depth < ln 10 · s/μ), with the depth that reaches 1%. The minibatch noise
/// is not in that prediction: use repeats for it.
package struct LiSSA: Sendable {
    /// "a depth of 4606" for a depth estimate, or "a depth of more than 10^k
    /// steps" when it is beyond any run (and beyond Int: s/δ can be 1e320).
    static func depthText(_ needed: Double) -> String {
        guard needed.isFinite, needed < 1e12 else {
            let exponent = needed.isFinite ? Int(log10(needed).rounded(.down)) : 308
            return "a depth of more than 10^\(exponent) steps"
        }
        return "a depth of \(Int(needed.rounded(.up)))"
    }

    /// nil: auto (see above).
    package var depth: Int? = nil
    /// Auto depth: the predicted relative error it aims at.
    package var accuracy = 1e-3
    /// Auto depth: the most steps it takes.
    package var maxDepth = 10_000
    package var repeats = 1
    package var batchSize = 256
    package var seed: UInt64 = 0
    /// nil: s = safety·(λ̂ + δ).
    package var scale: Double? = nil
    package var safety = 1.1
    /// Early stop on ‖h_{j+1} − h_j‖ ≤ tol·‖h_j‖; 0 = run the full depth.
    package var tolerance = 0.0
    /// A known lower bound of λ_min(H) besides δ: λ for a strictly convex
    /// model (linear soft sharing), else 0.
    package var curvatureFloor = 0.0
    /// Minibatch Hessians sampled for the scale estimate.
    package var scaleSamples = 3

    package init() {}

    /// Solves (H + δI) x = v for each of the `count` rows of `rhs` (count, P).
    package func solve(_ op: HessianOperator, rhs: [Double], count: Int, log: Log) throws -> InverseHVPSolution {
        let p = op.dimension
        precondition(rhs.count == count * p)
        if let depth, depth < 1 { throw MTIFError.usage("--depth must be at least 1") }
        guard accuracy > 0, accuracy < 1 else { throw MTIFError.usage("--accuracy must be in (0, 1)") }
        guard maxDepth >= 1 else { throw MTIFError.usage("--max-depth must be at least 1") }
        guard repeats >= 1 else { throw MTIFError.usage("--repeats must be at least 1") }
        guard batchSize >= 1 else { throw MTIFError.usage("--batch-size must be at least 1") }
        guard tolerance >= 0 else { throw MTIFError.usage("--tol must be ≥ 0") }
        if let scale, !(scale > 0) { throw MTIFError.usage("--scale must be positive") }
        let clock = Stopwatch()
        let n = op.batch.count
        let b = min(batchSize, n)
        var report = SolverReport(name: "lissa", damping: op.damping)
        report.repeats = repeats
        report.batchSize = b
        report.seed = seed
        report.tolerance = tolerance
        var products = 0

        // λ̂: the full Hessian, then a few minibatch Hessians started from its top eigenvector.
        let power = PowerIteration(tolerance: 1e-3, maxIterations: 100, seed: seed)
        let top = power.largest(dimension: p, op.applyUndamped)
        products += top.products
        var lambdaMax = top.value
        if b < n {
            var sampler = MinibatchSampler(rows: n, batchSize: b, seed: seed, stream: 0xFFFF_FFFF)
            let quick = PowerIteration(tolerance: 1e-3, maxIterations: 30, seed: seed)
            for _ in 0 ..< scaleSamples {
                let sample = op.minibatch(sampler.next())
                let estimate = quick.largest(dimension: p, start: top.vector, sample.applyUndamped)
                products += estimate.products
                lambdaMax = max(lambdaMax, estimate.value)
            }
        }
        report.lambdaMax = lambdaMax
        let s = scale ?? safety * (max(lambdaMax, 0) + op.damping)
        guard s > 0, s.isFinite else {
            throw MTIFError.computation(
                "the Hessian's largest eigenvalue estimate is \(short(lambdaMax)) and δ = \(short(op.damping)): no positive scale follows",
                hint: "give --scale S and --damping, or check that the model trained")
        }
        report.scale = s
        let floor = op.damping + curvatureFloor
        let floorName = "μ = δ\(curvatureFloor > 0 ? " + λ" : "") = \(short(floor))"
        let depth: Int
        if let fixed = self.depth {
            depth = fixed
            report.depthRule = "fixed"
        } else {
            report.depthRule = "auto"
            report.accuracy = accuracy
            if floor <= 0 {
                depth = maxDepth
            } else {
                // (1 − μ/s)^d ≤ accuracy; μ ≥ s contracts everything in one step.
                let needed = floor >= s ? 1 : Foundation.log(accuracy) / log1p(-floor / s)
                depth = needed > Double(maxDepth) ? maxDepth : max(1, Int(needed.rounded(.up)))
                if needed > Double(maxDepth) {
                    let remaining = pow(1 - floor / s, Double(maxDepth))
                    log.warning(
                        "lissa: --depth auto needs \(LiSSA.depthText(needed)) for --accuracy \(short(accuracy)) at s/μ = \(short(s / floor)) (s = \(short(s)), \(floorName)); capped at --max-depth \(maxDepth), which leaves about \(percentText(remaining)) of the error along the flattest direction (raise --damping or --max-depth, or use --solver cg)")
                }
            }
        }
        report.depth = depth
        if floor > 0 && floor < s {
            let remaining = pow(1 - floor / s, Double(depth))
            report.expectedRemainingError = remaining
            if remaining > 0.1 && self.depth != nil {
                log.warning(
                    "lissa: --depth \(depth) is short for s/μ = \(short(s / floor)) (s = \(short(s)), \(floorName)): along the flattest direction the error shrinks like (1 − μ/s)^depth and about \(percentText(remaining)) of it remains; \(LiSSA.depthText(s / floor * log100)) reaches 1% (or --depth auto, or raise --damping, or use --solver cg)")
            }
        } else if floor <= 0 {
            log.warning(
                "lissa: no damping and no known curvature floor: the depth needed is unknown and flat directions may not converge\(self.depth == nil ? " (--depth auto runs --max-depth \(maxDepth) steps)" : "") (give --damping, or use --solver cg)")
        }
        log.info("lissa: λ_max ≈ \(short(lambdaMax)), s = \(short(s)), δ = \(short(op.damping)), depth \(depth), batch \(b) of \(n), \(repeats) repeat\(repeats == 1 ? "" : "s")")

        let vNorms = (0 ..< count).map { rowDot(rhs, rhs, $0, p).squareRoot() }
        var sum = [Double](repeating: 0, count: count * p)  // (R, P) Σ_t x_t
        var sumSquares = repeats > 1 ? [Double](repeating: 0, count: count * p) : []  // (R, P) Σ_t x_t²
        var steps = [Int](repeating: 0, count: count)
        var lastReport = Stopwatch()
        for t in 0 ..< repeats {
            var sampler = MinibatchSampler(rows: n, batchSize: b, seed: seed, stream: UInt64(t))
            var h = rhs  // (R, P)
            var ah = [Double](repeating: 0, count: count * p)  // (R, P) A_j h_j
            var active = (0 ..< count).filter { vNorms[$0] > 0 }
            for j in 0 ..< depth where !active.isEmpty {
                let stepOperator = b < n ? op.minibatch(sampler.next()) : op
                stepOperator.apply(h, rows: active, into: &ah)
                products += active.count
                // h ← v + h − A h / s for every active row, rows split over the cores;
                // per row ‖h_{j+1} − h_j‖², ‖h_j‖², ‖h_{j+1}‖².
                var norms = [Double](repeating: 0, count: active.count * 3)
                h.withUnsafeMutableBufferPointer { h in
                    ah.withUnsafeBufferPointer { ah in
                        rhs.withUnsafeBufferPointer { v in
                            norms.withUnsafeMutableBufferPointer { norms in
                                let buffers = UncheckedSendable((h.baseAddress!, ah.baseAddress!, v.baseAddress!, norms.baseAddress!))
                                let rows = active
                                parallelRanges(rows.count, costPerItem: p) { range in
                                    let (h, ah, v, norms) = buffers.value
                                    for position in range {
                                        var change2 = 0.0, previous2 = 0.0, length2 = 0.0
                                        for i in rows[position] * p ..< (rows[position] + 1) * p {
                                            let change = v[i] - ah[i] / s
                                            previous2 += h[i] * h[i]
                                            h[i] += change
                                            change2 += change * change
                                            length2 += h[i] * h[i]
                                        }
                                        norms[3 * position] = change2
                                        norms[3 * position + 1] = previous2
                                        norms[3 * position + 2] = length2
                                    }
                                }
                            }
                        }
                    }
                }
                var next: [Int] = []
                for (position, row) in active.enumerated() {
                    let (change2, previous2, length2) = (norms[3 * position], norms[3 * position + 1], norms[3 * position + 2])
                    let bound = 10 * vNorms[row] * min(Double(j + 2), floor > 0 ? max(s / floor, 1) : .infinity)
                    if !length2.isFinite || length2.squareRoot() > bound {
                        throw diverged(
                            op, step: j + 1, repeatIndex: t, row: row, norm: length2.squareRoot(), bound: bound,
                            scale: s, lambdaMax: lambdaMax)
                    }
                    steps[row] = max(steps[row], j + 1)
                    if tolerance > 0 && change2 <= tolerance * tolerance * previous2 { continue }
                    next.append(row)
                }
                active = next
                if lastReport.seconds >= 1 {
                    log.info("lissa: repeat \(t + 1) of \(repeats), step \(j + 1) of \(depth)")
                    lastReport = Stopwatch()
                }
            }
            for i in 0 ..< count * p {
                let x = h[i] / s
                sum[i] += x
                if repeats > 1 { sumSquares[i] += x * x }
            }
        }
        let inverse = 1 / Double(repeats)
        var mean = sum
        for i in mean.indices { mean[i] *= inverse }
        if repeats > 1 {
            report.spread = (0 ..< count).map { row in
                var variance = 0.0, size = 0.0
                for i in row * p ..< (row + 1) * p {
                    // Sample variance over repeats, per coordinate.
                    variance += max(sumSquares[i] - Double(repeats) * mean[i] * mean[i], 0) / Double(repeats - 1)
                    size += mean[i] * mean[i]
                }
                return size > 0 ? (variance / size).squareRoot() : 0
            }
        }
        if floor > 0 {
            // One full-data pass is left: keeping its forward pass would only
            // add to LiSSA's peak (8 MB at HAR shape) and be read again by none.
            op.forwardPasses.release()
            let bounds = residualBounds(op, rhs: rhs, norms: vNorms, x: mean, floor: floor)
            products += count
            report.residuals = bounds.residuals
            report.errorBounds = bounds.errors
            if self.depth == nil {
                report.accuracyMet = bounds.errors.allSatisfy { ($0 ?? .infinity) <= accuracy }
                if report.accuracyMet == false, let worst = bounds.errors.indices.max(by: { (bounds.errors[$0] ?? .infinity) < (bounds.errors[$1] ?? .infinity) }) {
                    let bound = bounds.errors[worst].map { "up to \(short($0))" } ?? "nothing useful (‖r‖/μ ≥ ‖x‖)"
                    let cause = b < n
                        ? "the depth rule leaves out the noise of minibatches of \(b) of \(n) rows: raise --batch-size or --repeats"
                        : "raise --max-depth or --damping"
                    log.warning(
                        "lissa: the full-data residual bounds the relative error of row \(worst + 1) by \(bound), above --accuracy \(short(accuracy)) (the bound is pessimistic); \(cause), or use --solver cg for a certified answer")
                }
            }
        }
        report.iterations = steps
        report.hessianVectorProducts = products
        report.wallSeconds = clock.seconds
        return InverseHVPSolution(solutions: mean, report: report)
    }

    /// Per row (‖v‖ given) ‖r‖/‖v‖ with r = v − (H + δI)x on the full data, and the
    /// relative error bound (‖r‖/μ)/(‖x‖ − ‖r‖/μ) (nil when ‖r‖/μ ≥ ‖x‖).
    private func residualBounds(
        _ op: HessianOperator, rhs: [Double], norms vNorms: [Double], x: [Double], floor: Double
    ) -> (residuals: [Double], errors: [Double?]) {
        let p = op.dimension
        let count = vNorms.count
        let rows = (0 ..< count).filter { vNorms[$0] > 0 }
        var ax = [Double](repeating: 0, count: count * p)
        // Eight rows per pass: a pass's scratch grows with its directions, and
        // with all 30 at once this last pass set LiSSA's peak memory. Each
        // row's product is the same whichever rows share its pass.
        for first in stride(from: 0, to: rows.count, by: 8) {
            op.apply(x, rows: Array(rows[first ..< min(first + 8, rows.count)]), into: &ax)
        }
        var residuals = [Double](repeating: 0, count: count)
        var errors = [Double?](repeating: 0, count: count)
        for row in rows {
            var r2 = 0.0
            for i in row * p ..< (row + 1) * p {
                let r = rhs[i] - ax[i]
                r2 += r * r
            }
            let xNorm = rowDot(x, x, row, p).squareRoot()
            let distance = r2.squareRoot() / floor
            residuals[row] = r2.squareRoot() / vNorms[row]
            errors[row] = distance < xNorm ? distance / (xNorm - distance) : nil
        }
        return (residuals, errors)
    }

    private func diverged(
        _ op: HessianOperator, step: Int, repeatIndex: Int, row: Int, norm: Double, bound: Double,
        scale s: Double, lambdaMax: Double
    ) -> MTIFError {
        let what = norm.isFinite
            ? "‖h‖ = \(short(norm)) exceeds \(short(bound)), more than a convergent run can reach"
            : "‖h‖ is not finite"
        let place = "lissa diverged at step \(step)\(repeats > 1 ? " of repeat \(repeatIndex + 1)" : "") on row \(row + 1): \(what)"
        if s <= lambdaMax + op.damping {
            let needed = roundedUp(safety * (max(lambdaMax, 0) + op.damping))
            return MTIFError.computation(
                "\(place); the scale s = \(short(s)) is not above λ_max(H̃) + δ ≈ \(short(lambdaMax + op.damping))",
                hint: "raise --scale to at least \(short(needed)) (or leave --scale out for the default)")
        }
        let power = PowerIteration(tolerance: 1e-4, maxIterations: 300, seed: seed)
        let bottom = power.smallest(dimension: op.dimension, largest: lambdaMax, op.applyUndamped)
        if bottom.value + op.damping <= 0.01 * (lambdaMax + op.damping) {
            return MTIFError.computation(
                "\(place); H + δI is not positive definite: λ_min(H) ≈ \(short(bottom.value)) with δ = \(short(op.damping)) (a non-convex model, or parameters that are not at a minimum)",
                hint: "raise --damping to at least \(short(suggestedDamping(lambdaMin: bottom.value, current: op.damping)))")
        }
        return MTIFError.computation(
            "\(place); H + δI is positive definite (λ_min(H) ≈ \(short(bottom.value)), δ = \(short(op.damping))) but the minibatch Hessians are too noisy for s = \(short(s))",
            hint: "raise --batch-size, or raise --scale to at least \(short(roundedUp(2 * s))), or raise --damping to at least \(short(suggestedDamping(lambdaMin: -max(op.damping, 1e-3), current: op.damping)))")
    }
}

/// "34%", or "0.2%" below 1%.
private func percentText(_ fraction: Double) -> String {
    let percent = fraction * 100
    return percent >= 1 ? "\(Int(percent.rounded()))%" : "\(short(percent))%"
}

/// ln 100: depth × μ/s that leaves 1% of the error.
private let log100 = 4.605170185988092
