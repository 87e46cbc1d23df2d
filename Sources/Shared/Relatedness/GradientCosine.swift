/// Gradient cosine similarity, the cheapest relatedness measure in the field
/// (e.g. Yu et al. 2020's "conflicting gradients"; Du et al. 2018):
///
///   raw(l→k) = cos(∇_γ L_l(w*), ∇_γ L_k(w*))
///
/// the angle between the two tasks' mean training gradients on the shared
/// parameters γ (soft sharing: on each task's own model, the shape all tasks
/// share; see `TaskObjectives`). Positive: a step that lowers L_l also lowers
/// L_k, so l helps k; negative: the gradients conflict. Cost: K gradient
/// evaluations, one pass over the training set. It is symmetric, ignores the
/// curvature of L and the validation data, and at an exact optimum of hard
/// sharing the γ-gradients sum to −λγ, so it measures the tug-of-war at w*.
package func gradientCosineMatrix(_ objectives: TaskObjectives, at w: [Double]) -> (raw: [[Double?]], cost: RelatednessCost) {
    let k = objectives.taskCount
    let gradients = (0 ..< k).map { objectives.gradient(w, task: $0) }
    var raw = [[Double?]](repeating: [Double?](repeating: nil, count: k), count: k)
    for l in 0 ..< k {
        for t in 0 ..< k {
            raw[l][t] = cosine(gradients[l][objectives.sharedView(task: l)], gradients[t][objectives.sharedView(task: t)])
        }
    }
    var cost = RelatednessCost()
    cost.gradientEvaluations = k
    cost.gradientRows = objectives.batch.count
    return (raw, cost)
}
