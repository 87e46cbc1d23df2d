import Testing
import Shared

/// `fitModel` on a tiny synthetic problem: 3 tasks, 5 features, 3 classes,
/// 20 training examples per task, a linear soft-sharing model (strictly convex).
@Suite struct TrainingTests {
    private struct Problem {
        var model: any MultitaskModel
        var batch: TaskBatch
        var start: [Double]

        init(sharing: Sharing = .soft, hidden: [Int] = []) throws {
            var spec = SyntheticSpec()
            spec.tasks = 3; spec.features = 5; spec.train = 20; spec.val = 3; spec.test = 3; spec.seed = 4
            let train = try makeSyntheticData(spec).filter { $0.extra("split") == "\"train\"" }
            let schema = try TaskSchema.derive(from: train, file: "synthetic")
            batch = try TaskBatch(train, schema: schema, file: "synthetic")
            model = try makeModel(Architecture(
                sharing: sharing, inputs: schema.features, hidden: hidden,
                activation: hidden.isEmpty ? .identity : .tanh, loss: schema.loss,
                tasks: schema.taskNames, outputs: schema.tasks.map(\.outputs), lambda: 1e-2, coupling: 0.1))
            start = model.initialParameters(seed: 1)
        }

        /// L(w) and ‖∇L(w)‖ on the full training set.
        func evaluate(_ w: [Double]) -> (value: Double, gradientNorm: Double) {
            var g = [Double](repeating: 0, count: w.count)
            let value = model.objective(w, batch, regularized: true, gradient: &g)
            return (value, euclideanNorm(g))
        }

        /// One optimizer alone (no Newton polish, no curvature check), at `tolerance`.
        func fit(_ optimizer: Optimizer, from w: [Double], tolerance: Double = 1e-8, adam: Adam = Adam()) throws
            -> (parameters: [Double], report: TrainingReport)
        {
            var path = TrainingPath()
            path.optimizer = optimizer
            path.polish = .none
            path.tolerance = tolerance
            path.adam = adam
            path.curvatureSteps = 0
            return try fitModel(model, batch, from: w, path: path, log: Log(tool: "test", quiet: true))
        }
    }

    private static let tight = 1e-9

    @Test func lbfgsReachesStationarityAndReportsIt() throws {
        let p = try Problem()
        #expect(p.batch.count == 60 && p.model.layout.count == 4 * (3 * 5 + 3))
        let (w, report) = try p.fit(.lbfgs, from: p.start, tolerance: Self.tight)
        let fresh = p.evaluate(w)
        #expect(fresh.gradientNorm <= 1e-8, "‖∇L‖ = \(fresh.gradientNorm)")
        #expect(report.gradientNorm == fresh.gradientNorm)
        #expect(report.objective == fresh.value)
        #expect(report.initialGradientNorm == p.evaluate(p.start).gradientNorm)
        #expect(report.optimizer == "lbfgs" && report.converged && report.stop == "converged")
        #expect(report.tolerance == 1e-9)
        #expect(report.iterations > 5 && report.evaluations > report.iterations)
        #expect(fresh.value < p.evaluate(p.start).value)
    }

    @Test func adamLowersTheObjectiveAndReportsTheFullGradient() throws {
        let p = try Problem()
        let (optimum, _) = try p.fit(.lbfgs, from: p.start, tolerance: Self.tight)
        var adam = Adam()
        adam.epochs = 5; adam.batchSize = 16; adam.learningRate = 0.05; adam.seed = 3
        let (w, report) = try p.fit(.adam, from: p.start, adam: adam)
        let initial = p.evaluate(p.start).value, best = p.evaluate(optimum).value
        let fresh = p.evaluate(w)
        // 60 rows in minibatches of 16: 4 steps per epoch.
        #expect(report.optimizer == "adam" && report.iterations == 20 && report.stop == "epochs")
        // At least half of the possible decrease, but (5 epochs) not the optimum.
        #expect(initial - fresh.value >= 0.5 * (initial - best), "L: start \(initial), adam \(fresh.value), optimum \(best)")
        #expect(fresh.value > best)
        #expect(report.objective == fresh.value)
        #expect(report.gradientNorm == fresh.gradientNorm)
        #expect(report.initialGradientNorm == p.evaluate(p.start).gradientNorm)
        #expect(!report.converged && report.gradientNorm > 1e-4)
    }

    @Test func warmStartFromTheOptimumStopsAtOnce() throws {
        let p = try Problem()
        let (optimum, first) = try p.fit(.lbfgs, from: p.start, tolerance: Self.tight)
        let (w, again) = try p.fit(.lbfgs, from: optimum, tolerance: Self.tight)
        #expect(again.iterations <= 2, "\(again.iterations) iterations from the optimum (\(first.iterations) from scratch)")
        #expect(again.converged)
        #expect(again.initialGradientNorm == first.gradientNorm)
        #expect(zip(w, optimum).allSatisfy { abs($0 - $1) <= 1e-8 })
    }

    /// The default path (L-BFGS to 1e-4, then Newton to 1e-10) on a non-convex
    /// hard-sharing MLP: ‖∇L‖ meets the tolerance measured afresh, Newton's
    /// norms fall quadratically, and the curvature check is recorded.
    @Test func defaultPathEndsAtAStationaryPointWithItsCurvature() throws {
        let p = try Problem(sharing: .hard, hidden: [6])
        let (w, report) = try fitModel(p.model, p.batch, from: p.start, path: TrainingPath(), log: Log(tool: "test", quiet: true))
        let fresh = p.evaluate(w)
        let threshold = 1e-10 * max(1, report.initialGradientNorm)
        #expect(report.optimizer == "lbfgs+newton" && report.converged, "\(report)")
        #expect(fresh.gradientNorm <= threshold && report.gradientNorm == fresh.gradientNorm)
        let stages = try #require(report.stages)
        #expect(stages.map(\.optimizer) == ["lbfgs", "newton"])
        #expect(stages[0].gradientNorm <= 1e-4 * max(1, report.initialGradientNorm))
        #expect(stages[0].gradientNorm > threshold, "L-BFGS alone should not reach 1e-10 here")
        let norms = try #require(stages[1].gradientNorms)
        #expect(abs(norms.first! - stages[0].gradientNorm) <= 1e-12 * stages[0].gradientNorm && norms.last == report.gradientNorm)
        #expect(norms.count <= 8, "\(norms)")
        // ‖∇L_{k+1}‖ ≤ C‖∇L_k‖² (C = 1000 on this scale; measured ≤ 180): a
        // linear rate of even 0.1 fails it once ‖∇L‖ < 1e-4.
        #expect(norms.count >= 3)
        for (a, b) in zip(norms, norms.dropFirst()) {
            #expect(b <= 1000 * a * a / max(1, report.initialGradientNorm), "‖∇L‖ \(a) → \(b): not quadratic (\(norms))")
        }
        let curvature = try #require(report.curvature)
        #expect(curvature.lanczosSteps == 30 && curvature.lambdaMax > curvature.lambdaMin)
        // A Ritz value is an upper bound of λ_min: the exact Hessian's smallest eigenvalue is below it.
        let exact = denseHessianEigenvalues(p, w)
        #expect(exact.min()! <= curvature.lambdaMin + 1e-12 && curvature.lambdaMax <= exact.max()! + 1e-9)
        #expect(curvature.minimum == (curvature.lambdaMin > 0))
    }

    @Test func newtonFromTheStartConvergesOnTheConvexModel() throws {
        let p = try Problem()
        var path = TrainingPath()
        path.optimizer = .newton
        let (w, report) = try fitModel(p.model, p.batch, from: p.start, path: path, log: Log(tool: "test", quiet: true))
        #expect(report.optimizer == "newton" && report.converged && report.stop == "converged")
        #expect(p.evaluate(w).gradientNorm <= 1e-10 * max(1, report.initialGradientNorm))
        // Strictly convex (λ > 0): the curvature check finds a minimum, λ_min ≥ λ = 0.01.
        let curvature = try #require(report.curvature)
        #expect(curvature.minimum && curvature.dampingNeeded == 0 && curvature.lambdaMin >= 0.01 - 1e-9)
    }

    private func denseHessianEigenvalues(_ p: Problem, _ w: [Double]) -> [Double] {
        let n = w.count
        var h = [Double](repeating: 0, count: n * n)
        var column = [Double](repeating: 0, count: n)
        for j in 0 ..< n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            p.model.hessianVectorProduct(w, p.batch, regularized: true, e, into: &column)
            for i in 0 ..< n { h[i * n + j] = column[i] }
        }
        for i in 0 ..< n { for j in 0 ..< i { let m = 0.5 * (h[i * n + j] + h[j * n + i]); h[i * n + j] = m; h[j * n + i] = m } }
        return symmetricEigen(h, n).values
    }
}
