import Foundation
import Testing
import Shared

/// The Gauss–Newton products (`curvature: .ggn`) against their definition,
/// G = Σ_i weight_i J_iᵀ ∇²_o ℓ_i J_i + ∇²Ω, with J_i v taken by central
/// differences of the outputs and ∇²_o ℓ written out independently here.
@Suite struct GaussNewtonTests {
    private static func ggn(_ model: any MultitaskModel, _ batch: TaskBatch, _ w: [Double], _ v: [Double], count: Int = 1) -> [Double] {
        var result: [Double] = []
        model.hessianVectorProducts(w, batch, regularized: true, v, count: count, curvature: .ggn, into: &result)
        return result
    }

    private static func hessian(_ model: any MultitaskModel, _ batch: TaskBatch, _ w: [Double], _ v: [Double], regularized: Bool = true) -> [Double] {
        var result: [Double] = []
        model.hessianVectorProduct(w, batch, regularized: regularized, v, into: &result)
        return result
    }

    /// uᵀ G v from the definition.
    private static func bilinear(
        _ model: any MultitaskModel, _ batch: TaskBatch, _ w: [Double], _ u: [Double], _ v: [Double], loss: LossKind
    ) -> Double {
        let width = model.architecture.maxOutputs
        let epsilon = 1e-6
        func jvp(_ d: [Double]) -> [Double] {
            let plus = model.outputs(zip(w, d).map { $0 + epsilon * $1 }, batch)
            let minus = model.outputs(zip(w, d).map { $0 - epsilon * $1 }, batch)
            return zip(plus, minus).map { ($0 - $1) / (2 * epsilon) }
        }
        let ju = jvp(u), jv = jvp(v), o = model.outputs(w, batch)
        let taskOf = batch.taskOfRow
        var total = 0.0
        for i in 0 ..< batch.count {
            let c = model.architecture.outputs[taskOf[i]]
            let row = i * width
            switch loss {
            case .squaredError:
                for j in 0 ..< c { total += batch.weights[i] * 2 * ju[row + j] * jv[row + j] }
            case .crossEntropy:
                let top = (0 ..< c).map { o[row + $0] }.max()!
                let e = (0 ..< c).map { exp(o[row + $0] - top) }
                let p = e.map { $0 / e.reduce(0, +) }
                let pu = (0 ..< c).map { p[$0] * ju[row + $0] }.reduce(0, +)
                let pv = (0 ..< c).map { p[$0] * jv[row + $0] }.reduce(0, +)
                var form = 0.0
                for j in 0 ..< c { form += p[j] * ju[row + j] * jv[row + j] }
                total += batch.weights[i] * (form - pu * pv)
            }
        }
        // Ω is quadratic: its Hessian is the regularised minus the unregularised Hessian.
        let withOmega = hessian(model, batch, w, v), without = hessian(model, batch, w, v, regularized: false)
        for j in u.indices { total += u[j] * (withOmega[j] - without[j]) }
        return total
    }

    @Test(arguments: ModelCase.smooth)
    func matchesItsDefinition(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let p = model.layout.count
        for seed in UInt64(1) ... 3 {
            let u = randomVector(p, seed: 100 + seed), v = randomVector(p, seed: 200 + seed)
            let gv = Self.ggn(model, batch, w, v)
            let computed = zip(u, gv).map { $0 * $1 }.reduce(0, +)
            let expected = Self.bilinear(model, batch, w, u, v, loss: c.architecture.loss)
            let error = abs(computed - expected) / max(abs(expected), 1e-3)
            #expect(error <= 1e-7, "\(c): uᵀGv \(computed) vs \(expected) (\(error))")
            // Symmetric and positive semi-definite.
            let gu = Self.ggn(model, batch, w, u)
            let transposed = zip(v, gu).map { $0 * $1 }.reduce(0, +)
            #expect(abs(transposed - computed) <= 1e-10 * max(1, abs(computed)), "\(c): vᵀGu ≠ uᵀGv")
            #expect(zip(v, gv).map { $0 * $1 }.reduce(0, +) > 0, "\(c): vᵀGv ≤ 0")
        }
    }

    @Test func equalsTheHessianForLinearSoftSharing() throws {
        for loss in LossKind.allCases {
            let c = ModelCase.soft(.identity, hidden: [], loss: loss)
            let model = try makeModel(c.architecture)
            let batch = c.batch(), w = c.parameters(model)
            let v = randomVector(model.layout.count, seed: 4)
            let error = relativeError(Self.ggn(model, batch, w, v), Self.hessian(model, batch, w, v))
            #expect(error <= 1e-13, "\(c): \(error)")
        }
    }

    /// At a random point of an MLP the Hessian is indefinite while G is not,
    /// and G differs from H there: the dropped terms are not zero.
    @Test func isPositiveWhereTheHessianIsNot() throws {
        let c = ModelCase.hard(.tanh, hidden: [5, 4], loss: .crossEntropy)
        let model = try makeModel(c.architecture)
        let batch = c.batch(), w = c.parameters(model)
        let p = model.layout.count
        var hessianNegative = 0
        for seed in UInt64(1) ... 40 {
            let v = randomVector(p, seed: seed)
            let vhv = zip(v, Self.hessian(model, batch, w, v, regularized: false)).map { $0 * $1 }.reduce(0, +)
            let vgv = zip(v, Self.ggn(model, batch, w, v)).map { $0 * $1 }.reduce(0, +)
            if vhv < 0 { hessianNegative += 1 }
            #expect(vgv > 0)
        }
        #expect(hessianNegative > 0, "no negative curvature of the loss Hessian found: the test shows nothing")
    }

    @Test func batchedDirectionsEqualSingleProducts() throws {
        let c = ModelCase.hard(.softplus, hidden: [5], loss: .crossEntropy)
        let model = try makeModel(c.architecture)
        let batch = c.batch(), w = c.parameters(model)
        let p = model.layout.count
        let directions = 37
        let v = randomVector(directions * p, seed: 8)
        let all = Self.ggn(model, batch, w, v, count: directions)
        for d in 0 ..< directions {
            let one = Self.ggn(model, batch, w, Array(v[d * p ..< (d + 1) * p]))
            #expect(Array(all[d * p ..< (d + 1) * p]) == one, "direction \(d)")
        }
    }
}
