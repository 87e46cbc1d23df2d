import Foundation
import Shared

/// Tiny random multitask problems for finite-difference tests.
struct ModelCase: CustomStringConvertible, Sendable {
    var name: String
    var architecture: Architecture
    /// (K) rows of each task in the batch; 0 = the task is absent.
    var rows: [Int] = [5, 4, 3]

    var description: String { name }

    static func hard(
        _ activation: Activation, hidden: [Int], loss: LossKind, rows: [Int] = [5, 4, 3]
    ) -> ModelCase {
        let outputs = loss == .crossEntropy ? [2, 3, 4] : [1, 1, 1]
        let architecture = Architecture(
            sharing: .hard, inputs: 4, hidden: hidden, activation: activation, loss: loss,
            tasks: ["a", "b", "c"], outputs: outputs, lambda: 0.1, coupling: 0)
        let name = "hard \(activation) \(hidden) \(loss.rawValue)\(rows.contains(0) ? " absent task" : "")"
        return ModelCase(name: name, architecture: architecture, rows: rows)
    }

    static func soft(_ activation: Activation, hidden: [Int], loss: LossKind) -> ModelCase {
        let outputs = loss == .crossEntropy ? [3, 3, 3] : [1, 1, 1]
        let architecture = Architecture(
            sharing: .soft, inputs: 4, hidden: hidden, activation: activation, loss: loss,
            tasks: ["a", "b", "c"], outputs: outputs, lambda: 0.1, coupling: 0.7)
        return ModelCase(name: "soft \(activation) \(hidden) \(loss.rawValue)", architecture: architecture)
    }

    /// Smooth variants: every one is checked against finite differences.
    static let smooth: [ModelCase] = {
        var cases: [ModelCase] = []
        for loss in LossKind.allCases {
            for activation in [Activation.tanh, .softplus, .identity] {
                cases.append(.hard(activation, hidden: [5], loss: loss))
                cases.append(.hard(activation, hidden: [5, 4], loss: loss))
            }
            cases.append(.hard(.tanh, hidden: [5], loss: loss, rows: [6, 0, 6]))
            cases.append(.soft(.identity, hidden: [], loss: loss))
            cases.append(.soft(.tanh, hidden: [5], loss: loss))
            cases.append(.soft(.softplus, hidden: [5], loss: loss))
        }
        return cases
    }()

    /// A random batch with weights that are not all equal, grouped by task.
    func batch(seed: UInt64 = 11) -> TaskBatch {
        var rng = SplitMix64(seed: seed)
        let d = architecture.inputs
        var x: [Double] = [], targets: [Double] = [], weights: [Double] = [], ranges: [Range<Int>] = []
        for (k, count) in rows.enumerated() {
            ranges.append(targets.count ..< targets.count + count)
            for _ in 0 ..< count {
                for _ in 0 ..< d { x.append(rng.normal()) }
                switch architecture.loss {
                case .crossEntropy: targets.append(Double(rng.below(architecture.outputs[k])))
                case .squaredError: targets.append(rng.normal())
                }
                weights.append(0.05 + 0.2 * rng.uniform())
            }
        }
        return TaskBatch(
            features: d, x: x, taskRanges: ranges, targets: targets, weights: weights,
            sourceIndex: Array(0 ..< targets.count))
    }

    /// A random parameter point (θ_k ≠ γ for soft sharing).
    func parameters(_ model: any MultitaskModel, seed: UInt64 = 5) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< model.layout.count).map { _ in 0.6 * rng.normal() }
    }
}

func randomVector(_ count: Int, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0 ..< count).map { _ in rng.normal() }
}

func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// ‖a − b‖ / max(‖a‖, ‖b‖, floor).
func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-12) -> Double {
    precondition(a.count == b.count)
    let difference = norm(zip(a, b).map { $0 - $1 })
    return difference / max(norm(a), norm(b), floor)
}

/// Central differences of f along every coordinate of w.
func finiteDifferenceGradient(_ w: [Double], epsilon: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var w = w
    var result = [Double](repeating: 0, count: w.count)
    for j in w.indices {
        let saved = w[j]
        w[j] = saved + epsilon
        let plus = f(w)
        w[j] = saved - epsilon
        let minus = f(w)
        w[j] = saved
        result[j] = (plus - minus) / (2 * epsilon)
    }
    return result
}

/// Central finite differences of the objective at w: its gradient.
func numericObjectiveGradient(
    _ model: any MultitaskModel, _ batch: TaskBatch, _ w: [Double], regularized: Bool
) -> [Double] {
    finiteDifferenceGradient(w) { w in
        var unused: [Double] = []
        return model.objective(w, batch, regularized: regularized, gradient: &unused)
    }
}

/// Central finite differences of the objective's gradient along v: H·v.
func numericHessianVectorProduct(
    _ model: any MultitaskModel, _ batch: TaskBatch, _ w: [Double], _ v: [Double], regularized: Bool,
    epsilon: Double = 1e-5
) -> [Double] {
    var plus: [Double] = [], minus: [Double] = []
    _ = model.objective(zip(w, v).map { $0 + epsilon * $1 }, batch, regularized: regularized, gradient: &plus)
    _ = model.objective(zip(w, v).map { $0 - epsilon * $1 }, batch, regularized: regularized, gradient: &minus)
    return zip(plus, minus).map { ($0 - $1) / (2 * epsilon) }
}
