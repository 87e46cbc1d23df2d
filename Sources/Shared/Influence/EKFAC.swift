import Foundation

/// Eigenvalue-corrected Kronecker-factored curvature (EK-FAC; George et al.
/// 2018, Grosse et al. 2023): a block-diagonal approximation of the
/// Gauss–Newton matrix of the training objective, one block per dense layer
/// (each trunk layer, every head or task layer, and the data-free centre
/// layers of soft sharing), each block diagonal in a Kronecker eigenbasis.
///
/// Dimensions: N rows, P parameters, R right-hand sides; per block a layer of
/// I inputs and O outputs, its parameters M = [W | b] (O, I+1); n rows of a
/// segment; C outputs of a row's task.
///
/// Mathematics. Row i of the objective has weight w_i (1/n_k) and outputs o_i;
/// its output Hessian ∇²_o ℓ = L_i L_iᵀ has the exact square root
///   cross-entropy: columns √p_c (e_c − p), c = 1..C  (Σ_c = diag(p) − ppᵀ)
///   squared error: columns √2 e_c                  (∇²_o ℓ = 2I)
/// Each column, scaled by √w_i, is propagated backwards through the
/// Gauss–Newton backward pass (φ' only) to every layer's pre-activations:
/// g_ic (O). With ā_i = (a_i, 1) the layer's input with a 1 for the bias,
/// the layer's Gauss–Newton block is exactly Σ_i Σ_c (g_ic ā_iᵀ)(g_ic ā_iᵀ)ᵀ
/// (vectorised). Its Kronecker factors
///   A = Σ_i w_i ā_i ā_iᵀ  (I+1, I+1)      G = Σ_i Σ_c g_ic g_icᵀ  (O, O)
/// give the eigenbases A = U_A S_A U_Aᵀ, G = U_G S_G U_Gᵀ (`SymmetricEigen`);
/// the eigenvalue correction replaces S_G ⊗ S_A by the exact second moment
/// of the gradients in that basis,
///   Λ_oj = Σ_i Σ_c ((U_Gᵀ g_ic ā_iᵀ U_A)_oj)² = Σ_i (Σ_c (U_Gᵀ g_ic)_o²)·((U_Aᵀ ā_i)_j)²,
/// plus the diagonal of ∇²Ω on the block (λ; with soft sharing λ + c on a
/// task layer and λ + Kc on a centre layer, exact because ∇²Ω is a multiple
/// of I on every block). A block's inverse-HVP with damping δ is
///   X = U_G [(U_Gᵀ V U_A) ⊘ (Λ + δ)] U_Aᵀ.
///
/// What it drops: every coupling between blocks, above all the head–trunk
/// (θ_k–γ) blocks C_k of the arrowhead H, and the Hessian's second-order
/// terms (it is a Gauss–Newton approximation whatever `--curvature` says).
/// It is exact for a model with one dense layer per task and squared error
/// (G = 2Σw_i·I is a multiple of I, so the block is A ⊗ 2I exactly) when the
/// blocks do not couple (one task, or soft sharing with c = 0).
///
/// Cost: two passes over the data (factors, then the correction), the
/// eigendecompositions ((I+1)³ per layer), and 4·O·(I+1)·(O + I+1) flops per
/// right-hand side and block to solve.
package struct EKFACFactors: Sendable, Equatable {
    package struct Block: Sendable, Equatable {
        /// The tensor prefix: `shared.0`, `head.<task>`, `center.0`, `task.<task>.1`.
        package var name: String
        /// Offsets of W (O, I) and b (O) in the parameter vector.
        var weight: Int
        var bias: Int
        /// I.
        package var inputs: Int
        /// O.
        package var outputs: Int
        /// (I+1, I+1) U_A, column j the eigenvector j.
        var inputBasis: [Double]
        /// (O, O) U_G.
        var outputBasis: [Double]
        /// (O, I+1) Λ, including the block's diagonal of ∇²Ω (not the damping).
        package var eigenvalues: [Double]

        var width: Int { inputs + 1 }
    }

    package var blocks: [Block]
    /// P.
    package var dimension: Int

    /// The factors of `model` at `parameters` on `batch` (its weights are the objective's).
    package static func compute(model: any MultitaskModel, parameters: [Double], batch: TaskBatch) throws -> EKFACFactors {
        guard let layered = model as? any LayeredModel else {
            throw MTIFError.usage("--solver ekfac needs a hard- or soft-sharing model of dense layers")
        }
        var factors = try EKFACFactors(skeleton: model.layout, layered)
        try factors.fit(layered, parameters, batch)
        return factors
    }

    /// The blocks of `layout` (pairs `X.weight`, `X.bias`) with empty factors.
    init(skeleton layout: ParameterLayout, _ model: any LayeredModel) throws {
        var blocks: [Block] = []
        var covered = 0
        for tensor in layout.tensors where tensor.name.hasSuffix(".weight") {
            let prefix = String(tensor.name.dropLast(".weight".count))
            guard tensor.shape.count == 2, let bias = layout.tensor(named: prefix + ".bias"),
                  bias.shape == [tensor.shape[0]]
            else {
                throw MTIFError.usage("--solver ekfac: tensor \(JSONValue.quoted(tensor.name)) is not a dense layer's weight with a bias")
            }
            let (o, i) = (tensor.shape[0], tensor.shape[1])
            blocks.append(Block(
                name: prefix, weight: tensor.offset, bias: bias.offset, inputs: i, outputs: o,
                inputBasis: identity(i + 1), outputBasis: identity(o), eigenvalues: [Double](repeating: 0, count: o * (i + 1))))
            covered += tensor.count + bias.count
        }
        guard covered == layout.count else {
            throw MTIFError.usage("--solver ekfac: the model has parameters outside dense layers (\(layout.count - covered) of \(layout.count))")
        }
        self.blocks = blocks
        self.dimension = layout.count
    }

    // MARK: Fitting

    private mutating func fit(_ model: any LayeredModel, _ w: [Double], _ batch: TaskBatch) throws {
        let byWeight = Dictionary(uniqueKeysWithValues: blocks.enumerated().map { ($1.weight, $0) })
        // Pass 1: the Kronecker factors.
        var a = blocks.map { [Double](repeating: 0, count: $0.width * $0.width) }  // (I+1, I+1) each
        var g = blocks.map { [Double](repeating: 0, count: $0.outputs * $0.outputs) }  // (O, O) each
        forEachSegment(model, w, batch, byWeight) { b, abar, scaledInput, columns, n, _ in
            let width = blocks[b].width, o = blocks[b].outputs
            _ = abar
            a[b].withUnsafeMutableBufferPointer { a in
                gemm(a.baseAddress!, ldc: width, scaledInput, lda: width, transposeA: true, scaledInput, ldb: width,
                     m: width, n: width, k: n, accumulate: true)
            }
            g[b].withUnsafeMutableBufferPointer { g in
                for column in columns {
                    gemm(g.baseAddress!, ldc: o, column, lda: o, transposeA: true, column, ldb: o,
                         m: o, n: o, k: n, accumulate: true)
                }
            }
        }
        for b in blocks.indices {
            guard let ea = SymmetricEigen(a[b], n: blocks[b].width), let eg = SymmetricEigen(g[b], n: blocks[b].outputs) else {
                throw MTIFError.computation(
                    "ekfac: the eigendecomposition of the Kronecker factors of \(blocks[b].name) did not converge (non-finite curvature)",
                    hint: "check that the parameters and the training data are finite")
            }
            blocks[b].inputBasis = ea.vectors
            blocks[b].outputBasis = eg.vectors
        }
        // Pass 2: the eigenvalue correction.
        var lambda = blocks.map { [Double](repeating: 0, count: $0.outputs * $0.width) }  // (O, I+1) each
        forEachSegment(model, w, batch, byWeight) { b, abar, _, columns, n, scratch in
            let block = blocks[b]
            let width = block.width, o = block.outputs
            let q = scratch.uninitialized(n * width)  // (n, I+1) (ā U_A)²
            block.inputBasis.withUnsafeBufferPointer { ua in
                gemm(q, ldc: width, abar, lda: width, ua.baseAddress!, ldb: width, m: n, n: width, k: width, accumulate: false)
            }
            for e in 0 ..< n * width { q[e] *= q[e] }
            let s = scratch.zeros(n * o)  // (n, O) Σ_c (g U_G)²
            let t = scratch.uninitialized(n * o)
            block.outputBasis.withUnsafeBufferPointer { ug in
                for column in columns {
                    gemm(t, ldc: o, column, lda: o, ug.baseAddress!, ldb: o, m: n, n: o, k: o, accumulate: false)
                    for e in 0 ..< n * o { s[e] += t[e] * t[e] }
                }
            }
            lambda[b].withUnsafeMutableBufferPointer { l in
                gemm(l.baseAddress!, ldc: width, s, lda: o, transposeA: true, q, ldb: width, m: o, n: width, k: n, accumulate: true)
            }
        }
        // ∇²Ω on each block: a multiple of I there, probed with the block's ones.
        var probe = [Double](repeating: 0, count: dimension)
        var response = [Double](repeating: 0, count: dimension)
        for b in blocks.indices {
            let block = blocks[b]
            let ranges = [block.weight ..< block.weight + block.outputs * block.inputs, block.bias ..< block.bias + block.outputs]
            for range in ranges { for j in range { probe[j] = 1 } }
            for j in response.indices { response[j] = 0 }
            probe.withUnsafeBufferPointer { v in
                response.withUnsafeMutableBufferPointer { r in model.addRegularizerHessian(v.baseAddress!, into: r.baseAddress!) }
            }
            let width = block.width
            for o in 0 ..< block.outputs {
                for j in 0 ..< block.inputs { lambda[b][o * width + j] += response[block.weight + o * block.inputs + j] }
                lambda[b][o * width + block.inputs] += response[block.bias + o]
            }
            for range in ranges { for j in range { probe[j] = 0 } }
            blocks[b].eigenvalues = lambda[b]
        }
    }

    /// For every chunk of the batch and every segment of its layer plan, calls
    /// `body(block, ā (n, I+1), √w ā (n, I+1), [g_c (n, O)] for each output
    /// column c, n, scratch)`, where g_c = √w_i × the Gauss–Newton backward
    /// pass of column c of row i's output-Hessian square root. Chunks and
    /// segments in row order, so sums are taken in a fixed order.
    private func forEachSegment(
        _ model: any LayeredModel, _ w: [Double], _ batch: TaskBatch, _ byWeight: [Int: Int],
        _ body: (Int, UnsafePointer<Double>, UnsafePointer<Double>, [UnsafePointer<Double>], Int, Scratch) -> Void
    ) {
        let loss = model.architecture.loss
        let maxOutputs = model.architecture.maxOutputs
        w.withUnsafeBufferPointer { wb in
            batch.x.withUnsafeBufferPointer { xb in
                for start in stride(from: 0, to: batch.count, by: LayeredPasses.rowsPerChunk) {
                    let range = start ..< min(start + LayeredPasses.rowsPerChunk, batch.count)
                    let plan = LayerPlan(networks: model.networks, taskRanges: batch.taskRanges, range: range, features: batch.features)
                    Scratch.with { scratch in
                        let w = wb.baseAddress!
                        let trace = model.forward(w, xb.baseAddress! + start * batch.features, plan, scratch)
                        let top = plan.depth - 1
                        // dz of every depth for each output-Hessian column c.
                        var deltas: [[UnsafeMutablePointer<Double>]] = []
                        for c in 0 ..< maxOutputs {
                            let dOutput = scratch.zeros(plan.sizes[top])
                            for segment in plan.segments[top] {
                                let width = segment.layer.outputs
                                guard c < width else { continue }
                                for (j, i) in segment.rows.enumerated() {
                                    let o = trace.a[top] + segment.offset + j * width
                                    let out = dOutput + segment.offset + j * width
                                    let root = batch.weights[start + i].squareRoot()
                                    loss.hessianRootColumn(out, o, column: c, outputs: width, scale: root)
                                }
                            }
                            deltas.append(model.backward(nil, dOutput, trace, w, scratch).dz)
                        }
                        for l in 0 ..< plan.depth {
                            for segment in plan.segments[l] {
                                guard let b = byWeight[segment.layer.weight] else { continue }
                                let n = segment.rows.count, inputs = segment.layer.inputs, width = inputs + 1
                                let input = trace.input(l, segment)
                                let abar = scratch.uninitialized(n * width)  // (n, I+1)
                                let scaled = scratch.uninitialized(n * width)  // (n, I+1) √w_i ā_i
                                for j in 0 ..< n {
                                    let root = batch.weights[start + segment.rows.lowerBound + j].squareRoot()
                                    (abar + j * width).update(from: input + j * inputs, count: inputs)
                                    abar[j * width + inputs] = 1
                                    for e in 0 ..< width { scaled[j * width + e] = root * abar[j * width + e] }
                                }
                                let columns = (0 ..< min(maxOutputs, l == top ? segment.layer.outputs : maxOutputs)).map {
                                    UnsafePointer(deltas[$0][l] + segment.offset)
                                }
                                body(b, abar, scaled, columns, n, scratch)
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Solving

    /// The smallest Λ over all blocks (the approximation's λ_min, before δ).
    package var smallestEigenvalue: Double {
        blocks.map { $0.eigenvalues.min() ?? .infinity }.min() ?? .infinity
    }

    /// out[r] = (EK-FAC + δI)⁻¹ x[r] for every r in `rows` of the (R, P)
    /// buffers; other rows of `out` are left as they are.
    package func solve(_ x: [Double], rows: [Int], damping: Double, into out: inout [Double]) {
        let p = dimension
        precondition(x.count == out.count && x.count % max(p, 1) == 0)
        let r = rows.count
        guard r > 0 else { return }
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                Scratch.with { scratch in
                    for block in blocks {
                        solveBlock(block, xb.baseAddress!, ob.baseAddress!, rows, damping, p, scratch)
                    }
                }
            }
        }
    }

    /// Solves every row of `rhs` (count, P).
    package func solve(_ rhs: [Double], count: Int, damping: Double) -> [Double] {
        var out = [Double](repeating: 0, count: rhs.count)
        solve(rhs, rows: Array(0 ..< count), damping: damping, into: &out)
        return out
    }

    private func solveBlock(
        _ block: Block, _ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ rows: [Int],
        _ damping: Double, _ p: Int, _ scratch: Scratch
    ) {
        let r = rows.count, o = block.outputs, inputs = block.inputs, width = block.width
        let size = o * width
        let v = scratch.uninitialized(r * size)  // (R·O, I+1) the block of each row as [W | b]
        for (k, row) in rows.enumerated() {
            let source = x + row * p
            for e in 0 ..< o {
                (v + k * size + e * width).update(from: source + block.weight + e * inputs, count: inputs)
                v[k * size + e * width + inputs] = source[block.bias + e]
            }
        }
        let t = scratch.uninitialized(r * size)  // (R·O, I+1)
        block.outputBasis.withUnsafeBufferPointer { ug in
            block.inputBasis.withUnsafeBufferPointer { ua in
                block.eigenvalues.withUnsafeBufferPointer { lambda in
                    let ug = ug.baseAddress!, ua = ua.baseAddress!
                    for k in 0 ..< r {  // U_Gᵀ V
                        gemm(t + k * size, ldc: width, ug, lda: o, transposeA: true, v + k * size, ldb: width,
                             m: o, n: width, k: o, accumulate: false)
                    }
                    gemm(v, ldc: width, t, lda: width, ua, ldb: width, m: r * o, n: width, k: width, accumulate: false)  // · U_A
                    for k in 0 ..< r {
                        for e in 0 ..< size { v[k * size + e] /= lambda[e] + damping }
                    }
                    gemm(t, ldc: width, v, lda: width, ua, ldb: width, transposeB: true, m: r * o, n: width, k: width, accumulate: false)  // · U_Aᵀ
                    for k in 0 ..< r {  // U_G ·
                        gemm(v + k * size, ldc: width, ug, lda: o, t + k * size, ldb: width, m: o, n: width, k: o, accumulate: false)
                    }
                }
            }
        }
        for (k, row) in rows.enumerated() {
            let target = out + row * p
            for e in 0 ..< o {
                (target + block.weight + e * inputs).update(from: v + k * size + e * width, count: inputs)
                target[block.bias + e] = v[k * size + e * width + inputs]
            }
        }
    }
}

/// (n, n) the identity.
private func identity(_ n: Int) -> [Double] {
    var m = [Double](repeating: 0, count: n * n)
    for i in 0 ..< n { m[i * n + i] = 1 }
    return m
}
