import Foundation
import Shared

/// A tiny multitask classification problem with known structure: each task's
/// labels come from a shared weight vector plus a task deviation, through a
/// logistic draw, so the optimum is interior and the loss strictly convex for
/// linear soft sharing with λ > 0.
struct TinyProblem {
    var architecture: Architecture
    var train: [Example]
    var validation: [Example]
    var schema: TaskSchema
    var model: any MultitaskModel

    /// K tasks "a", "b", "c", …, `perTask` training and `validationPerTask`
    /// validation examples each, D features, binary labels.
    init(
        sharing: Sharing = .soft, hidden: [Int] = [], activation: Activation = .identity, tasks: Int = 3,
        features d: Int = 3, perTask: Int = 15, validationPerTask: Int = 10, lambda: Double = 1e-2,
        coupling: Double = 0.5, signal: Double = 1, seed: UInt64 = 7
    ) throws {
        var rng = SplitMix64(seed: seed)
        let names = (0 ..< tasks).map { String(UnicodeScalar(UInt8(97 + $0))) }
        let shared = (0 ..< d).map { _ in signal * rng.normal() }
        var train: [Example] = [], validation: [Example] = []
        for (k, name) in names.enumerated() {
            // The last task points the other way: negative transfer exists.
            let sign = k == tasks - 1 && tasks > 2 ? -1.0 : 1.0
            let weights = shared.map { sign * $0 + 0.5 * signal * rng.normal() }
            for i in 0 ..< perTask + validationPerTask {
                let x = (0 ..< d).map { _ in rng.normal() }
                var logit = 0.3
                for j in 0 ..< d { logit += weights[j] * x[j] }
                let y = rng.uniform() < 1 / (1 + exp(-logit)) ? 1 : 0
                let example = Example(id: "\(name)-\(String(format: "%03d", i))", task: name, x: x, y: .index(y))
                if i < perTask { train.append(example) } else { validation.append(example) }
            }
        }
        // Input order interleaves tasks, so batches mix them and sourceIndex matters.
        train = TinyProblem.interleave(train, tasks: tasks)
        self.train = train
        self.validation = validation
        var schema = try TaskSchema.derive(from: train, file: "train")
        for k in schema.tasks.indices { schema.tasks[k].count = train.filter { $0.task == schema.tasks[k].name }.count }
        self.schema = schema
        architecture = Architecture(
            sharing: sharing, inputs: d, hidden: hidden, activation: activation, loss: .crossEntropy, tasks: names,
            outputs: [Int](repeating: 2, count: tasks), lambda: lambda, coupling: sharing == .soft ? coupling : 0)
        model = try makeModel(architecture)
    }

    static func interleave(_ examples: [Example], tasks: Int) -> [Example] {
        let groups = Dictionary(grouping: examples, by: \.task).sorted { $0.key < $1.key }.map(\.value)
        var result: [Example] = []
        let longest = groups.map(\.count).max() ?? 0
        for i in 0 ..< longest { for g in groups where i < g.count { result.append(g[i]) } }
        return result
    }

    func trainingBatch(_ examples: [Example]? = nil) throws -> TaskBatch {
        try TaskBatch(examples ?? train, schema: schema, file: "train")
    }

    /// Full-batch L-BFGS (tolerance 1e-12), then, should it stall above
    /// 1e-12 (a warm start's tiny ‖∇L(w₀)‖ makes the relative stop strict),
    /// Newton steps with the dense Hessian: a tight optimum for leave-one-out.
    func fit(from start: [Double]? = nil, examples: [Example]? = nil, tolerance: Double = 1e-12) throws -> (w: [Double], gradientNorm: Double) {
        let batch = try trainingBatch(examples)
        var lbfgs = LBFGS()
        lbfgs.tolerance = tolerance
        lbfgs.maxIterations = 5000
        let result = try lbfgs.minimize(from: start ?? model.initialParameters(seed: 1)) { w, g in
            model.objective(w, batch, regularized: true, gradient: &g)
        }
        var w = result.parameters
        let p = w.count
        var g = [Double](repeating: 0, count: p)
        _ = model.objective(w, batch, regularized: true, gradient: &g)
        var norm = euclideanNorm(g)
        var steps = 0
        while norm > 1e-12 && steps < 3 {
            let step = solve(denseHessian(model, w, batch), g, size: p, columns: 1)
            let candidate = zip(w, step).map { $0 - $1 }
            var gc = [Double](repeating: 0, count: p)
            _ = model.objective(candidate, batch, regularized: true, gradient: &gc)
            let candidateNorm = euclideanNorm(gc)
            if candidateNorm >= norm { break }
            w = candidate
            g = gc
            norm = candidateNorm
            steps += 1
        }
        return (w, norm)
    }

    /// V_k(w): mean validation loss of task `task`.
    func validationLoss(_ w: [Double], task: String) throws -> Double {
        let batch = try TaskBatch(validation.filter { $0.task == task }, schema: schema, file: "validation")
        var g = [Double](repeating: 0, count: model.layout.count)
        return model.objective(w, batch, regularized: false, gradient: &g)
    }

    /// ∇V_k(w) for every task, (K, P), through the job's own mean gradients.
    func validationGradients(_ w: [Double]) throws -> [Double] {
        try meanGradientsByTask(
            model: model, parameters: w, examples: validation[...], schema: schema, file: "validation", batchSize: 4
        ).rows
    }
}

/// The dense Hessian of L at `w`, column by column from exact HVPs: (P, P).
func denseHessian(_ model: any MultitaskModel, _ w: [Double], _ batch: TaskBatch) -> [Double] {
    let p = model.layout.count
    var h = [Double](repeating: 0, count: p * p)
    var e = [Double](repeating: 0, count: p)
    var column = [Double](repeating: 0, count: p)
    for j in 0 ..< p {
        e[j] = 1
        model.hessianVectorProduct(w, batch, regularized: true, e, into: &column)
        for i in 0 ..< p { h[i * p + j] = column[i] }
        e[j] = 0
    }
    // Symmetrise the rounding.
    for i in 0 ..< p { for j in 0 ..< i { let m = (h[i * p + j] + h[j * p + i]) / 2; h[i * p + j] = m; h[j * p + i] = m } }
    return h
}

/// Solves A X = B for (P, P) A and (P, R) B by Gaussian elimination with partial pivoting.
func solve(_ a: [Double], _ b: [Double], size p: Int, columns r: Int) -> [Double] {
    var a = a, b = b
    for c in 0 ..< p {
        var pivot = c
        for i in c + 1 ..< p where abs(a[i * p + c]) > abs(a[pivot * p + c]) { pivot = i }
        if pivot != c {
            for j in 0 ..< p { a.swapAt(c * p + j, pivot * p + j) }
            for j in 0 ..< r { b.swapAt(c * r + j, pivot * r + j) }
        }
        for i in c + 1 ..< p {
            let f = a[i * p + c] / a[c * p + c]
            if f == 0 { continue }
            for j in c ..< p { a[i * p + j] -= f * a[c * p + j] }
            for j in 0 ..< r { b[i * r + j] -= f * b[c * r + j] }
        }
    }
    var x = [Double](repeating: 0, count: p * r)
    for i in stride(from: p - 1, through: 0, by: -1) {
        for j in 0 ..< r {
            var s = b[i * r + j]
            for m in i + 1 ..< p { s -= a[i * p + m] * x[m * r + j] }
            x[i * r + j] = s / a[i * p + i]
        }
    }
    return x
}

/// s_k = H⁻¹ v_k for the rows v (K, P): (K, P).
func inverseHVPs(_ hessian: [Double], _ rhs: [Double], parameters p: Int) -> [Double] {
    let k = rhs.count / p
    var b = [Double](repeating: 0, count: p * k)  // (P, K)
    for t in 0 ..< k { for i in 0 ..< p { b[i * k + t] = rhs[t * p + i] } }
    let x = solve(hessian, b, size: p, columns: k)
    var s = [Double](repeating: 0, count: k * p)
    for t in 0 ..< k { for i in 0 ..< p { s[t * p + i] = x[i * k + t] } }
    return s
}

/// All per-example gradient rows through the job, (n, W) in input order.
func jobRows(_ problem: TinyProblem, _ w: [Double], layout: RowLayout, batchSize: Int) throws -> [Double] {
    var all: [Double] = []
    try perExampleGradientRows(
        model: problem.model, parameters: w, examples: problem.train[...], schema: problem.schema, file: "train",
        layout: layout, batchSize: batchSize
    ) { rows, _ in all.append(contentsOf: rows) }
    return all
}

/// The project's Pearson r, NaN where it is undefined.
func pearsonValue(_ x: [Double], _ y: [Double]) -> Double { pearson(x, y) ?? .nan }

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mtif-influence-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
