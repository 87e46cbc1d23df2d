import Foundation

/// Elementwise activations a = φ(z) with the first and second derivatives
/// the backward pass and the R-op need. Derivatives take both z and a = φ(z)
/// and use whichever is cheaper (tanh' = 1 − a²).
///
/// Buffers are flat: every function works on `count` entries, so a (n, H)
/// row-major matrix is passed as count = n·H.
extension Activation {
    /// φ(z), with softplus written as log(1 + e^z) without overflow.
    @inline(__always)
    func value(_ z: Double) -> Double {
        switch self {
        case .tanh: return Foundation.tanh(z)
        case .relu: return z > 0 ? z : 0
        case .softplus: return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
        case .identity: return z
        }
    }

    /// φ'(z).
    @inline(__always)
    func derivative(z: Double, a: Double) -> Double {
        switch self {
        case .tanh: return 1 - a * a
        case .relu: return z > 0 ? 1 : 0
        case .softplus: return sigmoid(z)
        case .identity: return 1
        }
    }

    /// φ''(z).
    @inline(__always)
    func secondDerivative(z: Double, a: Double) -> Double {
        switch self {
        case .tanh: return -2 * a * (1 - a * a)
        case .relu: return 0
        case .softplus:
            let s = sigmoid(z)
            return s * (1 - s)
        case .identity: return 0
        }
    }

    /// a (count) = φ(z). tanh and softplus are libm calls, about as costly per
    /// entry as the layer's product is per output on one core, so large
    /// buffers are split into fixed chunks over the cores.
    func forward(_ a: UnsafeMutablePointer<Double>, _ z: UnsafePointer<Double>, count: Int) {
        let chunk = 16_384
        let chunks = self == .identity || self == .relu ? 1 : (count + chunk - 1) / chunk
        guard chunks > 1 else {
            for i in 0 ..< count { a[i] = value(z[i]) }
            return
        }
        let buffers = UncheckedSendable((a, z))
        parallelChunks(chunks) { c in
            let (a, z) = buffers.value
            for i in c * chunk ..< min(count, (c + 1) * chunk) { a[i] = value(z[i]) }
        }
    }

    /// dz (count) += φ'(z) ⊙ da.
    func backward(
        _ dz: UnsafeMutablePointer<Double>, _ da: UnsafePointer<Double>,
        _ z: UnsafePointer<Double>, _ a: UnsafePointer<Double>, count: Int
    ) {
        for i in 0 ..< count { dz[i].addProduct(derivative(z: z[i], a: a[i]), da[i]) }
    }

    /// R-op forward: Ra (count) = φ'(z) ⊙ Rz.
    func forwardR(
        _ ra: UnsafeMutablePointer<Double>, _ rz: UnsafePointer<Double>,
        _ z: UnsafePointer<Double>, _ a: UnsafePointer<Double>, count: Int
    ) {
        for i in 0 ..< count { ra[i] = derivative(z: z[i], a: a[i]) * rz[i] }
    }

    /// R-op backward: R{dz} (count) = φ''(z) ⊙ Rz ⊙ da + φ'(z) ⊙ R{da}; rdz may be rz.
    func backwardR(
        _ rdz: UnsafeMutablePointer<Double>, _ rda: UnsafePointer<Double>, _ da: UnsafePointer<Double>,
        _ rz: UnsafePointer<Double>, _ z: UnsafePointer<Double>, _ a: UnsafePointer<Double>, count: Int
    ) {
        for i in 0 ..< count {
            let curvature = secondDerivative(z: z[i], a: a[i]) * rz[i]
            rdz[i] = curvature * da[i] + derivative(z: z[i], a: a[i]) * rda[i]
        }
    }
}

/// σ(z) = 1 / (1 + e^−z), without overflow for large |z|.
@inline(__always)
func sigmoid(_ z: Double) -> Double {
    if z >= 0 { return 1 / (1 + exp(-z)) }
    let e = exp(z)
    return e / (1 + e)
}
