import Testing
import Shared

/// `fitModel` on a tiny synthetic problem: 3 tasks, 5 features, 3 classes,
/// 20 training examples per task, a linear soft-sharing model (strictly convex).
@Suite struct TrainingTests {
    private struct Problem {
        var model: any MultitaskModel
        var batch: TaskBatch
        var start: [Double]

        init() throws {
            var spec = SyntheticSpec()
            spec.tasks = 3; spec.features = 5; spec.train = 20; spec.val = 3; spec.test = 3; spec.seed = 4
            let train = try makeSyntheticData(spec).filter { $0.extra("split") == "\"train\"" }
            let schema = try TaskSchema.derive(from: train, file: "synthetic")
            batch = try TaskBatch(train, schema: schema, file: "synthetic")
            model = try makeModel(Architecture(
                sharing: .soft, inputs: schema.features, hidden: [], activation: .identity, loss: schema.loss,
                tasks: schema.taskNames, outputs: schema.tasks.map(\.outputs), lambda: 1e-2, coupling: 0.1))
            start = model.initialParameters(seed: 1)
        }

        /// L(w) and ‖∇L(w)‖ on the full training set.
        func evaluate(_ w: [Double]) -> (value: Double, gradientNorm: Double) {
            var g = [Double](repeating: 0, count: w.count)
            let value = model.objective(w, batch, regularized: true, gradient: &g)
            return (value, euclideanNorm(g))
        }

        func fit(_ optimizer: Optimizer, from w: [Double], lbfgs: LBFGS = LBFGS(), adam: Adam = Adam()) throws
            -> (parameters: [Double], report: TrainingReport)
        {
            try fitModel(model, batch, from: w, optimizer: optimizer, lbfgs: lbfgs, adam: adam,
                         log: Log(tool: "test", quiet: true))
        }
    }

    private static var tight: LBFGS {
        var solver = LBFGS()
        solver.tolerance = 1e-9
        return solver
    }

    @Test func lbfgsReachesStationarityAndReportsIt() throws {
        let p = try Problem()
        #expect(p.batch.count == 60 && p.model.layout.count == 4 * (3 * 5 + 3))
        let (w, report) = try p.fit(.lbfgs, from: p.start, lbfgs: Self.tight)
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
        let (optimum, _) = try p.fit(.lbfgs, from: p.start, lbfgs: Self.tight)
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
        let (optimum, first) = try p.fit(.lbfgs, from: p.start, lbfgs: Self.tight)
        let (w, again) = try p.fit(.lbfgs, from: optimum, lbfgs: Self.tight)
        #expect(again.iterations <= 2, "\(again.iterations) iterations from the optimum (\(first.iterations) from scratch)")
        #expect(again.converged)
        #expect(again.initialGradientNorm == first.gradientNorm)
        #expect(zip(w, optimum).allSatisfy { abs($0 - $1) <= 1e-8 })
    }
}
