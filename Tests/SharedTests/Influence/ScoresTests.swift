import Foundation
import Shared
import Testing

@Suite struct ScoresTests {
    /// score_k(z) = −(1/n_l) s_k·∇ℓ_l(z), written out directly, against the
    /// scorer on task-block and dense rows, for hard (γ in every block) and soft sharing.
    @Test(arguments: [Sharing.hard, .soft])
    func scoresMatchTheFormulaWithExplicitOneOverNAndSign(sharing: Sharing) throws {
        let problem = try TinyProblem(sharing: sharing, hidden: sharing == .hard ? [4] : [], activation: .tanh)
        let model = problem.model
        let p = model.layout.count
        let w = randomVector(p, seed: 8).map { 0.5 * $0 }
        let targets = ["a", "c"]
        let s = randomVector(targets.count * p, seed: 9)  // (K, P) stand-in inverse-HVPs
        let counts = [15, 30, 7]  // n_l: deliberately not the rows present
        let blocks = TaskBlockLayout(architecture: problem.architecture, layout: model.layout)
        let scorer = InfluenceScorer(inverseHVPs: s, targets: targets, blocks: blocks, trainingCounts: counts)
        let dense = try jobRows(problem, w, layout: .dense, batchSize: 5)
        let compact = try jobRows(problem, w, layout: .taskBlock, batchSize: 5)
        let tasks = problem.train.map { problem.schema.taskIndex($0.task)! }
        let n = tasks.count
        var expected = [Double](repeating: 0, count: n * targets.count)
        for i in 0 ..< n {
            for k in targets.indices {
                var dot = 0.0
                for j in 0 ..< p { dot += s[k * p + j] * dense[i * p + j] }
                expected[i * targets.count + k] = -(1.0 / Double(counts[tasks[i]])) * dot
            }
        }
        let scale = expected.map(abs).max()!
        for chunk in [1, 4, n] {
            for (layout, rows, width) in [(RowLayout.taskBlock, compact, blocks.width), (.dense, dense, p)] {
                var got: [Double] = []
                var start = 0
                while start < n {
                    let r = min(chunk, n - start)
                    var out: [Double] = []
                    rows.withUnsafeBufferPointer { all in
                        scorer.scores(
                            UnsafeBufferPointer(rebasing: all[start * width ..< (start + r) * width]), count: r,
                            tasks: Array(tasks[start ..< start + r]), layout: layout, into: &out)
                    }
                    got += out
                    start += r
                }
                #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-12 * scale }, "\(layout) chunk \(chunk)")
            }
        }
    }

    /// A row's scores do not depend on the chunk it came in (sharded runs are byte-identical).
    @Test func scoresDoNotDependOnTheChunk() throws {
        let problem = try TinyProblem(sharing: .hard, hidden: [4], activation: .tanh)
        let p = problem.model.layout.count
        let w = randomVector(p, seed: 2)
        let blocks = TaskBlockLayout(architecture: problem.architecture, layout: problem.model.layout)
        let scorer = InfluenceScorer(
            inverseHVPs: randomVector(3 * p, seed: 6), targets: ["a", "b", "c"], blocks: blocks, trainingCounts: [15, 15, 15])
        let rows = try jobRows(problem, w, layout: .taskBlock, batchSize: 7)
        let tasks = problem.train.map { problem.schema.taskIndex($0.task)! }
        let n = tasks.count
        var all: [Double] = []
        rows.withUnsafeBufferPointer { scorer.scores($0, count: n, tasks: tasks, layout: .taskBlock, into: &all) }
        for i in [0, 1, 17, n - 1] {
            var one: [Double] = []
            rows.withUnsafeBufferPointer {
                scorer.scores(
                    UnsafeBufferPointer(rebasing: $0[i * blocks.width ..< (i + 1) * blocks.width]), count: 1,
                    tasks: [tasks[i]], layout: .taskBlock, into: &one)
            }
            #expect(one == Array(all[i * 3 ..< (i + 1) * 3]))
        }
    }
}
