/// Hard parameter sharing: a shared trunk γ and one linear head θ_k per task.
///
/// Dimensions: N rows, D inputs, H_1..H_L trunk widths (L ≥ 1), K tasks,
/// C_k outputs of task k, P parameters.
///
///   a_0 = x (N, D)
///   z_l = a_{l-1} W_lᵀ + b_l,  a_l = φ(z_l)   W_l (H_l, H_{l-1}), b_l (H_l), a_l (N, H_l)
///   o   = a_L Θ_kᵀ + β_k                      Θ_k (C_k, H_L), β_k (C_k), o (n_k, C_k) on task k's rows
///   Ω(w) = (λ/2)‖w‖², every parameter, biases included.
///
/// Parameters: shared.0.weight, shared.0.bias, …, shared.{L-1}.bias (γ), then
/// head.<task>.weight, head.<task>.bias for each task in order (θ_k).
/// Each task's rows go through the trunk and that task's head only, so the
/// trunk's gradient sums over the task blocks.
package struct HardSharingModel: LayeredModel {
    package let architecture: Architecture
    package let layout: ParameterLayout
    /// (K) trunk layers followed by task k's head.
    let networks: [[DenseLayer]]

    package init(_ architecture: Architecture) throws {
        try architecture.validate()
        guard architecture.sharing == .hard else {
            throw MTIFError.usage("HardSharingModel needs a hard-sharing architecture")
        }
        self.architecture = architecture
        var tensors: [ParameterTensor] = []
        var trunk: [DenseLayer] = []
        var width = architecture.inputs
        for (l, out) in architecture.hidden.enumerated() {
            trunk.append(appendDense(&tensors, prefix: "shared.\(l)", inputs: width, outputs: out,
                                     activation: architecture.activation))
            width = out
        }
        let sharedEnd = tensors.last!.range.upperBound
        var networks: [[DenseLayer]] = []
        var taskRanges: [Range<Int>] = []
        for (task, outputs) in zip(architecture.tasks, architecture.outputs) {
            let start = tensors.last!.range.upperBound
            let head = appendDense(&tensors, prefix: "head.\(task)", inputs: width, outputs: outputs,
                                   activation: .identity)
            networks.append(trunk + [head])
            taskRanges.append(start ..< tensors.last!.range.upperBound)
        }
        self.layout = ParameterLayout(tensors: tensors, sharedRange: 0 ..< sharedEnd, taskRanges: taskRanges)
        self.networks = networks
    }

    package func initialParameters(seed: UInt64) -> [Double] {
        var w = [Double](repeating: 0, count: layout.count)
        for (index, tensor) in layout.tensors.enumerated() {
            fillInitial(&w, tensor, seed: seed, stream: UInt64(index))
        }
        return w
    }

    func addRegularizer(_ w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>) -> Double {
        let lambda = architecture.lambda
        axpy(gradient, lambda, w, count: layout.count)
        return 0.5 * lambda * dot(w, w, count: layout.count)
    }

    func addRegularizerHessian(_ v: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>) {
        axpy(result, architecture.lambda, v, count: layout.count)
    }
}
