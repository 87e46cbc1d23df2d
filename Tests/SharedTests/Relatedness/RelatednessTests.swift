import Foundation
import Testing
import Shared

/// Gradient cosine and TAG's lookahead affinity against direct computations
/// on tiny models (finite-difference gradients of the per-task losses, the
/// lookahead losses evaluated by hand), and the orientation of every method.
@Suite struct RelatednessTests {
    /// L_k(w) = Σ_{i∈k} weight_i ℓ_i, straight from the per-example losses.
    static func taskLoss(_ model: any MultitaskModel, _ batch: TaskBatch, _ w: [Double], _ k: Int) -> Double {
        let losses = model.perExampleLosses(w, batch)
        return batch.taskRanges[k].reduce(0) { $0 + batch.weights[$1] * losses[$1] }
    }

    /// The coordinates task k's gradient is compared on, written out.
    static func view(_ model: any MultitaskModel, _ k: Int) -> Range<Int> {
        model.architecture.sharing == .hard ? model.layout.sharedRange : model.layout.taskRanges[k]
    }

    static let cases = [ModelCase.hard(.tanh, hidden: [5], loss: .crossEntropy),
                        ModelCase.hard(.softplus, hidden: [5, 4], loss: .squaredError),
                        ModelCase.soft(.tanh, hidden: [5], loss: .crossEntropy)]

    @Test(arguments: cases)
    func cosineMatchesDirectComputation(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let (raw, cost) = gradientCosineMatrix(TaskObjectives(model: model, batch: batch), at: w)
        let k = c.architecture.tasks.count
        let gradients = (0 ..< k).map { t in finiteDifferenceGradient(w) { Self.taskLoss(model, batch, $0, t) } }
        for l in 0 ..< k {
            for t in 0 ..< k {
                let a = Array(gradients[l][Self.view(model, l)]), b = Array(gradients[t][Self.view(model, t)])
                let direct = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / (norm(a) * norm(b))
                #expect(abs(raw[l][t]! - direct) <= 1e-7, "\(c) \(l)→\(t): \(raw[l][t]!) vs \(direct)")
            }
            #expect(abs(raw[l][l]! - 1) <= 1e-12)
        }
        #expect(raw.joined().contains { $0! < 0.99 }, "every cosine 1 would pass trivially")
        #expect(cost.gradientEvaluations == k && cost.gradientRows == batch.count)
    }

    @Test(arguments: cases)
    func lookaheadAffinityMatchesDirectComputation(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        var tag = LookaheadAffinity()
        tag.rate = 0.3
        var cost = RelatednessCost()
        let z = tag.affinity(TaskObjectives(model: model, batch: batch), at: w, cost: &cost)
        let k = c.architecture.tasks.count
        for l in 0 ..< k {
            let g = finiteDifferenceGradient(w) { Self.taskLoss(model, batch, $0, l) }
            var ahead = w
            let source = Self.view(model, l)
            // Hard: γ steps along ∇_γ L_l; soft: every task's model steps along ∇_θ L_l.
            let moved = c.architecture.sharing == .hard ? [source] : (0 ..< k).map { Self.view(model, $0) }
            for range in moved { for (j, i) in zip(range, source) { ahead[j] -= 0.3 * g[i] } }
            for t in 0 ..< k {
                let direct = 1 - Self.taskLoss(model, batch, ahead, t) / Self.taskLoss(model, batch, w, t)
                #expect(abs(z[l][t] - direct) <= 1e-7, "\(c) \(l)→\(t): \(z[l][t]) vs \(direct)")
            }
        }
        #expect(z.joined().contains { abs($0) > 1e-3 })
        #expect(cost.gradientEvaluations == k && cost.lossEvaluations == k + 1)
    }

    /// The run averages Z over the iterates 0, every, 2·every, … and the last;
    /// the iterates are recovered independently by stopping L-BFGS after j iterations.
    @Test func lookaheadRunAveragesOverTheLoggedIterates() throws {
        let c = ModelCase.hard(.tanh, hidden: [4], loss: .crossEntropy)
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let objectives = TaskObjectives(model: model, batch: batch)
        let start = model.initialParameters(seed: 3)
        var lbfgs = LBFGS()
        lbfgs.maxIterations = 7
        var tag = LookaheadAffinity()
        tag.every = 3
        let run = try tag.run(objectives, from: start, lbfgs: lbfgs, log: Log(tool: "test", quiet: true))
        #expect(run.result.iterations == 7)
        #expect(run.steps == 4)  // iterations 0, 3, 6 and the last, 7
        let k = c.architecture.tasks.count
        var expected = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for j in [0, 3, 6, 7] {
            var stopped = lbfgs
            stopped.maxIterations = j
            let w = try stopped.minimize(from: start) { w, g in model.objective(w, batch, regularized: true, gradient: &g) }.parameters
            var unused = RelatednessCost()
            let z = tag.affinity(objectives, at: w, cost: &unused)
            for l in 0 ..< k { for t in 0 ..< k { expected[l][t] += z[l][t] / 4 } }
        }
        for l in 0 ..< k { for t in 0 ..< k { #expect(abs(run.raw[l][t]! - expected[l][t]) <= 1e-12) } }
        #expect(run.cost.retrainings == 1 && run.cost.iterations == 7)
    }

    @Test func everyMethodIsOrientedSoThatPositiveMeansHurts() {
        #expect(RelatednessMethod.mtif.oriented(0.2, tasks: 4) == 0.2)
        #expect(RelatednessMethod.loto.oriented(-0.1, tasks: 4) == -0.1)
        #expect(RelatednessMethod.cosine.oriented(0.9, tasks: 4) == -0.9)  // aligned gradients help
        #expect(RelatednessMethod.tag.oriented(0.05, tasks: 4) == -0.05)   // the lookahead lowered L_k: helps
        #expect(abs(RelatednessMethod.vmtl.oriented(0.6, tasks: 4) - (1.0 / 3 - 0.6)) < 1e-15)  // above uniform: related
        #expect(RelatednessMethod.vmtl.oriented(0.1, tasks: 4) > 0)
    }

    @Test func recordsCarryMethodRawAndCost() throws {
        var cost = RelatednessCost()
        cost.seconds = 1.5
        cost.retrainings = 2
        let matrix = RelatednessMatrix(
            method: .cosine, tasks: ["a", "b"], raw: [[1, 0.25], [-0.5, 1]], counts: [10, 20], cost: cost, parameters: "abc")
        let lines = try matrix.lines()
        #expect(lines.count == 6)
        #expect(lines[2] == #"{"type":"relatedness","source":"a","target":"b","value":-0.25,"n":10,"method":"cosine","raw":0.25}"# + "\n")
        #expect(lines[3].contains(#""source":"b","target":"a","value":0.5,"n":20"#))
        #expect(lines[5].hasPrefix(#"{"type":"cost","method":"cosine","seconds":1.5,"retrainings":2"#))
    }
}
