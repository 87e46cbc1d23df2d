/// The forward pass, backward pass, exact Hessian-vector products (R-op) and
/// per-example gradients shared by both sharing schemes. A model only says
/// which dense layers each task's rows go through and what its regulariser Ω
/// is; everything else is here, as matrix products over whole segments of
/// rows (see `LayerPlan`): the batch is cut into chunks of at most
/// `LayeredPasses.rowsPerChunk` rows, and Hessian-vector products take up to
/// `LayeredPasses.directionsPerGroup` directions through one pass.
///
/// Dimensions:
///   N  rows of the batch            n  rows of a chunk or segment
///   D  input features               K  tasks
///   C  outputs of the task's net    P  parameters
///   R  directions of a batched HVP
///   I_l, O_l  inputs and outputs of layer l (I_0 = D, O_last = C)
/// Per layer l, over a segment's n rows:
///   a_{l-1} (n, I_l)  input (a_{-1} = x)      z_l (n, O_l) = a_{l-1} W_lᵀ + b_l
///   a_l     (n, O_l)  = φ_l(z_l)               dz_l (n, O_l) = ∂(Σ weight·ℓ)/∂z_l
///   R{z_l}, R{a_l}, R{dz_l}  (n, R, O_l)       R{·} the derivative along each direction
protocol LayeredModel: MultitaskModel {
    /// (K) the dense layers task k's rows pass through, input to output.
    var networks: [[DenseLayer]] { get }
    /// Returns Ω(w) and adds ∇Ω(w) into `gradient` (P).
    func addRegularizer(_ w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>) -> Double
    /// result (P) += ∇²Ω · v.
    func addRegularizerHessian(_ v: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>)
}

enum LayeredPasses {
    /// Rows per chunk: bounds the memory of a pass (a batched R-op holds a few
    /// (n, R, O) buffers) while keeping every product large. Fixed, so sums
    /// over rows are taken in the same order whatever the batch or R.
    static let rowsPerChunk = 1024
    /// Directions per batched R-op pass.
    static let directionsPerGroup = 32
}

extension LayeredModel {
    // MARK: Protocol requirements

    package func outputs(_ w: [Double], _ batch: TaskBatch) -> [Double] {
        check(w, batch)
        let width = architecture.maxOutputs
        var result = [Double](repeating: 0, count: batch.count * width)  // (N, maxOutputs) row-major
        forEachChunk(w, batch) { w, x, start, plan, scratch in
            let trace = forward(w, x, plan, scratch)
            forEachOutputRow(trace) { i, o, c in
                result.withUnsafeMutableBufferPointer {
                    ($0.baseAddress! + (start + i) * width).update(from: o, count: c)
                }
            }
        }
        return result
    }

    package func perExampleLosses(_ w: [Double], _ batch: TaskBatch) -> [Double] {
        check(w, batch)
        var result = [Double](repeating: 0, count: batch.count)  // (N)
        let loss = architecture.loss
        forEachChunk(w, batch) { w, x, start, plan, scratch in
            let trace = forward(w, x, plan, scratch)
            forEachOutputRow(trace) { i, o, c in
                result[start + i] = loss.evaluate(o, outputs: c, target: batch.targets[start + i])
            }
        }
        return result
    }

    package func objective(_ w: [Double], _ batch: TaskBatch, regularized: Bool, gradient: inout [Double]) -> Double {
        check(w, batch)
        let loss = architecture.loss
        var result = [Double](repeating: 0, count: layout.count)  // (P)
        var total = 0.0
        result.withUnsafeMutableBufferPointer { g in
            let g = g.baseAddress!
            forEachChunk(w, batch) { w, x, start, plan, scratch in
                let trace = forward(w, x, plan, scratch)
                // Σ weight_i ℓ_i and dO = weight_i ∂ℓ_i/∂o.
                let dOutput = scratch.zeros(plan.sizes[plan.depth - 1])
                forEachOutputRow(trace) { i, o, c in
                    let weight = batch.weights[start + i]
                    let value = loss.evaluate(
                        o, outputs: c, target: batch.targets[start + i], scale: weight,
                        gradient: dOutput + (o - UnsafePointer(trace.a[plan.depth - 1])))
                    total.addProduct(weight, value)
                }
                _ = backward(g, dOutput, trace, w, scratch)
            }
            if regularized {
                w.withUnsafeBufferPointer { total += addRegularizer($0.baseAddress!, gradient: g) }
            }
        }
        gradient = result
        return total
    }

    package func hessianVectorProduct(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], into result: inout [Double]
    ) {
        precondition(v.count == layout.count, "direction has \(v.count) entries, the model \(layout.count)")
        hessianVectorProducts(w, batch, regularized: regularized, v, count: 1, into: &result)
    }

    package func hessianVectorProducts(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], count: Int, curvature: Curvature,
        precision: GemmPrecision, cache: ForwardPassCache?, into result: inout [Double]
    ) {
        check(w, batch)
        let p = layout.count
        precondition(v.count == count * p, "directions have \(v.count) entries, not \(count) × \(p)")
        let loss = architecture.loss
        // (R, P); products accumulate over chunks, so it starts at zero (reused when it has the size).
        if result.count == count * p {
            result.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        } else {
            result = [Double](repeating: 0, count: count * p)
        }
        w.withUnsafeBufferPointer { cache?.prepare(w: $0.baseAddress!, count: p) }
        v.withUnsafeBufferPointer { v in
            result.withUnsafeMutableBufferPointer { out in
                for first in stride(from: 0, to: count, by: LayeredPasses.directionsPerGroup) {
                    let r = min(LayeredPasses.directionsPerGroup, count - first)
                    let vs = v.baseAddress! + first * p, hv = out.baseAddress! + first * p
                    forEachChunk(w, batch) { w, x, start, plan, scratch in
                        addHessianProducts(hv, w, vs, directions: r, x, start: start, batch, plan, loss,
                                           gaussNewton: curvature == .ggn, precision: precision, cache: cache, scratch)
                    }
                    if regularized {
                        for d in 0 ..< r { addRegularizerHessian(vs + d * p, into: hv + d * p) }
                    }
                }
            }
        }
    }

    package func perExampleGradients(_ w: [Double], _ batch: TaskBatch, into result: inout [Double]) {
        result = [Double](repeating: 0, count: batch.count * layout.count)  // (N, P) row-major
        result.withUnsafeMutableBufferPointer { out in
            writePerExampleGradients(w, batch, columns: .dense(layout), destination: Array(0 ..< batch.count),
                                     into: out.baseAddress!)
        }
    }

    package func writePerExampleGradients(
        _ w: [Double], _ batch: TaskBatch, columns: GradientColumns, destination: [Int],
        into out: UnsafeMutablePointer<Double>
    ) {
        precondition(destination.count == batch.count)
        let taskOf = batch.taskOfRow
        forEachChunkOfExampleDeltas(w, batch) { start, trace, deltas, _ in
            let rows = (0 ..< trace.plan.rows).map { (row: out + destination[start + $0] * columns.width, task: taskOf[start + $0]) }
            writeOuterProducts(rows, columns, deltas, trace)
        }
    }

    // MARK: Chunks

    /// Runs `body(start, trace, dz, scratch)` for each chunk after its forward
    /// pass and the backward pass of the unweighted per-example losses: dz_l
    /// holds ∂ℓ_i/∂z_l of each row i alone, so row i's weight gradient at
    /// depth l is dz_l[i] ⊗ a_{l-1}[i].
    func forEachChunkOfExampleDeltas(
        _ w: [Double], _ batch: TaskBatch, _ body: (Int, Trace, [UnsafeMutablePointer<Double>], Scratch) -> Void
    ) {
        check(w, batch)
        let loss = architecture.loss
        forEachChunk(w, batch) { w, x, start, plan, scratch in
            let trace = forward(w, x, plan, scratch)
            let dOutput = scratch.zeros(plan.sizes[plan.depth - 1])  // unweighted ∂ℓ_i/∂o
            let top = UnsafePointer(trace.a[plan.depth - 1])
            forEachOutputRow(trace) { i, o, c in
                _ = loss.evaluate(o, outputs: c, target: batch.targets[start + i], gradient: dOutput + (o - top))
            }
            body(start, trace, backward(nil, dOutput, trace, w, scratch).dz, scratch)
        }
    }

    private func check(_ w: [Double], _ batch: TaskBatch) {
        precondition(w.count == layout.count, "parameters have \(w.count) entries, the model \(layout.count)")
        precondition(batch.features == architecture.inputs, "batch has \(batch.features) features, the model \(architecture.inputs)")
        precondition(batch.x.count == batch.count * batch.features, "batch x is not (N, D)")
        precondition(batch.weights.count == batch.count, "batch has \(batch.weights.count) weights for \(batch.count) rows")
        precondition(batch.taskRanges.count == networks.count, "batch has \(batch.taskRanges.count) tasks, the model \(networks.count)")
    }

    /// Runs `body(w, x, start, plan, scratch)` for each chunk of the batch in
    /// row order, x pointing at the chunk's first row and `start` its index.
    private func forEachChunk(
        _ w: [Double], _ batch: TaskBatch,
        _ body: (UnsafePointer<Double>, UnsafePointer<Double>, Int, LayerPlan, Scratch) -> Void
    ) {
        w.withUnsafeBufferPointer { w in
            batch.x.withUnsafeBufferPointer { x in
                for start in stride(from: 0, to: batch.count, by: LayeredPasses.rowsPerChunk) {
                    let range = start ..< min(start + LayeredPasses.rowsPerChunk, batch.count)
                    let plan = LayerPlan(
                        networks: networks, taskRanges: batch.taskRanges, range: range, features: batch.features)
                    Scratch.with { scratch in
                        body(w.baseAddress!, x.baseAddress! + start * batch.features, start, plan, scratch)
                    }
                }
            }
        }
    }

    /// Calls `body(i, o, C)` for each row i of the chunk with its outputs o (C).
    private func forEachOutputRow(_ trace: Trace, _ body: (Int, UnsafePointer<Double>, Int) -> Void) {
        let top = trace.plan.depth - 1
        for segment in trace.plan.segments[top] {
            let c = segment.layer.outputs
            for (j, i) in segment.rows.enumerated() { body(i, trace.a[top] + segment.offset + j * c, c) }
        }
    }

    // MARK: Passes over one chunk

    /// Forward through every depth of the plan for the chunk's rows x (n, D).
    func forward(_ w: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ plan: LayerPlan, _ scratch: Scratch) -> Trace {
        var trace = Trace(plan: plan, x: x)
        for l in 0 ..< plan.depth {
            let z = scratch.zeros(plan.sizes[l])
            let a = scratch.zeros(plan.sizes[l])
            trace.z.append(z)
            trace.a.append(a)
            for segment in plan.segments[l] {
                let layer = segment.layer
                let count = segment.rows.count * layer.outputs
                denseForward(z + segment.offset, trace.input(l, segment), w + layer.weight, w + layer.bias,
                             n: segment.rows.count, inputs: layer.inputs, outputs: layer.outputs)
                layer.activation.forward(a + segment.offset, z + segment.offset, count: count)
            }
        }
        return trace
    }

    /// Backward from dOutput = ∂/∂o (the last depth's layout). Adds the
    /// parameter gradient into `gradient` (P) unless it is nil, and returns
    /// dz_l of every depth and da_l = ∂/∂a_l of every depth below the last.
    func backward(
        _ gradient: UnsafeMutablePointer<Double>?, _ dOutput: UnsafeMutablePointer<Double>, _ trace: Trace,
        _ w: UnsafePointer<Double>, _ scratch: Scratch
    ) -> (dz: [UnsafeMutablePointer<Double>], da: [UnsafeMutablePointer<Double>]) {
        let plan = trace.plan
        var dz = [UnsafeMutablePointer<Double>](repeating: dOutput, count: plan.depth)
        var da = [UnsafeMutablePointer<Double>](repeating: dOutput, count: plan.depth)
        for l in (0 ..< plan.depth).reversed() {
            // The output layer is linear, so dz of the last depth is dOutput.
            let below = l > 0 ? scratch.zeros(plan.sizes[l - 1]) : nil  // da_{l-1} = dz_l W_l
            for segment in plan.segments[l] {
                let layer = segment.layer
                denseBackward(below.map { $0 + segment.rows.lowerBound * layer.inputs },
                              gradient.map { $0 + layer.weight }, gradient.map { $0 + layer.bias },
                              dz[l] + segment.offset, trace.input(l, segment), w + layer.weight,
                              n: segment.rows.count, inputs: layer.inputs, outputs: layer.outputs)
            }
            guard let below else { break }
            let dzBelow = scratch.zeros(plan.sizes[l - 1])  // φ'(z_{l-1}) ⊙ da_{l-1}
            for segment in plan.segments[l - 1] {
                let o = segment.offset
                segment.layer.activation.backward(
                    dzBelow + o, below + o, trace.z[l - 1] + o, trace.a[l - 1] + o,
                    count: segment.rows.count * segment.layer.outputs)
            }
            da[l - 1] = below
            dz[l - 1] = dzBelow
        }
        return (dz, da)
    }

    /// hv (R, P) += R{∇ Σ_rows weight_i ℓ_i} along each of the R directions
    /// v (R, P), by forward-over-reverse through the chunk: the forward and
    /// backward passes once, then the R forward pass, the loss's Hessian in o
    /// and the R backward pass for all R directions together. Each layer's
    /// R-products are single matrix products over (n·R) rows or R·O columns.
    ///
    /// `gaussNewton`: Jᵀ ∇²_o ℓ J v instead, i.e. the same R forward pass
    /// (J v) and loss Hessian, then the ordinary backward pass of R{dO}: the
    /// terms that carry the first-order signal dz (dzᵀR{a}, dz V_W, φ''(z))
    /// are dropped, and so is the first backward pass.
    private func addHessianProducts(
        _ hv: UnsafeMutablePointer<Double>, _ w: UnsafePointer<Double>, _ v: UnsafePointer<Double>,
        directions r: Int, _ x: UnsafePointer<Double>, start: Int, _ batch: TaskBatch, _ plan: LayerPlan,
        _ loss: LossKind, gaussNewton: Bool, precision: GemmPrecision, cache: ForwardPassCache?, _ scratch: Scratch
    ) {
        let p = layout.count
        let top = plan.depth - 1
        var trace = Trace(plan: plan, x: x)
        if let cached = cache?.entry(start: start) {
            (trace.z, trace.a) = (cached.z, cached.a)
        } else {
            trace = forward(w, x, plan, scratch)
            cache?.store(start: start, sizes: plan.sizes, z: trace.z, a: trace.a)
        }
        var dz: [UnsafeMutablePointer<Double>] = [], da: [UnsafeMutablePointer<Double>] = []
        if !gaussNewton {
            let dOutput = scratch.zeros(plan.sizes[top])  // weight ∂ℓ/∂o
            forEachOutputRow(trace) { i, o, c in
                _ = loss.evaluate(o, outputs: c, target: batch.targets[start + i], scale: batch.weights[start + i],
                                  gradient: dOutput + (o - UnsafePointer(trace.a[top])))
            }
            (dz, da) = backward(nil, dOutput, trace, w, scratch)
        }

        // R forward: R{z_l} = a_{l-1} V_lᵀ + V_b + R{a_{l-1}} W_lᵀ, R{a_l} = φ'(z_l) ⊙ R{z_l}; R{x} = 0.
        // The loops around the products only move memory; they run over the
        // cores in fixed ranges of independent items (rows or directions).
        // Buffers are reused once their contents are dead, which bounds a
        // chunk's memory: V_W stacked for the forward product becomes the
        // backward R{dz}ᵀ a block of the same layer, R{a_{l-1}} becomes
        // R{da_{l-1}}, and R{z_{l-1}} becomes R{dz_{l-1}}.
        var rz: [UnsafeMutablePointer<Double>] = []
        var ra: [UnsafeMutablePointer<Double>] = []
        var stacks: [[UnsafeMutablePointer<Double>]] = []  // per depth and segment, (R·O, I)
        for l in 0 ..< plan.depth {
            let rzl = scratch.uninitialized(plan.sizes[l] * r)  // every segment's first product overwrites its rows
            let ral = scratch.uninitialized(plan.sizes[l] * r)
            stacks.append([])
            for segment in plan.segments[l] {
                let layer = segment.layer
                let n = segment.rows.count, inputs = layer.inputs, outputs = layer.outputs
                let rzs = rzl + segment.offset * r  // (n, R, O)
                let stacked = scratch.uninitialized(r * outputs * inputs)  // (R·O, I): V_W of each direction
                stacks[l].append(stacked)
                let copy = UncheckedSendable((stacked, v))
                parallelRanges(r, costPerItem: outputs * inputs) { directions in
                    let (stacked, v) = copy.value
                    for d in directions {
                        (stacked + d * outputs * inputs).update(from: v + d * p + layer.weight, count: outputs * inputs)
                    }
                }
                gemm(rzs, ldc: r * outputs, trace.input(l, segment), lda: inputs, stacked, ldb: inputs, transposeB: true,
                     m: n, n: r * outputs, k: inputs, accumulate: false, precision: precision)
                if l > 0 {
                    gemm(rzs, ldc: outputs, ra[l - 1] + segment.rows.lowerBound * r * inputs, lda: inputs,
                         w + layer.weight, ldb: inputs, transposeB: true,
                         m: n * r, n: outputs, k: inputs, accumulate: true, precision: precision)
                }
                let rows = UncheckedSendable((rzs, ral + segment.offset * r, trace.z[l] + segment.offset,
                                              trace.a[l] + segment.offset, v))
                parallelRanges(n, costPerItem: r * outputs) { range in
                    let (rzs, ras, z, a, v) = rows.value
                    for i in range {
                        for d in 0 ..< r {
                            let at = (i * r + d) * outputs
                            axpy(rzs + at, 1, v + d * p + layer.bias, count: outputs)
                            layer.activation.forwardR(ras + at, rzs + at, z + i * outputs, a + i * outputs, count: outputs)
                        }
                    }
                }
            }
            rz.append(rzl)
            ra.append(ral)
        }

        // Loss: R{dO} = weight ∇²_o ℓ R{o}.
        // Rows are independent: fixed ranges of them run on the cores.
        var rdz = scratch.uninitialized(plan.sizes[top] * r)  // every entry written below
        for segment in plan.segments[top] {
            let c = segment.layer.outputs
            let rows = UncheckedSendable((rdz, trace.a[top], ra[top], batch.weights))
            let (offset, first) = (segment.offset, start + segment.rows.lowerBound)
            parallelRanges(segment.rows.count, costPerItem: r * c * 4) { range in
                let (rdz, outputs, ra, weights) = rows.value
                for j in range {
                    let at = offset * r + j * r * c
                    loss.hessianProducts(rdz + at, outputs + offset + j * c, ra + at, count: r, outputs: c,
                                         scale: weights[first + j])
                }
            }
        }

        // R backward, top to bottom:
        //   R{dW} += R{dz}ᵀ a + dzᵀ R{a},  R{db} += Σ_rows R{dz},  R{da} = R{dz} W + dz V_W,
        //   R{dz_{l-1}} = φ''(z) R{z} ⊙ da + φ'(z) ⊙ R{da}.
        for l in (0 ..< plan.depth).reversed() {
            // (n, R, I_l): R{a_{l-1}}'s rows, each segment overwrites its own after reading them for dzᵀ R{a}.
            let rdaBelow = l > 0 ? ra[l - 1] : nil
            for (index, segment) in plan.segments[l].enumerated() {
                let layer = segment.layer
                let n = segment.rows.count, inputs = layer.inputs, outputs = layer.outputs
                let rdzs = rdz + segment.offset * r             // (n, R, O)
                let dzs = gaussNewton ? nil : UnsafePointer(dz[l] + segment.offset)  // (n, O)
                let input = trace.input(l, segment)              // (n, I)
                let block = stacks[l][index]  // (R·O, I) R{dz}ᵀ a, over V_W stacked
                gemm(block, ldc: inputs, rdzs, lda: r * outputs, transposeA: true, input, ldb: inputs,
                     m: r * outputs, n: inputs, k: n, accumulate: false, precision: precision)
                let cross = l > 0 && !gaussNewton ? scratch.uninitialized(outputs * r * inputs) : nil  // (O, R·I) dzᵀ R{a}
                if let cross, let dzs {
                    gemm(cross, ldc: r * inputs, dzs, lda: outputs, transposeA: true,
                         ra[l - 1] + segment.rows.lowerBound * r * inputs, ldb: r * inputs,
                         m: outputs, n: r * inputs, k: n, accumulate: false, precision: precision)
                }
                let sums = UncheckedSendable((hv, block, cross, rdzs))
                parallelRanges(r, costPerItem: outputs * inputs) { directions in
                    let (hv, block, cross, rdzs) = sums.value
                    for d in directions {
                        let dW = hv + d * p + layer.weight, db = hv + d * p + layer.bias
                        axpy(dW, 1, block + d * outputs * inputs, count: outputs * inputs)
                        if let cross {
                            for o in 0 ..< outputs { axpy(dW + o * inputs, 1, cross + (o * r + d) * inputs, count: inputs) }
                        }
                        for i in 0 ..< n { axpy(db, 1, rdzs + (i * r + d) * outputs, count: outputs) }
                    }
                }
                guard let rdaBelow else { continue }
                let rdas = rdaBelow + segment.rows.lowerBound * r * inputs  // (n, R, I)
                gemm(rdas, ldc: inputs, rdzs, lda: outputs, w + layer.weight, ldb: inputs,
                     m: n * r, n: inputs, k: outputs, accumulate: false, precision: precision)
                guard let dzs else { continue }
                let columns = scratch.uninitialized(outputs * r * inputs)  // (O, R·I): V_W of each direction side by side
                for o in 0 ..< outputs {
                    for d in 0 ..< r {
                        (columns + (o * r + d) * inputs).update(from: v + d * p + layer.weight + o * inputs, count: inputs)
                    }
                }
                gemm(rdas, ldc: r * inputs, dzs, lda: outputs, columns, ldb: r * inputs,
                     m: n, n: r * inputs, k: outputs, accumulate: true, precision: precision)
            }
            guard let rdaBelow else { break }
            let next = rz[l - 1]  // R{dz_{l-1}} overwrites R{z_{l-1}} entry by entry
            for segment in plan.segments[l - 1] {
                let width = segment.layer.outputs, activation = segment.layer.activation
                let rows = UncheckedSendable((next, rdaBelow, gaussNewton ? nil : da[l - 1], rz[l - 1], trace.z[l - 1], trace.a[l - 1]))
                let offset = segment.offset
                parallelRanges(segment.rows.count, costPerItem: r * width) { range in
                    let (next, rda, da, rz, z, a) = rows.value
                    for i in range {
                        let at = offset + i * width
                        for d in 0 ..< r {
                            let rat = offset * r + (i * r + d) * width
                            if let da {
                                activation.backwardR(next + rat, rda + rat, da + at, rz + rat, z + at, a + at, count: width)
                            } else {
                                (next + rat).update(repeating: 0, count: width)
                                activation.backward(next + rat, rda + rat, z + at, a + at, count: width)
                            }
                        }
                    }
                }
            }
            rdz = next
        }
    }

    /// For each row i of the chunk, its gradient row `rows[i]` (zeroed first):
    /// W_l's slice = dz_l[i] ⊗ a_{l-1}[i], b_l's = dz_l[i], at the columns
    /// `columns` gives them. Rows are split into fixed chunks written by
    /// separate threads when the chunk is large.
    private func writeOuterProducts(
        _ rows: [(row: UnsafeMutablePointer<Double>, task: Int)], _ columns: GradientColumns,
        _ deltas: [UnsafeMutablePointer<Double>], _ trace: Trace
    ) {
        let n = trace.plan.rows
        let chunks = Double(n) * Double(columns.width) < 1e6 ? 1 : min(Gemm.defaultThreads, n)
        let rowsPerChunk = (n + chunks - 1) / chunks
        let shared = UncheckedSendable((rows, deltas, trace))
        parallelChunks(chunks) { chunk in
            let (rows, deltas, trace) = shared.value
            let mine = chunk * rowsPerChunk ..< min(n, (chunk + 1) * rowsPerChunk)
            for i in mine { rows[i].row.update(repeating: 0, count: columns.width) }
            for l in 0 ..< trace.plan.depth {
                for segment in trace.plan.segments[l] {
                    let layer = segment.layer
                    let input = trace.input(l, segment)
                    for i in segment.rows.clamped(to: mine) {
                        let j = i - segment.rows.lowerBound
                        let (row, task) = rows[i]
                        let weight = row + columns.column(layer.weight, task: task)
                        let delta = deltas[l] + segment.offset + j * layer.outputs  // (O_l)
                        for o in 0 ..< layer.outputs {
                            scaled(weight + o * layer.inputs, delta[o], input + j * layer.inputs, count: layer.inputs)
                        }
                        (row + columns.column(layer.bias, task: task)).update(from: delta, count: layer.outputs)
                    }
                }
            }
        }
    }
}
