/// Dimensions used throughout Model/ and Training/:
///   N examples in a batch, D input features, H hidden width, K tasks,
///   C_k outputs of task k (classes, or 1 for regression), P parameters.

package enum Sharing: String, Codable, Sendable, CaseIterable {
    /// A shared trunk γ (MLP) and one linear head θ_k per task.
    case hard
    /// One full model θ_k per task, tied to a learned centre γ of the same shape.
    case soft
}

package enum Activation: String, Codable, Sendable, CaseIterable {
    case tanh, relu, softplus
    /// A purely linear layer.
    case identity
}

package enum LossKind: String, Codable, Sendable, CaseIterable {
    /// Softmax cross-entropy over the task's C_k classes.
    case crossEntropy = "cross_entropy"
    /// ℓ = Σ_outputs (f − y)², PyTorch's MSE per example (not half of it).
    case squaredError = "squared_error"
}

/// Everything that fixes the shape and the objective of a multitask model.
/// Stored as JSON in the `architecture` metadata of a parameter file.
package struct Architecture: Codable, Equatable, Sendable {
    package var sharing: Sharing
    /// D.
    package var inputs: Int
    /// Hard sharing: the trunk's layer widths (at least one layer).
    /// Soft sharing: the hidden widths of each task's model; empty = linear model.
    package var hidden: [Int]
    package var activation: Activation
    package var loss: LossKind
    /// Task names in model order; parameters and task indices follow it.
    package var tasks: [String]
    /// (K) C_k: outputs of each task's head. Soft sharing needs them all equal.
    package var outputs: [Int]
    /// λ: ridge on every parameter, biases included.
    package var lambda: Double
    /// c: soft sharing's pull of each θ_k towards the centre γ; 0 for hard sharing.
    package var coupling: Double

    package init(
        sharing: Sharing, inputs: Int, hidden: [Int], activation: Activation, loss: LossKind,
        tasks: [String], outputs: [Int], lambda: Double, coupling: Double
    ) {
        self.sharing = sharing
        self.inputs = inputs
        self.hidden = hidden
        self.activation = activation
        self.loss = loss
        self.tasks = tasks
        self.outputs = outputs
        self.lambda = lambda
        self.coupling = coupling
    }

    /// Checks the combination is one the models support, with a message a user can act on.
    package func validate() throws {
        guard inputs > 0 else { throw MTIFError.input("the data have no features") }
        guard !tasks.isEmpty, tasks.count == outputs.count else {
            throw MTIFError.input("a model needs at least one task")
        }
        guard hidden.allSatisfy({ $0 > 0 }) else { throw MTIFError.usage("--hidden: widths must be positive") }
        if Set(tasks).count != tasks.count || tasks.contains(where: \.isEmpty) {
            throw MTIFError.input("task names must be unique and non-empty")
        }
        // A parameter file's metadata is untrusted input too: a negative or zero
        // output count would make a negative tensor shape, and a huge one an
        // allocation that kills the process instead of an error.
        if let k = outputs.firstIndex(where: { $0 < 1 }) {
            throw MTIFError.input("task \(JSONValue.quoted(tasks[k])) has \(outputs[k]) outputs; every head needs at least 1")
        }
        guard let p = parameterCount, p <= Architecture.maximumParameters else {
            throw MTIFError.usage(
                "the model would have \(parameterCount.map(String.init) ?? "more than 2^63") parameters, above the limit of \(Architecture.maximumParameters) (\(Architecture.maximumParameters >> 17) MiB per parameter vector)",
                hint: "use smaller --hidden widths, fewer features or fewer tasks")
        }
        guard lambda >= 0, lambda.isFinite else { throw MTIFError.usage("--lambda must be ≥ 0") }
        guard coupling >= 0, coupling.isFinite else { throw MTIFError.usage("--coupling must be ≥ 0") }
        switch sharing {
        case .hard:
            guard !hidden.isEmpty else {
                throw MTIFError.usage(
                    "hard sharing needs a trunk of at least one layer",
                    hint: "give --hidden 64 (and --activation identity for a linear trunk)")
            }
        case .soft:
            if Set(outputs).count > 1 {
                // Name the odd ones out (a task whose training split lacks a class), not the first few.
                let counts = Dictionary(outputs.map { ($0, 1) }, uniquingKeysWith: +)
                let common = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
                let odd = zip(tasks, outputs).filter { $0.1 != common }
                let detail = odd.prefix(8).map { "\($0.0) has \($0.1)" }.joined(separator: ", ")
                    + (odd.count > 8 ? " and \(odd.count - 8) more" : "")
                throw MTIFError.input(
                    "soft sharing needs every task's model to have the centre's shape, but the tasks have different numbers of outputs: \(detail), the other \(outputs.count - odd.count) have \(common)",
                    hint: "use --sharing hard, give every task the same label set, or split so that every task's training part has every class")
            }
        }
    }
}

extension Architecture {
    /// The largest P accepted: 2^26 doubles are 512 MiB per parameter-sized
    /// vector, and training keeps two dozen of them (L-BFGS pairs, gradients),
    /// so beyond this a run would be killed for memory rather than refused.
    /// A HAR-sized MLP has about 5·10^4.
    package static let maximumParameters = 1 << 26

    /// P computed with overflow checks, nil when it does not fit an Int; the
    /// models' layouts give the same count once they exist.
    package var parameterCount: Int? {
        func linear(_ a: Int, _ b: Int) -> Int? {
            let (w, o1) = a.multipliedReportingOverflow(by: b)
            let (t, o2) = w.addingReportingOverflow(b)
            return o1 || o2 ? nil : t
        }
        func sum(_ values: [Int?]) -> Int? {
            var total = 0
            for v in values {
                guard let v else { return nil }
                let (t, o) = total.addingReportingOverflow(v)
                if o { return nil }
                total = t
            }
            return total
        }
        let widths = [inputs] + hidden
        switch sharing {
        case .hard:
            let trunk = sum(zip(widths, widths.dropFirst()).map { linear($0, $1) })
            let heads = sum(outputs.map { linear(widths.last!, $0) })
            return sum([trunk, heads])
        case .soft:
            let c = outputs.max() ?? 1
            let layers = widths + [c]
            guard let one = sum(zip(layers, layers.dropFirst()).map { linear($0, $1) }) else { return nil }
            let (all, o) = one.multipliedReportingOverflow(by: tasks.count + 1)
            return o ? nil : all
        }
    }
}

/// One named tensor of the flat parameter vector, PyTorch-style name and shape
/// (`shared.0.weight` is (out, in) row-major like `nn.Linear.weight`).
package struct ParameterTensor: Codable, Equatable, Sendable {
    package var name: String
    package var shape: [Int]
    package var offset: Int

    package init(name: String, shape: [Int], offset: Int) {
        self.name = name
        self.shape = shape
        self.offset = offset
    }

    package var count: Int { shape.reduce(1, *) }
    package var range: Range<Int> { offset ..< offset + count }
}

/// The flat parameter order, w = (γ, θ_1, …, θ_K): shared tensors first, then
/// each task's tensors contiguously in task order.
///   hard: shared.0.weight, shared.0.bias, …, head.<task>.weight, head.<task>.bias, …
///   soft: center.0.weight, center.0.bias, …, task.<task>.0.weight, task.<task>.0.bias, …
package struct ParameterLayout: Codable, Equatable, Sendable {
    package var tensors: [ParameterTensor]
    /// P.
    package var count: Int
    /// γ.
    package var sharedRange: Range<Int>
    /// (K) θ_k.
    package var taskRanges: [Range<Int>]

    package init(tensors: [ParameterTensor], sharedRange: Range<Int>, taskRanges: [Range<Int>]) {
        self.tensors = tensors
        self.count = tensors.last.map { $0.offset + $0.count } ?? 0
        self.sharedRange = sharedRange
        self.taskRanges = taskRanges
    }

    package func tensor(named name: String) -> ParameterTensor? {
        tensors.first { $0.name == name }
    }
}

/// A multitask model with hand-written forward, backward and exact
/// Hessian-vector products. All functions are pure in the parameters `w` (P)
/// and batched over the rows of `batch` as matrix products.
///
/// The objective over a batch is Σ_i weight_i ℓ(w; z_i) (+ Ω(w) when
/// `regularized`); with the batch's default weights 1/n_k this is the spec's L(w).
package protocol MultitaskModel: Sendable {
    var architecture: Architecture { get }
    var layout: ParameterLayout { get }

    /// Deterministic initial parameters: scaled random weights, zero biases.
    func initialParameters(seed: UInt64) -> [Double]

    /// (N, maxOutputs) row-major raw outputs f(x) of each row's own task
    /// (logits or regression values); entries beyond C_k are zero.
    func outputs(_ w: [Double], _ batch: TaskBatch) -> [Double]

    /// (N) ℓ(w; z_i), unweighted.
    func perExampleLosses(_ w: [Double], _ batch: TaskBatch) -> [Double]

    /// Σ_i weight_i ℓ_i (+ Ω); overwrites `gradient` (P) with its gradient.
    func objective(_ w: [Double], _ batch: TaskBatch, regularized: Bool, gradient: inout [Double]) -> Double

    /// Overwrites `result` (P) with ∇²[Σ_i weight_i ℓ_i (+ Ω)] · v, exact (R-op).
    func hessianVectorProduct(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], into result: inout [Double])

    /// Overwrites `result` (R, P) with the product for each of the R = `count`
    /// directions v (R, P) row-major, from one forward and backward pass, of
    /// the exact Hessian or of the Gauss–Newton matrix (`curvature`).
    /// `precision` .float32 runs the R-passes' matrix products in Float (the
    /// forward and first backward pass stay Double): ~1e-6 relative error.
    /// `cache` keeps the forward pass between calls with
    /// the same `w` and `batch` (the caller's promise: one cache per batch).
    func hessianVectorProducts(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], count: Int, curvature: Curvature,
        precision: GemmPrecision, cache: ForwardPassCache?, into result: inout [Double])

    /// Overwrites `result` (N, P) row-major with ∇ℓ(w; z_i), unweighted and
    /// without Ω; entries outside γ and the row's task block are zero.
    func perExampleGradients(_ w: [Double], _ batch: TaskBatch, into result: inout [Double])

    /// Writes ∇ℓ(w; z_i) of every row i, unweighted and without Ω, to
    /// out + destination[i]·columns.width, laid out as `columns` says (the
    /// full vector, or the row's task block).
    func writePerExampleGradients(
        _ w: [Double], _ batch: TaskBatch, columns: GradientColumns, destination: [Int],
        into out: UnsafeMutablePointer<Double>)

    /// s_k · ∇ℓ(w; z) for the K = `count` vectors (K, P) and any batch's rows.
    func gradientDots(_ w: [Double], vectors: [Double], count: Int) -> GradientDots
}

extension Architecture {
    package var maxOutputs: Int { outputs.max() ?? 0 }
}

/// Which second-order operator a curvature product applies.
package enum Curvature: String, CaseIterable, Codable, Sendable {
    /// The exact Hessian ∇²L (R-op): indefinite away from a minimum.
    case hessian
    /// The generalised Gauss–Newton matrix Σ_i weight_i J_iᵀ ∇²_o ℓ_i J_i + ∇²Ω,
    /// J_i = ∂o_i/∂w: positive semi-definite (both losses are convex in o), and
    /// equal to H where the outputs are linear in w (linear soft sharing).
    case ggn
}

extension MultitaskModel {
    /// The exact Hessian's products, for each of the `count` directions.
    package func hessianVectorProducts(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], count: Int, into result: inout [Double]
    ) {
        hessianVectorProducts(
            w, batch, regularized: regularized, v, count: count, curvature: .hessian, precision: .float64, cache: nil,
            into: &result)
    }

    /// Products without a forward-pass cache.
    package func hessianVectorProducts(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], count: Int, curvature: Curvature,
        precision: GemmPrecision, into result: inout [Double]
    ) {
        hessianVectorProducts(
            w, batch, regularized: regularized, v, count: count, curvature: curvature, precision: precision, cache: nil,
            into: &result)
    }

    /// Double products of the given curvature.
    package func hessianVectorProducts(
        _ w: [Double], _ batch: TaskBatch, regularized: Bool, _ v: [Double], count: Int, curvature: Curvature,
        into result: inout [Double]
    ) {
        hessianVectorProducts(
            w, batch, regularized: regularized, v, count: count, curvature: curvature, precision: .float64, cache: nil,
            into: &result)
    }
}
