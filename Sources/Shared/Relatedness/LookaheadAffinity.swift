/// TAG's inter-task affinity (Fifty et al., "Efficiently Identifying Task
/// Groupings for Multi-Task Learning", NeurIPS 2021): how much a step on
/// task l's loss alone changes task k's loss,
///
///   Z_{l→k}(w) = 1 − L_k(w′_l) / L_k(w),   w′_l = w with γ ← γ − η ∇_γ L_l(w)
///
/// (task k's own θ_k unchanged), averaged over the training trajectory.
/// Positive: the lookahead step on l lowered k's loss, so l helps k. Under
/// soft sharing, where no loss reads the centre, the step moves every task's
/// model along task l's gradient on its own model (θ_j ← θ_j − η ∇_θ L_l),
/// the nearest analogue.
///
/// We log it on a re-run of the training that produced w*, not inside
/// `mtif-train`: the L-BFGS stage of mtif-train's path from the same
/// initialisation (the seed in the parameter file) with the tolerance and
/// iteration limit given, Z taken at the starting point, every `every`
/// iterations and at the last iterate, and averaged with equal weight per
/// logged step. When the training was polished by Newton (the default
/// path: L-BFGS hands over at 1e-4), w* itself is the last logged step
/// instead of the hand-over point; Newton's few steps are not logged one by one. L_k is the mean training
/// loss of task k over all its examples (TAG uses the minibatch; our
/// optimizer is full-batch). η is a fixed lookahead step (TAG uses the
/// optimizer's learning rate; L-BFGS has none), so for small η,
/// Z ≈ η ∇_γ L_l · ∇_γ L_k / L_k: an inner product of gradients normalised
/// by the target's loss and weighted towards the early steps, where the
/// gradients are large.
///
/// Cost per logged step: K task gradients (one pass over the training set)
/// and K forward passes over it; plus the re-run of training.
package struct LookaheadAffinity: Sendable {
    /// η, the lookahead step on the shared parameters.
    package var rate = 0.1
    /// Log Z every this many L-BFGS iterations.
    package var every = 10

    package init() {}

    /// (K, K) Z[l][k] at w, and what it cost.
    package func affinity(_ objectives: TaskObjectives, at w: [Double], cost: inout RelatednessCost) -> [[Double]] {
        let k = objectives.taskCount
        let before = objectives.losses(w)  // (K) L_k(w)
        cost.lossEvaluations += 1
        cost.lossRows += objectives.batch.count
        let soft = objectives.model.architecture.sharing == .soft
        var z = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for l in 0 ..< k {
            let g = objectives.gradient(w, task: l)
            cost.gradientEvaluations += 1
            cost.gradientRows += objectives.taskBatches[l].count
            var ahead = w
            let source = objectives.sharedView(task: l)
            let targets = soft ? (0 ..< k).map { objectives.sharedView(task: $0) } : [source]
            for range in targets {
                for (j, i) in zip(range, source) { ahead[j] -= rate * g[i] }
            }
            let after = objectives.losses(ahead)
            cost.lossEvaluations += 1
            cost.lossRows += objectives.batch.count
            for t in 0 ..< k { z[l][t] = before[t] > 0 ? 1 - after[t] / before[t] : 0 }
        }
        return z
    }

    /// Re-runs L-BFGS on the full objective from `start` and averages Z over
    /// the logged iterates (0, every, 2·every, …, and the last, or `final`
    /// in its place when given: the polished end of the training).
    package func run(
        _ objectives: TaskObjectives, from start: [Double], lbfgs: LBFGS, final: [Double]? = nil, log: Log
    ) throws -> (raw: [[Double?]], cost: RelatednessCost, steps: Int, result: LBFGS.Result) {
        let k = objectives.taskCount
        let model = objectives.model, batch = objectives.batch
        var cost = RelatednessCost()
        var sum = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var steps = 0
        var loggedIteration = -1
        func add(_ w: [Double], iteration: Int) {
            let z = affinity(objectives, at: w, cost: &cost)
            for l in 0 ..< k { for t in 0 ..< k { sum[l][t] += z[l][t] } }
            steps += 1
            loggedIteration = iteration
        }
        add(start, iteration: 0)
        // L-BFGS's last evaluation of each iteration is at the accepted point
        // (its line search ends on it), so `current` is the iterate when
        // `progress` is called.
        var current = start
        var clock = Stopwatch()
        let result = try lbfgs.minimize(from: start, { w, g in
            current = w
            return model.objective(w, batch, regularized: true, gradient: &g)
        }, progress: { iteration, value, gradientNorm in
            if iteration % max(1, every) == 0 {
                add(current, iteration: iteration)
                if clock.seconds >= 1 {
                    log.info("tag: iteration \(iteration), L = \(value), ‖∇L‖ = \(short(gradientNorm)), \(steps) steps logged")
                    clock = Stopwatch()
                }
            }
        })
        if let final {
            add(final, iteration: result.iterations + 1)
        } else if loggedIteration != result.iterations {
            add(result.parameters, iteration: result.iterations)
        }
        cost.retrainings = 1
        cost.iterations = result.iterations
        cost.gradientEvaluations += result.evaluations
        cost.gradientRows += result.evaluations * batch.count
        let raw = sum.map { row in row.map { Optional($0 / Double(steps)) } }
        return (raw, cost, steps, result)
    }
}
