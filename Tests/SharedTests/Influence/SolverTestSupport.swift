import Foundation
import Shared

/// A small multitask problem trained to a tight optimum, with the right-hand
/// sides the influence pipeline uses: ∇V_k, the gradient of each task's mean
/// validation loss (no Ω).
struct InfluenceProblem {
    var model: any MultitaskModel
    /// (P) w*, from L-BFGS at tolerance 1e-10.
    var parameters: [Double]
    var train: TaskBatch
    var validation: TaskBatch

    var p: Int { model.layout.count }
    var tasks: Int { model.architecture.tasks.count }

    /// Synthetic classification data (seeded), a model of `sharing` with
    /// `hidden` widths, trained by L-BFGS from seed 1 (`maxIterations` 0 leaves
    /// it at the initial point: not a minimum).
    static func make(
        sharing: Sharing, hidden: [Int], lambda: Double = 1e-2, tasks: Int = 4, features: Int = 6,
        classes: Int = 3, train: Int = 30, seed: UInt64 = 7, maxIterations: Int = 1000
    ) throws -> InfluenceProblem {
        var spec = SyntheticSpec()
        spec.tasks = tasks
        spec.features = features
        spec.classes = classes
        spec.train = train
        spec.val = 15
        spec.test = 1
        spec.seed = seed
        let examples = try makeSyntheticData(spec)
        let parts = try splitByField(examples)
        let schema = try TaskSchema.derive(from: parts.train, file: "synthetic")
        let architecture = Architecture(
            sharing: sharing, inputs: features, hidden: hidden, activation: .tanh, loss: schema.loss,
            tasks: schema.taskNames, outputs: schema.tasks.map(\.outputs), lambda: lambda,
            coupling: sharing == .soft ? 0.1 : 0)
        let model = try makeModel(architecture)
        let batch = try TaskBatch(parts.train, schema: schema, file: "train")
        // L-BFGS alone: some tests want the point `maxIterations` leaves.
        var path = TrainingPath()
        path.polish = .none
        path.tolerance = 1e-10
        path.lbfgs.maxIterations = maxIterations
        path.curvatureSteps = 0
        let (w, _) = try fitModel(
            model, batch, from: model.initialParameters(seed: 1), path: path, log: Log(tool: "test", quiet: true))
        return InfluenceProblem(
            model: model, parameters: w, train: batch,
            validation: try TaskBatch(parts.val, schema: schema, file: "val"))
    }

    func op(damping: Double) -> HessianOperator {
        HessianOperator(model: model, parameters: parameters, batch: train, damping: damping)
    }

    /// (K, P) ∇V_k(w*), one row per task.
    func meanGradients() -> [Double] {
        var rows: [Double] = []
        for range in validation.taskRanges {
            var g = [Double](repeating: 0, count: p)
            _ = model.objective(parameters, validation.subset(Array(range)), regularized: false, gradient: &g)
            rows += g
        }
        return rows
    }

    /// (P, P) H + δI built column by column from the model's HVPs, symmetrised.
    func denseMatrix(damping: Double) -> [Double] {
        var h = [Double](repeating: 0, count: p * p)
        for j in 0 ..< p {
            var e = [Double](repeating: 0, count: p)
            e[j] = 1
            var column = [Double](repeating: 0, count: p)
            model.hessianVectorProduct(parameters, train, regularized: true, e, into: &column)
            for i in 0 ..< p { h[i * p + j] += 0.5 * column[i]; h[j * p + i] += 0.5 * column[i] }
        }
        for i in 0 ..< p { h[i * p + i] += damping }
        return h
    }
}

/// The test's own independent dense solve of (P, P) `a` x = b (one right-hand side).
func gaussianSolve(_ a: [Double], _ b: [Double]) -> [Double] {
    solve(a, b, size: b.count, columns: 1)
}

/// Row r of an (R, P) buffer.
func row(_ x: [Double], _ r: Int, _ p: Int) -> [Double] { Array(x[r * p ..< (r + 1) * p]) }

/// max over rows of ‖a_r − b_r‖ / ‖b_r‖.
func worstRowError(_ a: [Double], _ b: [Double], p: Int) -> Double {
    (0 ..< a.count / p).map { relativeError(row(a, $0, p), row(b, $0, p)) }.max() ?? 0
}

let quietLog = Log(tool: "test", quiet: true)
