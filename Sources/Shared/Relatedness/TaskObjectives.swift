/// Per-task pieces of the training objective that the cheap relatedness
/// measures are made of, at given parameters w (P):
///
///   L_k(w) = Σ_{z∈D_k} (1/n_k) ℓ_k(w; z)      task k's mean training loss, no Ω
///   ∇L_k(w)                                    its gradient (P), zero outside (γ, θ_k)
///
/// and the coordinates a task's gradient is compared on ("shared view"):
/// hard sharing γ, the trunk every task reads; soft sharing the task's own
/// model θ_k, whose shape every task shares (the centre γ appears only in Ω,
/// so no loss has a gradient on it).
///
/// Dimensions: N rows, K tasks, P parameters.
package struct TaskObjectives: Sendable {
    package let model: any MultitaskModel
    package let batch: TaskBatch
    /// (K) the batch's rows of each task as a batch of its own (weights 1/n_k kept).
    package let taskBatches: [TaskBatch]

    package init(model: any MultitaskModel, batch: TaskBatch) {
        self.model = model
        self.batch = batch
        taskBatches = batch.taskRanges.map { batch.subset(Array($0)) }
    }

    package var taskCount: Int { batch.taskRanges.count }

    /// (K) L_k(w), from one forward pass over every row.
    package func losses(_ w: [Double]) -> [Double] {
        let losses = model.perExampleLosses(w, batch)  // (N)
        return batch.taskRanges.map { range in
            var total = 0.0
            for i in range { total.addProduct(batch.weights[i], losses[i]) }
            return total
        }
    }

    /// ∇L_k(w) (P), one pass over task k's rows.
    package func gradient(_ w: [Double], task k: Int) -> [Double] {
        var g: [Double] = []
        _ = model.objective(w, taskBatches[k], regularized: false, gradient: &g)
        return g
    }

    /// The coordinates of w that task k's gradient is compared on.
    package func sharedView(task k: Int) -> Range<Int> {
        model.architecture.sharing == .hard ? model.layout.sharedRange : model.layout.taskRanges[k]
    }
}

/// cos(a, b) = a·b / (‖a‖‖b‖); 0 when either is zero.
package func cosine(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> Double {
    precondition(a.count == b.count)
    var ab = 0.0, aa = 0.0, bb = 0.0
    for (x, y) in zip(a, b) {
        ab.addProduct(x, y)
        aa.addProduct(x, x)
        bb.addProduct(y, y)
    }
    guard aa > 0, bb > 0 else { return 0 }
    return ab / (aa.squareRoot() * bb.squareRoot())
}
