import Foundation

/// Per-example losses on one row of C outputs o (logits or regression values),
/// with the gradient and the Hessian-vector product in o that the backward
/// pass and the R-op start from.
///
///   cross-entropy: ℓ = logsumexp(o) − o_y,  ∂ℓ/∂o = p − e_y,  ∇²ℓ = diag(p) − p pᵀ,  p = softmax(o)
///   squared error: ℓ = Σ_j (o_j − y)²,      ∂ℓ/∂o = 2(o − y),  ∇²ℓ = 2I
///
/// y is a class index stored as a Double for cross-entropy.
extension LossKind {
    /// ℓ(o, y). When `gradient` is given, also writes scale · ∂ℓ/∂o into it (C).
    func evaluate(
        _ o: UnsafePointer<Double>, outputs c: Int, target y: Double,
        scale: Double = 1, gradient: UnsafeMutablePointer<Double>? = nil
    ) -> Double {
        switch self {
        case .crossEntropy:
            let label = classIndex(y, outputs: c)
            let logSumExp = logSumExp(o, count: c)
            if let gradient {
                for j in 0 ..< c { gradient[j] = scale * exp(o[j] - logSumExp) }
                gradient[label] -= scale
            }
            return logSumExp - o[label]
        case .squaredError:
            var loss = 0.0
            for j in 0 ..< c {
                let residual = o[j] - y
                loss.addProduct(residual, residual)
                gradient?[j] = 2 * scale * residual
            }
            return loss
        }
    }

    /// hv (count, C) = scale · ∇²_o ℓ(o) · ro for `count` directions ro
    /// (count, C) row-major of one row of outputs o; ∇²_o ℓ does not depend on
    /// y. Cross-entropy: (diag(p) − p pᵀ) ro = p ⊙ (ro − p·ro), the softmax p
    /// taken once for all the directions.
    func hessianProducts(
        _ hv: UnsafeMutablePointer<Double>, _ o: UnsafePointer<Double>, _ ro: UnsafePointer<Double>,
        count: Int, outputs c: Int, scale: Double
    ) {
        switch self {
        case .crossEntropy:
            let logSumExp = logSumExp(o, count: c)
            withUnsafeTemporaryAllocation(of: Double.self, capacity: c) { p in
                for j in 0 ..< c { p[j] = exp(o[j] - logSumExp) }
                for d in 0 ..< count {
                    let ro = ro + d * c, hv = hv + d * c
                    var projection = 0.0
                    for j in 0 ..< c { projection.addProduct(p[j], ro[j]) }
                    for j in 0 ..< c { hv[j] = scale * p[j] * (ro[j] - projection) }
                }
            }
        case .squaredError:
            for j in 0 ..< count * c { hv[j] = 2 * scale * ro[j] }
        }
    }

    /// out (C) = scale × column c of a square root L of ∇²_o ℓ (L Lᵀ = ∇²_o ℓ),
    /// the output factor of EK-FAC. Cross-entropy: column c is √p_c (e_c − p);
    /// squared error: √2 e_c.
    func hessianRootColumn(
        _ out: UnsafeMutablePointer<Double>, _ o: UnsafePointer<Double>, column c: Int, outputs: Int, scale: Double
    ) {
        switch self {
        case .crossEntropy:
            let logSumExp = logSumExp(o, count: outputs)
            let root = scale * exp(0.5 * (o[c] - logSumExp))  // √w √p_c
            for j in 0 ..< outputs { out[j] = -root * exp(o[j] - logSumExp) }
            out[c] += root
        case .squaredError:
            for j in 0 ..< outputs { out[j] = 0 }
            out[c] = scale * 2.0.squareRoot()
        }
    }

    private func classIndex(_ y: Double, outputs c: Int) -> Int {
        let label = Int(y)
        precondition(Double(label) == y && label >= 0 && label < c, "class \(y) out of range 0..<\(c)")
        return label
    }
}

/// log Σ_j exp(o_j), shifted by the largest o_j so that no exp overflows.
private func logSumExp(_ o: UnsafePointer<Double>, count c: Int) -> Double {
    var largest = o[0]
    for j in 1 ..< c { largest = max(largest, o[j]) }
    var total = 0.0
    for j in 0 ..< c { total += exp(o[j] - largest) }
    return largest + log(total)
}
