/// The forward pass, backward pass, exact Hessian-vector product (R-op) and
/// per-example gradients shared by both sharing schemes. A model only says
/// which dense layers each task's rows go through and what its regulariser Ω
/// is; everything else is here, batched over each task's block of rows.
///
/// Dimensions:
///   N  rows of the batch            n  rows of one task's block
///   D  input features               K  tasks
///   C  outputs of the task's net    P  parameters
///   I_l, O_l  inputs and outputs of layer l (I_0 = D, O_last = C)
/// Per layer l of a task's network, over the task's n rows:
///   a_{l-1} (n, I_l)  input (a_{-1} = x)      z_l (n, O_l) = a_{l-1} W_lᵀ + b_l
///   a_l     (n, O_l)  = φ_l(z_l)               dz_l (n, O_l) = ∂(Σ weight·ℓ)/∂z_l
protocol LayeredModel: MultitaskModel {
    /// (K) the dense layers task k's rows pass through, input to output.
    var networks: [[DenseLayer]] { get }
    /// Returns Ω(w) and adds ∇Ω(w) into `gradient` (P).
    func addRegularizer(_ w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>) -> Double
    /// result (P) += ∇²Ω · v.
    func addRegularizerHessian(_ v: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>)
}

/// One task block's forward pass, kept for the backward passes. The buffers
/// belong to the Scratch that made them.
struct Trace {
    /// (n, D) the block's rows of batch.x.
    var input: UnsafePointer<Double>
    /// Per layer (n, O_l) pre-activations z_l.
    var z: [UnsafeMutablePointer<Double>]
    /// Per layer (n, O_l) activations a_l; the same buffer as z_l for identity layers.
    var a: [UnsafeMutablePointer<Double>]

    /// (n, I_l) the input of layer l.
    func input(of l: Int) -> UnsafePointer<Double> { l == 0 ? input : UnsafePointer(a[l - 1]) }
    /// (n, C) the network's outputs.
    var output: UnsafePointer<Double> { UnsafePointer(a[a.count - 1]) }
}

extension LayeredModel {
    // MARK: Protocol requirements

    package func outputs(_ w: [Double], _ batch: TaskBatch) -> [Double] {
        check(w, batch)
        let width = architecture.maxOutputs
        var result = [Double](repeating: 0, count: batch.count * width)  // (N, maxOutputs) row-major
        w.withUnsafeBufferPointer { w in
            batch.x.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { result in
                    Scratch.with { scratch in
                        forEachTask(batch) { k, rows in
                            let layers = networks[k]
                            let c = layers.last!.outputs
                            let trace = forward(w.baseAddress!, x.baseAddress! + rows.lowerBound * batch.features,
                                                n: rows.count, layers, scratch)
                            for i in 0 ..< rows.count {
                                (result.baseAddress! + (rows.lowerBound + i) * width)
                                    .update(from: trace.output + i * c, count: c)
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    package func perExampleLosses(_ w: [Double], _ batch: TaskBatch) -> [Double] {
        check(w, batch)
        var result = [Double](repeating: 0, count: batch.count)  // (N)
        let loss = architecture.loss
        w.withUnsafeBufferPointer { w in
            batch.x.withUnsafeBufferPointer { x in
                Scratch.with { scratch in
                    forEachTask(batch) { k, rows in
                        let layers = networks[k]
                        let c = layers.last!.outputs
                        let trace = forward(w.baseAddress!, x.baseAddress! + rows.lowerBound * batch.features,
                                            n: rows.count, layers, scratch)
                        for i in 0 ..< rows.count {
                            result[rows.lowerBound + i] = loss.evaluate(
                                trace.output + i * c, outputs: c, target: batch.targets[rows.lowerBound + i])
                        }
                    }
                }
            }
        }
        return result
    }

    package func objective(_ w: [Double], _ batch: TaskBatch, regularized: Bool, gradient: inout [Double]) -> Double {
        check(w, batch)
        let loss = architecture.loss
        gradient = [Double](repeating: 0, count: layout.count)  // (P)
        var total = 0.0
        w.withUnsafeBufferPointer { w in
            batch.x.withUnsafeBufferPointer { x in
                gradient.withUnsafeMutableBufferPointer { gradient in
                    let w = w.baseAddress!, g = gradient.baseAddress!
                    Scratch.with { scratch in
                        forEachTask(batch) { k, rows in
                            let layers = networks[k]
                            let n = rows.count, c = layers.last!.outputs
                            // Forward.
                            let trace = forward(w, x.baseAddress! + rows.lowerBound * batch.features,
                                                n: n, layers, scratch)
                            // Loss: Σ weight_i ℓ_i and dO = weight_i ∂ℓ_i/∂o.
                            let dOutput = scratch.zeros(n * c)  // (n, C) row-major
                            for i in 0 ..< n {
                                let row = rows.lowerBound + i
                                let weight = batch.weights[row]
                                let value = loss.evaluate(
                                    trace.output + i * c, outputs: c, target: batch.targets[row],
                                    scale: weight, gradient: dOutput + i * c)
                                total.addProduct(weight, value)
                            }
                            // Backward into the gradient.
                            _ = backward(g, dOutput, trace, w, n: n, layers, scratch)
                        }
                    }
                    if regularized { total += addRegularizer(w, gradient: g) }
                }
            }
        }
        return total
    }

    package func hessianVectorProduct(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], into result: inout [Double]
    ) {
        check(w, batch)
        precondition(v.count == layout.count, "direction has \(v.count) entries, the model \(layout.count)")
        let loss = architecture.loss
        result = [Double](repeating: 0, count: layout.count)  // (P) R{∇L}
        w.withUnsafeBufferPointer { w in
            v.withUnsafeBufferPointer { v in
                batch.x.withUnsafeBufferPointer { x in
                    result.withUnsafeMutableBufferPointer { result in
                        let w = w.baseAddress!, v = v.baseAddress!, hv = result.baseAddress!
                        Scratch.with { scratch in
                            forEachTask(batch) { k, rows in
                                hessianVectorProduct(
                                    hv, w, v, x.baseAddress! + rows.lowerBound * batch.features,
                                    rows: rows, batch, networks[k], loss, scratch)
                            }
                        }
                        if regularized { addRegularizerHessian(v, into: hv) }
                    }
                }
            }
        }
    }

    package func perExampleGradients(_ w: [Double], _ batch: TaskBatch, into result: inout [Double]) {
        check(w, batch)
        let loss = architecture.loss
        let p = layout.count
        result = [Double](repeating: 0, count: batch.count * p)  // (N, P) row-major
        w.withUnsafeBufferPointer { w in
            batch.x.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { result in
                    let w = w.baseAddress!
                    Scratch.with { scratch in
                        forEachTask(batch) { k, rows in
                            let layers = networks[k]
                            let n = rows.count, c = layers.last!.outputs
                            let trace = forward(w, x.baseAddress! + rows.lowerBound * batch.features,
                                                n: n, layers, scratch)
                            let dOutput = scratch.zeros(n * c)  // (n, C) unweighted ∂ℓ_i/∂o
                            for i in 0 ..< n {
                                _ = loss.evaluate(
                                    trace.output + i * c, outputs: c, target: batch.targets[rows.lowerBound + i],
                                    gradient: dOutput + i * c)
                            }
                            // dz_l for every row at once; row i's weight gradient is dz_l[i] ⊗ a_{l-1}[i].
                            let deltas = backward(nil, dOutput, trace, w, n: n, layers, scratch)
                            let block = result.baseAddress! + rows.lowerBound * p  // (n, P) this block's rows
                            writeOuterProducts(block, p: p, deltas, trace, n: n, layers)
                        }
                    }
                }
            }
        }
    }

    // MARK: Passes over one task's block

    /// Runs `body(k, rows)` for each task present in the batch, in task order.
    private func forEachTask(_ batch: TaskBatch, _ body: (Int, Range<Int>) -> Void) {
        for (k, rows) in batch.taskRanges.enumerated() where !rows.isEmpty { body(k, rows) }
    }

    private func check(_ w: [Double], _ batch: TaskBatch) {
        precondition(w.count == layout.count, "parameters have \(w.count) entries, the model \(layout.count)")
        precondition(batch.features == architecture.inputs, "batch has \(batch.features) features, the model \(architecture.inputs)")
        precondition(batch.x.count == batch.count * batch.features, "batch x is not (N, D)")
        precondition(batch.weights.count == batch.count, "batch has \(batch.weights.count) weights for \(batch.count) rows")
        precondition(batch.taskRanges.count == networks.count, "batch has \(batch.taskRanges.count) tasks, the model \(networks.count)")
    }

    /// Forward through `layers` for n rows x (n, D).
    func forward(
        _ w: UnsafePointer<Double>, _ x: UnsafePointer<Double>, n: Int, _ layers: [DenseLayer], _ scratch: Scratch
    ) -> Trace {
        var trace = Trace(input: x, z: [], a: [])
        for (l, layer) in layers.enumerated() {
            let z = scratch.zeros(n * layer.outputs)  // (n, O_l)
            denseForward(z, trace.input(of: l), w + layer.weight, w + layer.bias,
                         n: n, inputs: layer.inputs, outputs: layer.outputs)
            var a = z  // (n, O_l)
            if layer.activation != .identity {
                a = scratch.zeros(n * layer.outputs)
                layer.activation.forward(a, z, count: n * layer.outputs)
            }
            trace.z.append(z)
            trace.a.append(a)
        }
        return trace
    }

    /// Backward from dOutput (n, C) = ∂/∂o. Adds the parameter gradient into
    /// `gradient` (P) unless it is nil, and returns dz_l (n, O_l) of every layer.
    func backward(
        _ gradient: UnsafeMutablePointer<Double>?, _ dOutput: UnsafeMutablePointer<Double>, _ trace: Trace,
        _ w: UnsafePointer<Double>, n: Int, _ layers: [DenseLayer], _ scratch: Scratch
    ) -> [UnsafeMutablePointer<Double>] {
        var deltas = [UnsafeMutablePointer<Double>](repeating: dOutput, count: layers.count)
        var dz = dOutput  // (n, O_l), the output layer is linear
        for l in layers.indices.reversed() {
            let layer = layers[l]
            deltas[l] = dz
            let da = l > 0 ? scratch.zeros(n * layer.inputs) : nil  // (n, I_l) = dz_l W_l
            denseBackward(da, gradient.map { $0 + layer.weight }, gradient.map { $0 + layer.bias },
                          dz, trace.input(of: l), w + layer.weight,
                          n: n, inputs: layer.inputs, outputs: layer.outputs)
            guard let da else { break }
            let below = layers[l - 1]
            if below.activation == .identity {
                dz = da
            } else {
                dz = scratch.zeros(n * below.outputs)  // (n, O_{l-1}) = φ'(z_{l-1}) ⊙ da
                below.activation.backward(dz, da, trace.z[l - 1], trace.a[l - 1], count: n * below.outputs)
            }
        }
        return deltas
    }

    /// hv (P) += R{∇ Σ_{i ∈ rows} weight_i ℓ_i}, by forward-over-reverse through one
    /// task's block: the forward pass, the R forward pass (R{z}, R{a}), the loss's
    /// Hessian in o, then the backward and R backward passes together.
    private func hessianVectorProduct(
        _ hv: UnsafeMutablePointer<Double>, _ w: UnsafePointer<Double>, _ v: UnsafePointer<Double>,
        _ x: UnsafePointer<Double>, rows: Range<Int>, _ batch: TaskBatch, _ layers: [DenseLayer],
        _ loss: LossKind, _ scratch: Scratch
    ) {
        let n = rows.count, c = layers.last!.outputs
        // Forward.
        let trace = forward(w, x, n: n, layers, scratch)

        // R forward: R{z_l} = R{a_{l-1}} W_lᵀ + a_{l-1} V_lᵀ + V_b, R{a_l} = φ'(z_l) ⊙ R{z_l}; R{x} = 0.
        var rz: [UnsafeMutablePointer<Double>] = []  // per layer (n, O_l)
        var ra: [UnsafeMutablePointer<Double>] = []  // per layer (n, O_l); same buffer as rz for identity layers
        for (l, layer) in layers.enumerated() {
            let rzl = scratch.zeros(n * layer.outputs)
            denseForwardR(rzl, l == 0 ? nil : UnsafePointer(ra[l - 1]), trace.input(of: l),
                          w + layer.weight, v + layer.weight, v + layer.bias,
                          n: n, inputs: layer.inputs, outputs: layer.outputs)
            var ral = rzl
            if layer.activation != .identity {
                ral = scratch.zeros(n * layer.outputs)
                layer.activation.forwardR(ral, rzl, trace.z[l], trace.a[l], count: n * layer.outputs)
            }
            rz.append(rzl)
            ra.append(ral)
        }

        // Loss: dO = weight ∂ℓ/∂o and R{dO} = weight ∇²_o ℓ R{o}.
        let dOutput = scratch.zeros(n * c)   // (n, C)
        let rdOutput = scratch.zeros(n * c)  // (n, C)
        for i in 0 ..< n {
            let row = rows.lowerBound + i
            let weight = batch.weights[row]
            let o = trace.output + i * c
            _ = loss.evaluate(o, outputs: c, target: batch.targets[row], scale: weight, gradient: dOutput + i * c)
            loss.hessianProduct(rdOutput + i * c, o, ra[layers.count - 1] + i * c, outputs: c, scale: weight)
        }

        // Backward and R backward, top to bottom.
        var dz = dOutput    // (n, O_l)
        var rdz = rdOutput  // (n, O_l)
        for l in layers.indices.reversed() {
            let layer = layers[l]
            let input = trace.input(of: l)                          // (n, I_l)
            let rInput = l == 0 ? nil : UnsafePointer(ra[l - 1])   // (n, I_l) R{a_{l-1}}
            let rda = l > 0 ? scratch.zeros(n * layer.inputs) : nil  // (n, I_l) R{da}
            denseBackwardR(rda, hv + layer.weight, hv + layer.bias, rdz, dz, input, rInput,
                           w + layer.weight, v + layer.weight,
                           n: n, inputs: layer.inputs, outputs: layer.outputs)
            guard let rda else { break }
            let da = scratch.zeros(n * layer.inputs)  // (n, I_l) = dz_l W_l
            denseBackward(da, nil, nil, dz, input, w + layer.weight,
                          n: n, inputs: layer.inputs, outputs: layer.outputs)
            let below = layers[l - 1]
            if below.activation == .identity {
                dz = da
                rdz = rda
            } else {
                let count = n * below.outputs
                dz = scratch.zeros(count)   // (n, O_{l-1}) φ'(z) ⊙ da
                rdz = scratch.zeros(count)  // (n, O_{l-1}) φ''(z) R{z} ⊙ da + φ'(z) ⊙ R{da}
                below.activation.backward(dz, da, trace.z[l - 1], trace.a[l - 1], count: count)
                below.activation.backwardR(rdz, rda, da, rz[l - 1], trace.z[l - 1], trace.a[l - 1], count: count)
            }
        }
    }

    /// For each of the n rows of `block` (n, P): W_l's slice = dz_l[i] ⊗ a_{l-1}[i], b_l's = dz_l[i].
    /// Rows are split into fixed chunks written by separate threads when the block is large.
    private func writeOuterProducts(
        _ block: UnsafeMutablePointer<Double>, p: Int, _ deltas: [UnsafeMutablePointer<Double>], _ trace: Trace,
        n: Int, _ layers: [DenseLayer]
    ) {
        let inputs = layers.indices.map { trace.input(of: $0) }
        let chunks = Double(n) * Double(p) < 1e6 ? 1 : min(Gemm.defaultThreads, n)
        let rowsPerChunk = (n + chunks - 1) / chunks
        let shared = UncheckedSendable((block, deltas, inputs))
        parallelChunks(chunks) { chunk in
            let (block, deltas, inputs) = shared.value
            for i in chunk * rowsPerChunk ..< min(n, (chunk + 1) * rowsPerChunk) {
                let row = block + i * p  // (P)
                for (l, layer) in layers.enumerated() {
                    let delta = deltas[l] + i * layer.outputs   // (O_l)
                    let input = inputs[l] + i * layer.inputs    // (I_l)
                    for o in 0 ..< layer.outputs {
                        scaled(row + layer.weight + o * layer.inputs, delta[o], input, count: layer.inputs)
                    }
                    (row + layer.bias).update(from: delta, count: layer.outputs)
                }
            }
        }
    }
}
