import Foundation
import Testing
import Shared

/// Every model variant's gradient, per-example gradients and Hessian-vector
/// product against central finite differences in Double (relative error ≤ 1e-6).
@Suite struct ModelDerivativeTests {
    static let tolerance = 1e-6

    @Test(arguments: ModelCase.smooth)
    func objectiveGradientMatchesFiniteDifferences(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        for regularized in [false, true] {
            var gradient: [Double] = []
            _ = model.objective(w, batch, regularized: regularized, gradient: &gradient)
            let numeric = numericObjectiveGradient(model, batch, w, regularized: regularized)
            let error = relativeError(gradient, numeric)
            print("FD gradient \(c) regularized=\(regularized): \(String(format: "%.2e", error))")
            #expect(error <= Self.tolerance, "\(c) regularized=\(regularized): \(error)")
            #expect(norm(gradient) > 1e-3, "a zero gradient would pass trivially")
        }
    }

    @Test(arguments: ModelCase.smooth)
    func perExampleGradientsMatchFiniteDifferences(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let p = model.layout.count
        var rows: [Double] = []
        model.perExampleGradients(w, batch, into: &rows)
        #expect(rows.count == batch.count * p)
        var worst = 0.0
        for i in 0 ..< batch.count {
            let numeric = finiteDifferenceGradient(w) { w in model.perExampleLosses(w, batch)[i] }
            let error = relativeError(Array(rows[i * p ..< (i + 1) * p]), numeric)
            worst = max(worst, error)
            #expect(error <= Self.tolerance, "\(c) row \(i): \(error)")
        }
        print("FD per-example gradient \(c): \(String(format: "%.2e", worst))")

        // Σ_i weight_i ∇ℓ_i + ∇Ω = ∇L.
        var full: [Double] = []
        _ = model.objective(w, batch, regularized: true, gradient: &full)
        var assembled = [Double](repeating: 0, count: p)
        for i in 0 ..< batch.count {
            for j in 0 ..< p { assembled[j] += batch.weights[i] * rows[i * p + j] }
        }
        // A batch whose weights are all zero leaves only ∇Ω.
        var onlyOmega: [Double] = []
        let noWeights = TaskBatch(features: batch.features, x: batch.x, taskRanges: batch.taskRanges,
                                  targets: batch.targets, weights: batch.weights.map { _ in 0 },
                                  sourceIndex: batch.sourceIndex)
        _ = model.objective(w, noWeights, regularized: true, gradient: &onlyOmega)
        for j in 0 ..< p { assembled[j] += onlyOmega[j] }
        let error = relativeError(assembled, full)
        #expect(error <= 1e-12, "\(c): Σ weight_i row_i + ∇Ω vs ∇L: \(error)")
    }

    @Test(arguments: ModelCase.smooth)
    func perExampleGradientsAreZeroOutsideSharedAndOwnTask(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let p = model.layout.count
        var rows: [Double] = []
        model.perExampleGradients(w, batch, into: &rows)
        let taskOf = batch.taskOfRow
        for i in 0 ..< batch.count {
            let own = model.layout.taskRanges[taskOf[i]]
            var outside = 0, inside = 0
            for j in 0 ..< p where rows[i * p + j] != 0 {
                if model.layout.sharedRange.contains(j) || own.contains(j) { inside += 1 } else { outside += 1 }
            }
            #expect(outside == 0, "\(c) row \(i): \(outside) nonzero entries outside γ and task \(taskOf[i])")
            #expect(inside > 0)
        }
    }

    @Test(arguments: ModelCase.smooth)
    func hessianVectorProductMatchesFiniteDifferences(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let epsilon = 1e-5
        for regularized in [false, true] {
            for seed: UInt64 in [21, 22] {
                let v = randomVector(model.layout.count, seed: seed)
                var hv: [Double] = []
                model.hessianVectorProduct(w, batch, regularized: regularized, v, into: &hv)
                let numeric = numericHessianVectorProduct(model, batch, w, v, regularized: regularized, epsilon: epsilon)
                let error = relativeError(hv, numeric)
                print("FD HVP \(c) regularized=\(regularized) v\(seed): \(String(format: "%.2e", error))")
                #expect(error <= Self.tolerance, "\(c) regularized=\(regularized): \(error)")
                #expect(norm(hv) > 1e-3)
            }
        }
    }

    @Test(arguments: ModelCase.smooth)
    func hessianVectorProductIsSymmetric(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let u = randomVector(model.layout.count, seed: 31)
        let v = randomVector(model.layout.count, seed: 32)
        for regularized in [false, true] {
            var hu: [Double] = [], hv: [Double] = []
            model.hessianVectorProduct(w, batch, regularized: regularized, u, into: &hu)
            model.hessianVectorProduct(w, batch, regularized: regularized, v, into: &hv)
            let uHv = zip(u, hv).reduce(0) { $0 + $1.0 * $1.1 }
            let vHu = zip(v, hu).reduce(0) { $0 + $1.0 * $1.1 }
            let error = abs(uHv - vHu) / max(abs(uHv), abs(vHu), 1e-12)
            print("HVP symmetry \(c) regularized=\(regularized): \(String(format: "%.2e", error))")
            #expect(error <= 1e-10, "\(c): u·Hv = \(uHv), v·Hu = \(vHu)")
        }
    }

    /// The batched R-op (one forward pass, R directions per layer product, 32
    /// per group) gives each direction exactly the single product.
    @Test(arguments: ModelCase.smooth)
    func batchedHessianProductsEqualSingleOnes(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let p = model.layout.count, count = 37
        let directions = (0 ..< count).flatMap { randomVector(p, seed: 100 + UInt64($0)) }
        var batched: [Double] = []
        model.hessianVectorProducts(w, batch, regularized: true, directions, count: count, into: &batched)
        for r in [0, 1, 31, 32, 36] {
            var single: [Double] = []
            model.hessianVectorProduct(w, batch, regularized: true, Array(directions[r * p ..< (r + 1) * p]), into: &single)
            #expect(Array(batched[r * p ..< (r + 1) * p]) == single, "\(c) direction \(r)")
        }
    }

    /// Float32 R-products: each batched product within Float rounding of the
    /// Double one (norm-wise ≤ 1e-5; these inner dimensions are ≤ 20), for both
    /// curvatures, and not bit-identical (so the Float path really ran).
    @Test(arguments: ModelCase.smooth)
    func float32ProductsAreDoubleOnesToFloatRounding(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let p = model.layout.count, count = 5
        let directions = (0 ..< count).flatMap { randomVector(p, seed: 200 + UInt64($0)) }
        for curvature in Curvature.allCases {
            var double: [Double] = [], float: [Double] = []
            model.hessianVectorProducts(
                w, batch, regularized: true, directions, count: count, curvature: curvature, precision: .float64,
                into: &double)
            model.hessianVectorProducts(
                w, batch, regularized: true, directions, count: count, curvature: curvature, precision: .float32,
                into: &float)
            for r in 0 ..< count {
                let error = relativeError(Array(float[r * p ..< (r + 1) * p]), Array(double[r * p ..< (r + 1) * p]))
                #expect(error <= 1e-5, "\(c) \(curvature) direction \(r): \(error)")
            }
            #expect(float != double, "\(c) \(curvature): Float32 products equal the Double ones bit for bit")
        }
    }

    /// The forward-pass cache: products through it equal uncached ones bit for
    /// bit, on a batch of several chunks, for both curvatures (one cache
    /// serves both), and new parameters are not served the old passes.
    @Test func forwardPassCacheGivesTheUncachedProducts() throws {
        let c = ModelCase.hard(.tanh, hidden: [3, 2], loss: .crossEntropy, rows: [700, 600, 900])
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model), other = c.parameters(model, seed: 6)
        let p = model.layout.count, count = 3
        let v = (0 ..< count).flatMap { randomVector(p, seed: 300 + UInt64($0)) }
        let cache = ForwardPassCache()
        for (point, curvature) in [(w, Curvature.hessian), (w, .hessian), (w, .ggn), (other, .ggn), (other, .hessian), (w, .hessian)] {
            var plain: [Double] = [], cached: [Double] = []
            model.hessianVectorProducts(point, batch, regularized: true, v, count: count, curvature: curvature,
                                        precision: .float64, cache: nil, into: &plain)
            model.hessianVectorProducts(point, batch, regularized: true, v, count: count, curvature: curvature,
                                        precision: .float64, cache: cache, into: &cached)
            #expect(cached == plain, "\(curvature)")
        }
    }

    /// A batch of more than one chunk (1,024 rows), cut inside a task block:
    /// gradient and HVP still match finite differences.
    @Test func passesOverSeveralChunksMatchFiniteDifferences() throws {
        for c in [ModelCase.hard(.tanh, hidden: [3], loss: .crossEntropy, rows: [700, 600, 900]),
                  ModelCase.hard(.softplus, hidden: [3, 2], loss: .squaredError, rows: [1100, 0, 300])] {
            let model = try makeModel(c.architecture)
            let batch = c.batch()
            let w = c.parameters(model)
            var gradient: [Double] = []
            _ = model.objective(w, batch, regularized: true, gradient: &gradient)
            let numeric = numericObjectiveGradient(model, batch, w, regularized: true)
            #expect(relativeError(gradient, numeric) <= Self.tolerance, "\(c) gradient")
            let v = randomVector(model.layout.count, seed: 7)
            var hv: [Double] = []
            model.hessianVectorProduct(w, batch, regularized: true, v, into: &hv)
            let numericHv = numericHessianVectorProduct(model, batch, w, v, regularized: true)
            #expect(relativeError(hv, numericHv) <= Self.tolerance, "\(c) HVP")
        }
    }

    /// ReLU is not twice differentiable, but away from kinks its gradient is exact
    /// and its Hessian is the Gauss–Newton-like piecewise one.
    @Test func reluGradientMatchesFiniteDifferences() throws {
        for c in [ModelCase.hard(.relu, hidden: [5, 4], loss: .crossEntropy), .soft(.relu, hidden: [5], loss: .squaredError)] {
            let model = try makeModel(c.architecture)
            let batch = c.batch()
            let w = c.parameters(model)
            var gradient: [Double] = []
            _ = model.objective(w, batch, regularized: true, gradient: &gradient)
            let numeric = numericObjectiveGradient(model, batch, w, regularized: true)
            let error = relativeError(gradient, numeric)
            print("FD gradient \(c): \(String(format: "%.2e", error))")
            #expect(error <= Self.tolerance, "\(c): \(error)")
        }
    }
}
