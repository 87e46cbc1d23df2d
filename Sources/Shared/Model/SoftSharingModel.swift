/// Soft parameter sharing: one full model θ_k per task, tied to a learned
/// centre γ of the same shape.
///
/// Dimensions: N rows, D inputs, H_1..H_L hidden widths (L ≥ 0; L = 0 is a
/// linear model), K tasks, C outputs (equal for every task), G = |γ| = |θ_k|,
/// P = (K + 1)·G parameters.
///
///   f_θ(x): a_0 = x (n, D); z_l = a_{l-1} W_lᵀ + b_l; a_l = φ(z_l) for l ≤ L;
///           o = a_L W_{L+1}ᵀ + b_{L+1} (n, C), the output layer linear
///   Row i of task k uses f_{θ_k}; γ appears only in Ω:
///   Ω(w) = Σ_k (c/2)‖θ_k − γ‖² + (λ/2)(‖γ‖² + Σ_k ‖θ_k‖²)
///
/// Parameters: center.0.weight, center.0.bias, …, center.L.bias (γ), then
/// task.<task>.0.weight, … for each task in order (θ_k), every block laid out
/// exactly like γ.
package struct SoftSharingModel: LayeredModel {
    package let architecture: Architecture
    package let layout: ParameterLayout
    /// (K) task k's own layers.
    let networks: [[DenseLayer]]

    package init(_ architecture: Architecture) throws {
        try architecture.validate()
        guard architecture.sharing == .soft else {
            throw MTIFError.usage("SoftSharingModel needs a soft-sharing architecture")
        }
        self.architecture = architecture
        let widths = [architecture.inputs] + architecture.hidden + [architecture.outputs[0]]
        var tensors: [ParameterTensor] = []
        func appendModel(_ prefix: String) -> [DenseLayer] {
            (0 ..< widths.count - 1).map { l in
                appendDense(&tensors, prefix: "\(prefix).\(l)", inputs: widths[l], outputs: widths[l + 1],
                            activation: l + 1 < widths.count - 1 ? architecture.activation : .identity)
            }
        }
        _ = appendModel("center")
        let sharedRange = 0 ..< tensors.last!.range.upperBound
        var networks: [[DenseLayer]] = []
        var taskRanges: [Range<Int>] = []
        for task in architecture.tasks {
            let start = tensors.last!.range.upperBound
            networks.append(appendModel("task.\(task)"))
            taskRanges.append(start ..< tensors.last!.range.upperBound)
        }
        self.layout = ParameterLayout(tensors: tensors, sharedRange: sharedRange, taskRanges: taskRanges)
        self.networks = networks
    }

    /// γ drawn at random (weights N(0, 1/fan_in), biases zero), every θ_k = γ.
    package func initialParameters(seed: UInt64) -> [Double] {
        var w = [Double](repeating: 0, count: layout.count)
        let centre = layout.sharedRange
        for (index, tensor) in layout.tensors.enumerated() where tensor.range.upperBound <= centre.upperBound {
            fillInitial(&w, tensor, seed: seed, stream: UInt64(index))
        }
        for range in layout.taskRanges {
            w.replaceSubrange(range, with: w[centre])
        }
        return w
    }

    /// ∂Ω/∂θ_k = c(θ_k − γ) + λθ_k,  ∂Ω/∂γ = Σ_k c(γ − θ_k) + λγ.
    func addRegularizer(_ w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>) -> Double {
        let lambda = architecture.lambda, coupling = architecture.coupling
        let g = layout.sharedRange.count
        let centre = w + layout.sharedRange.lowerBound        // (G) γ
        let dCentre = gradient + layout.sharedRange.lowerBound  // (G)
        var pull = 0.0
        var norms = dot(centre, centre, count: g)
        axpy(dCentre, lambda, centre, count: g)
        for range in layout.taskRanges {
            let theta = w + range.lowerBound          // (G) θ_k
            let dTheta = gradient + range.lowerBound  // (G)
            for j in 0 ..< g {
                let difference = theta[j] - centre[j]
                pull.addProduct(difference, difference)
                dTheta[j] += coupling * difference + lambda * theta[j]
                dCentre[j] -= coupling * difference
            }
            norms += dot(theta, theta, count: g)
        }
        return 0.5 * coupling * pull + 0.5 * lambda * norms
    }

    /// θ_k: c(v_θk − v_γ) + λ v_θk;  γ: Σ_k c(v_γ − v_θk) + λ v_γ.
    func addRegularizerHessian(_ v: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>) {
        let lambda = architecture.lambda, coupling = architecture.coupling
        let g = layout.sharedRange.count
        let vCentre = v + layout.sharedRange.lowerBound       // (G)
        let hCentre = result + layout.sharedRange.lowerBound  // (G)
        axpy(hCentre, lambda, vCentre, count: g)
        for range in layout.taskRanges {
            let vTheta = v + range.lowerBound       // (G)
            let hTheta = result + range.lowerBound  // (G)
            for j in 0 ..< g {
                let difference = vTheta[j] - vCentre[j]
                hTheta[j] += coupling * difference + lambda * vTheta[j]
                hCentre[j] -= coupling * difference
            }
        }
    }
}
