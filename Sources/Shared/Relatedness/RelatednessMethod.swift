/// The task-relatedness measures `mtif-relate` computes, and how each one's
/// own number (`raw`) is turned into the common orientation of R(l→k)
/// (`value`): **value > 0 means the source task l hurts the target task k**,
/// the sign of MTIF's R(l→k) ≈ V_k(full) − V_k(trained without l) and of
/// leave-one-task-out retraining. Heatmaps, correlations with LOTO and
/// whole-task removal all read `value`.
///
///   mtif    R(l→k) = Σ_{z∈D_l} score_k(z) from mtif-influence      value = raw
///   loto    V_k(full) − V_k(retrained without task l), validation  value = raw
///   cosine  cos(∇_γ L_l, ∇_γ L_k) at w* (γ shared)                 value = −raw
///   tag     Z_{l→k} = 1 − L_k(w − η∇_γ L_l)/L_k(w), mean over steps value = −raw
///   vmtl    α_{k←l}, task k's learned prior weight on task l         value = 1/(K−1) − raw
///
/// cosine and TAG are positive when l helps k; VMTL's α is a probability
/// over the K − 1 other tasks, so "unrelated" is below the uniform weight
/// 1/(K − 1): the flips put each measure's natural zero at value 0.
package enum RelatednessMethod: String, CaseIterable, Sendable {
    case mtif, loto, cosine, tag, vmtl

    /// value from the method's own number; `tasks` = K.
    package func oriented(_ raw: Double, tasks: Int) -> Double {
        switch self {
        case .mtif, .loto: return raw
        case .cosine, .tag: return -raw
        case .vmtl: return 1 / Double(max(1, tasks - 1)) - raw
        }
    }

    /// What `raw` is, for the meta record and the report.
    package var rawMeaning: String {
        switch self {
        case .mtif: return "R(l→k) = Σ_{z∈D_l} score_k(z), the predicted V_k(full) − V_k(without l)"
        case .loto: return "V_k(full) − V_k(retrained without task l) on the validation split"
        case .cosine: return "cos(∇_γ L_l, ∇_γ L_k) of the task mean training gradients at w* (positive: l helps k)"
        case .tag: return "Z_{l→k} = 1 − L_k(w − η∇_γ L_l(w))/L_k(w), the lookahead affinity averaged over training steps (positive: l helps k)"
        case .vmtl: return "α_{k←l}, the mixture weight task k's prior puts on task l's posterior (sums to 1 over l ≠ k)"
        }
    }

    /// How `value` was made from `raw`.
    package var orientation: String {
        switch self {
        case .mtif, .loto: return "value = raw"
        case .cosine, .tag: return "value = −raw"
        case .vmtl: return "value = 1/(K−1) − raw"
        }
    }

    /// Whether the method gives a within-task (l = k) cell.
    package var hasDiagonal: Bool {
        switch self {
        case .mtif, .cosine, .tag: return true
        case .loto, .vmtl: return false
        }
    }

    package static let signConvention =
        "value > 0: the source task l hurts the target task k (the sign of R(l→k) ≈ V_k(full) − V_k(without l)); value < 0: it helps"
}
