/// A dense layer inside the flat parameter vector, PyTorch `nn.Linear` style,
/// and its forward, backward and R-op (forward-over-reverse) primitives.
///
/// Dimensions: n rows (one task's block of the batch), I inputs, O outputs.
///   a   (n, I) row-major   the layer's input
///   W   (O, I) row-major   weight, at w[weight ..< weight + O·I]
///   b   (O)                bias,   at w[bias ..< bias + O]
///   z   (n, O) row-major   z = a Wᵀ + b
/// R{·} is the directional derivative along the parameter direction v
/// (V_W, V_b are v's slices at the same offsets).
///
/// Following llm.c: outputs first, then inputs, then sizes; gradient buffers
/// start with `d` and backward passes accumulate (+=) into them.
struct DenseLayer: Equatable, Sendable {
    /// Offset of W (O, I) in the parameter vector.
    var weight: Int
    /// Offset of b (O) in the parameter vector.
    var bias: Int
    /// I.
    var inputs: Int
    /// O.
    var outputs: Int
    /// φ applied after the affine map; `.identity` for output layers.
    var activation: Activation
}

/// z (n, O) = a (n, I) · Wᵀ + b.
func denseForward(
    _ z: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>,
    _ weight: UnsafePointer<Double>, _ bias: UnsafePointer<Double>, n: Int, inputs: Int, outputs: Int
) {
    gemm(z, ldc: outputs, a, lda: inputs, weight, ldb: inputs, transposeB: true,
         m: n, n: outputs, k: inputs, accumulate: false)
    for r in 0 ..< n { axpy(z + r * outputs, 1, bias, count: outputs) }
}

/// dW (O, I) += dzᵀ a, db (O) += Σ_rows dz, da (n, I) += dz W.
/// Any of dW/db and da may be nil when the caller does not need it.
func denseBackward(
    _ da: UnsafeMutablePointer<Double>?, _ dWeight: UnsafeMutablePointer<Double>?, _ dBias: UnsafeMutablePointer<Double>?,
    _ dz: UnsafePointer<Double>, _ a: UnsafePointer<Double>, _ weight: UnsafePointer<Double>,
    n: Int, inputs: Int, outputs: Int
) {
    if let dWeight {
        gemm(dWeight, ldc: inputs, dz, lda: outputs, transposeA: true, a, ldb: inputs,
             m: outputs, n: inputs, k: n, accumulate: true)
    }
    if let dBias { addColumnSums(dBias, dz, ld: outputs, rows: n, n: outputs) }
    if let da {
        gemm(da, ldc: inputs, dz, lda: outputs, weight, ldb: inputs,
             m: n, n: inputs, k: outputs, accumulate: true)
    }
}

/// R-op forward: R{z} (n, O) = R{a} Wᵀ + a V_Wᵀ + V_b.
/// `ra` is nil when the input does not depend on the parameters (a = x).
func denseForwardR(
    _ rz: UnsafeMutablePointer<Double>, _ ra: UnsafePointer<Double>?, _ a: UnsafePointer<Double>,
    _ weight: UnsafePointer<Double>, _ vWeight: UnsafePointer<Double>, _ vBias: UnsafePointer<Double>,
    n: Int, inputs: Int, outputs: Int
) {
    denseForward(rz, a, vWeight, vBias, n: n, inputs: inputs, outputs: outputs)
    if let ra {
        gemm(rz, ldc: outputs, ra, lda: inputs, weight, ldb: inputs, transposeB: true,
             m: n, n: outputs, k: inputs, accumulate: true)
    }
}

/// R-op backward, the derivative of `denseBackward` along v:
///   R{dW} (O, I) += R{dz}ᵀ a + dzᵀ R{a}
///   R{db} (O)    += Σ_rows R{dz}
///   R{da} (n, I) += R{dz} W + dz V_W
/// `ra` is nil when the input does not depend on the parameters; `rda` is nil
/// when no layer lies below.
func denseBackwardR(
    _ rda: UnsafeMutablePointer<Double>?, _ rdWeight: UnsafeMutablePointer<Double>, _ rdBias: UnsafeMutablePointer<Double>,
    _ rdz: UnsafePointer<Double>, _ dz: UnsafePointer<Double>, _ a: UnsafePointer<Double>, _ ra: UnsafePointer<Double>?,
    _ weight: UnsafePointer<Double>, _ vWeight: UnsafePointer<Double>, n: Int, inputs: Int, outputs: Int
) {
    denseBackward(rda, rdWeight, rdBias, rdz, a, weight, n: n, inputs: inputs, outputs: outputs)
    if let ra {
        gemm(rdWeight, ldc: inputs, dz, lda: outputs, transposeA: true, ra, ldb: inputs,
             m: outputs, n: inputs, k: n, accumulate: true)
    }
    if let rda {
        gemm(rda, ldc: inputs, dz, lda: outputs, vWeight, ldb: inputs,
             m: n, n: inputs, k: outputs, accumulate: true)
    }
}
