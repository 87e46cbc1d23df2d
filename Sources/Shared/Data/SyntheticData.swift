// Synthetic multitask data with known task relatedness (spec §7).
//
// Dimensions: K tasks, D features, C classes (1 output for regression),
// n = train + val + test examples per task.
//
// Generative model (all randomness from SplitMix64 streams of `seed`):
//
//   x ~ N(0, I_D)
//   shared truth      W0 (C, D) entries ~ N(0, 1)/√D,  b0 (C) ~ N(0, 1)·0.1
//   related task k    W_k = W0 + deviation·E_k,        b_k = b0 + deviation·e_k
//                     with E_k, e_k drawn like W0, b0
//   unrelated task k  W_k, b_k drawn independently like W0, b0
//
//   classification    y = argmax_c (W_k x + b_k)_c + noise·G_c,  G_c ~ Gumbel(0, 1)
//                     i.e. y ~ softmax((W_k x + b_k)/noise); noise = 0 is argmax.
//   regression        y = w_kᵀx + b_k + noise·N(0, 1)   (C = 1)
//
// The 1/√D scale makes every logit (or the regression signal) have variance
// about 1 whatever D is, so `noise` means the same thing for every D. With
// the defaults (C = 3, noise 0.25) the true model labels about 85% of clean
// examples right (82–88% over seeds 0–19): the Bayes accuracy.
//
// Known negative transfer: the unrelated tasks, and a fixed share of the
// training examples of each related task whose label is corrupted
// (classification: a different class, uniformly; regression:
// −y + 3·σ_y·N(0, 1) with σ_y = √(‖w_k‖² + noise²)). Validation and test
// examples are never corrupted.

/// Settings of `makeSyntheticData`. Every field has the default of the
/// toolkit's main experiment; the flag of each setting is in its comment.
package struct SyntheticSpec: Equatable, Sendable {
    package enum Kind: String, Sendable, CaseIterable {
        case classification
        case regression
    }

    /// K (`--tasks`).
    package var tasks: Int = 6
    /// D (`--features`).
    package var features: Int = 10
    /// Classification or regression (`--kind`).
    package var kind: Kind = .classification
    /// C for every task (`--classes`); ignored for regression (C = 1).
    package var classes: Int = 3
    /// Training examples per task (`--train`). Few, so that sharing helps.
    package var train: Int = 60
    /// Validation examples per task (`--val`).
    package var val: Int = 40
    /// Test examples per task (`--test`). Large, so that measured effects are not noise.
    package var test: Int = 200
    /// Share of tasks that are unrelated (`--unrelated`): round(K·fraction)
    /// tasks, at most K − 1, so at least one task is related.
    package var unrelatedFraction: Double = 1.0 / 3.0
    /// Share of the training examples of each related task whose label is
    /// corrupted (`--corrupt`): round(train·fraction) examples per task.
    package var corruptFraction: Double = 0.15
    /// Scale of a related task's deviation from the shared truth, relative to
    /// the shared component (`--deviation`).
    package var taskDeviation: Double = 0.3
    /// Classification: Gumbel temperature of the labels; regression: standard
    /// deviation of the additive noise (`--noise`).
    package var noise: Double = 0.25
    /// `--seed`.
    package var seed: UInt64 = 0

    package init() {}

    /// Outputs per task: C for classification, 1 for regression.
    package var outputs: Int { kind == .classification ? classes : 1 }

    /// Examples per task.
    package var perTask: Int { train + val + test }

    /// Number of unrelated tasks: round(K·fraction) capped at K − 1.
    package var unrelatedCount: Int {
        let rounded = Int((Double(tasks) * unrelatedFraction).rounded())
        return max(0, min(rounded, tasks - 1))
    }

    /// Corrupted training examples in each related task: round(train·fraction).
    package var corruptedPerTask: Int {
        min(train, Int((Double(train) * corruptFraction).rounded()))
    }

    /// Name of task k (0-based): "t01", "t02", … zero-padded to at least 2 digits.
    package func taskName(_ k: Int) -> String {
        "t" + SyntheticSpec.padded(k + 1, width: max(2, String(tasks).count))
    }

    /// Throws a usage error naming the flag of the first invalid setting.
    package func validate() throws {
        func positive(_ value: Int, _ flag: String, _ what: String) throws {
            guard value >= 1 else { throw MTIFError.usage("\(flag) must be at least 1 (\(what)), got \(value)") }
        }
        try positive(tasks, "--tasks", "tasks")
        try positive(features, "--features", "features per example")
        if kind == .classification && classes < 2 {
            throw MTIFError.usage("--classes must be at least 2 for classification, got \(classes)",
                                  hint: "use --kind regression for a real-valued target")
        }
        try positive(train, "--train", "training examples per task")
        try positive(val, "--val", "validation examples per task")
        try positive(test, "--test", "test examples per task")
        for (value, flag) in [(unrelatedFraction, "--unrelated"), (corruptFraction, "--corrupt")] {
            guard value.isFinite && value >= 0 && value < 1 else {
                throw MTIFError.usage("\(flag) must be a fraction in [0, 1), got \(value)")
            }
        }
        guard taskDeviation.isFinite && taskDeviation >= 0 else {
            throw MTIFError.usage("--deviation must be a finite number ≥ 0, got \(taskDeviation)")
        }
        guard noise.isFinite && noise >= 0 else {
            throw MTIFError.usage("--noise must be a finite number ≥ 0, got \(noise)")
        }
        let (total, overflow) = tasks.multipliedReportingOverflow(by: perTask)
        guard !overflow && total <= 100_000_000 else {
            throw MTIFError.usage("--tasks × (--train + --val + --test) is too large: at most 100000000 examples")
        }
    }

    static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// The true parameters behind a synthetic data set: what a perfect learner
/// would recover. Tests and reports use it to measure the planted structure.
package struct SyntheticTruth: Sendable {
    package let spec: SyntheticSpec
    /// (K) task names.
    package let taskNames: [String]
    /// (K) whether each task is unrelated to the shared truth.
    package let unrelated: [Bool]
    /// (C, D) row-major shared weights W0.
    package let sharedWeights: [Double]
    /// (C) shared biases b0.
    package let sharedBiases: [Double]
    /// (K) of (C, D) row-major weights W_k.
    package let weights: [[Double]]
    /// (K) of (C) biases b_k.
    package let biases: [[Double]]

    /// Bias scale relative to the weight rows' norm (≈ 1): small enough that
    /// classes stay roughly balanced. Measured over seeds 0–19 with the
    /// defaults: the rarest class of a task holds ≥ 19% of it (with 0.5 one
    /// class often took 70%).
    static let biasScale = 0.1

    /// Draws the true parameters of `spec`; validates the settings first.
    package init(_ spec: SyntheticSpec) throws {
        try spec.validate()
        self.spec = spec
        let c = spec.outputs, d = spec.features, k = spec.tasks
        let weightScale = 1 / Double(d).squareRoot()

        func draw(_ rng: inout SplitMix64) -> (w: [Double], b: [Double]) {
            var w = [Double](repeating: 0, count: c * d)  // (C, D)
            for i in w.indices { w[i] = rng.normal() * weightScale }
            var b = [Double](repeating: 0, count: c)  // (C)
            for i in b.indices { b[i] = rng.normal() * SyntheticTruth.biasScale }
            return (w, b)
        }

        var sharedRNG = SplitMix64(seed: spec.seed, stream: Streams.shared)
        let shared = draw(&sharedRNG)
        sharedWeights = shared.w
        sharedBiases = shared.b

        // Unrelated tasks: the last `unrelatedCount` of a seeded shuffle of 0..<K.
        var order = Array(0 ..< k)
        var choiceRNG = SplitMix64(seed: spec.seed, stream: Streams.unrelatedChoice)
        choiceRNG.shuffle(&order)
        var unrelated = [Bool](repeating: false, count: k)
        for task in order.suffix(spec.unrelatedCount) { unrelated[task] = true }
        self.unrelated = unrelated

        var weights: [[Double]] = [], biases: [[Double]] = []
        for task in 0 ..< k {
            var rng = SplitMix64(seed: spec.seed, stream: Streams.parameters + UInt64(task))
            let own = draw(&rng)
            if unrelated[task] {
                weights.append(own.w)
                biases.append(own.b)
            } else {
                weights.append(zip(shared.w, own.w).map { $0 + spec.taskDeviation * $1 })
                biases.append(zip(shared.b, own.b).map { $0 + spec.taskDeviation * $1 })
            }
        }
        self.weights = weights
        self.biases = biases
        taskNames = (0 ..< k).map(spec.taskName)
    }

    /// (C) noise-free scores W_k x + b_k of task `task` (0-based) at `x` (D).
    package func scores(task: Int, x: [Double]) -> [Double] {
        let c = spec.outputs, d = spec.features
        precondition(x.count == d)
        let w = weights[task]
        var out = biases[task]
        for row in 0 ..< c {
            var sum = 0.0
            for j in 0 ..< d { sum += w[row * d + j] * x[j] }
            out[row] += sum
        }
        return out
    }

    /// The Bayes prediction of the true model: the class of the largest score
    /// (classification) or index 0 (regression; see `scores`).
    package func predictClass(task: Int, x: [Double]) -> Int {
        let s = scores(task: task, x: x)
        var best = 0
        for i in 1 ..< s.count where s[i] > s[best] { best = i }
        return best
    }

    /// σ_y of task `task` for regression: √(‖w_k‖² + noise²).
    package func regressionScale(task: Int) -> Double {
        (weights[task].reduce(0) { $0 + $1 * $1 } + spec.noise * spec.noise).squareRoot()
    }

    /// Stream labels: each consumer has its own stream of `seed`, so adding a
    /// task changes neither the shared truth nor the other tasks' examples
    /// (only which tasks are unrelated may change with K).
    enum Streams {
        static let shared: UInt64 = 0x5348_4152_4544  // "SHARED"
        static let unrelatedChoice: UInt64 = 0x554E_5245_4C41  // "UNRELA"
        static let parameters: UInt64 = 1 << 32
        static let examples: UInt64 = 2 << 32
        static let corruption: UInt64 = 3 << 32
    }
}

/// Generates the synthetic multitask data set of `spec` (see the model at the
/// top of this file). Tasks come in order t01…tK; within a task the examples
/// are `<task>-0000`, `<task>-0001`, … and the first `train` are the training
/// split, the next `val` validation, the rest test (x is i.i.d., so this is as
/// good as a random assignment). Extra fields, in this order: `"split"`
/// (`"train"`, `"val"`, `"test"`), `"corrupted"` (true only on a corrupted
/// training example of a related task), `"unrelated"` (per task).
/// Same spec → identical output.
package func makeSyntheticData(_ spec: SyntheticSpec) throws -> [Example] {
    try makeSyntheticData(SyntheticTruth(spec))
}

/// Generates the examples of a drawn truth; `makeSyntheticData(spec)` is this
/// with `SyntheticTruth(spec)`.
package func makeSyntheticData(_ truth: SyntheticTruth) -> [Example] {
    let spec = truth.spec
    let d = spec.features, c = spec.outputs, n = spec.perTask
    let idWidth = max(4, String(n - 1).count)
    var examples: [Example] = []
    examples.reserveCapacity(spec.tasks * n)
    for task in 0 ..< spec.tasks {
        let name = truth.taskNames[task]
        let unrelated = truth.unrelated[task]

        // Which training examples are corrupted: a seeded sample of
        // `corruptedPerTask` of the first `train` indices, related tasks only.
        var corrupted = [Bool](repeating: false, count: n)
        var corruptRNG = SplitMix64(seed: spec.seed, stream: SyntheticTruth.Streams.corruption + UInt64(task))
        if !unrelated {
            var candidates = Array(0 ..< spec.train)
            corruptRNG.shuffle(&candidates)
            for i in candidates.prefix(spec.corruptedPerTask) { corrupted[i] = true }
        }
        let sigmaY = c == 1 ? truth.regressionScale(task: task) : 0

        var rng = SplitMix64(seed: spec.seed, stream: SyntheticTruth.Streams.examples + UInt64(task))
        for i in 0 ..< n {
            var x = [Double](repeating: 0, count: d)  // (D)
            for j in 0 ..< d { x[j] = rng.normal() }
            let scores = truth.scores(task: task, x: x)
            let label: Label
            switch spec.kind {
            case .classification:
                var best = 0, bestValue = -Double.infinity
                for cls in 0 ..< c {
                    let value = scores[cls] + spec.noise * gumbel(&rng)
                    if value > bestValue { best = cls; bestValue = value }
                }
                if corrupted[i] { best = (best + 1 + corruptRNG.below(c - 1)) % c }
                label = .index(best)
            case .regression:
                var y = scores[0] + spec.noise * rng.normal()
                if corrupted[i] { y = -y + 3 * sigmaY * corruptRNG.normal() }
                label = .value(y)
            }
            let split = i < spec.train ? "train" : (i < spec.train + spec.val ? "val" : "test")
            examples.append(Example(
                id: name + "-" + SyntheticSpec.padded(i, width: idWidth), task: name, x: x, y: label,
                extras: [
                    ExtraField(key: "split", json: "\"\(split)\""),
                    ExtraField(key: "corrupted", json: corrupted[i] ? "true" : "false"),
                    ExtraField(key: "unrelated", json: unrelated ? "true" : "false"),
                ]))
        }
    }
    return examples
}

/// A standard Gumbel draw, −log(−log U) with U in (0, 1).
private func gumbel(_ rng: inout SplitMix64) -> Double {
    var u = rng.uniform()
    while u <= 0 { u = rng.uniform() }
    return -syntheticLog(-syntheticLog(u))
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func syntheticLog(_ x: Double) -> Double { Glibc.log(x) }
#else
import Darwin
@inline(__always) private func syntheticLog(_ x: Double) -> Double { Darwin.log(x) }
#endif
