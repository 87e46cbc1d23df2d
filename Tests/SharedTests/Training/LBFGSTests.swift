import Testing
import Shared

/// L-BFGS on problems with known minimisers: a strictly convex quadratic and
/// Rosenbrock's function; its stopping reasons, NaN handling and determinism.
@Suite struct LBFGSTests {
    /// ½xᵀAx − bᵀx with A = MᵀM/D + I (D = 20, SPD, eigenvalues ≥ 1) and its
    /// minimiser A⁻¹b by Cholesky.
    private struct Quadratic {
        let d = 20
        var a: [Double] = []  // (D, D) row-major
        var b: [Double] = []  // (D)

        init(seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            let m = (0 ..< d * d).map { _ in rng.normal() }  // (D, D)
            a = [Double](repeating: 0, count: d * d)
            for i in 0 ..< d {
                for j in 0 ..< d {
                    var sum = 0.0
                    for k in 0 ..< d { sum += m[k * d + i] * m[k * d + j] }
                    a[i * d + j] = sum / Double(d) + (i == j ? 1 : 0)
                }
            }
            b = (0 ..< d).map { _ in rng.normal() }
        }

        func objective(_ x: [Double], _ g: inout [Double]) -> Double {
            var value = 0.0
            for i in 0 ..< d {
                var ax = 0.0
                for j in 0 ..< d { ax += a[i * d + j] * x[j] }
                g[i] = ax - b[i]
                value += 0.5 * x[i] * ax - b[i] * x[i]
            }
            return value
        }

        /// A⁻¹b by Cholesky A = LLᵀ.
        var minimiser: [Double] {
            var l = [Double](repeating: 0, count: d * d)
            for i in 0 ..< d {
                for j in 0 ... i {
                    var sum = a[i * d + j]
                    for k in 0 ..< j { sum -= l[i * d + k] * l[j * d + k] }
                    l[i * d + j] = i == j ? sum.squareRoot() : sum / l[j * d + j]
                }
            }
            var y = b
            for i in 0 ..< d {
                for k in 0 ..< i { y[i] -= l[i * d + k] * y[k] }
                y[i] /= l[i * d + i]
            }
            var x = y
            for i in stride(from: d - 1, through: 0, by: -1) {
                for k in (i + 1) ..< d { x[i] -= l[k * d + i] * x[k] }
                x[i] /= l[i * d + i]
            }
            return x
        }
    }

    /// f = Σ_i 100(x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at all ones.
    private static func rosenbrock(_ x: [Double], _ g: inout [Double]) -> Double {
        let n = x.count
        var value = 0.0
        for i in 0 ..< n { g[i] = 0 }
        for i in 0 ..< n - 1 {
            let r = x[i + 1] - x[i] * x[i]
            let s = 1 - x[i]
            value += 100 * r * r + s * s
            g[i] += -400 * x[i] * r - 2 * s
            g[i + 1] += 200 * r
        }
        return value
    }

    private static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test func quadraticMinimiserIsAInverseB() throws {
        let q = Quadratic(seed: 7)
        var solver = LBFGS()
        solver.tolerance = 1e-9
        let start = [Double](repeating: 0, count: q.d)
        let result = try solver.minimize(from: start, q.objective)
        let exact = q.minimiser
        // The Cholesky solution is itself a minimiser: its gradient is at rounding level.
        var g = [Double](repeating: 0, count: q.d)
        _ = q.objective(exact, &g)
        #expect(Self.norm(g) < 1e-13)

        #expect(result.stop == .converged)
        #expect(result.initialGradientNorm == Self.norm(q.b))  // g0 = −b at x = 0
        #expect(result.gradientNorm <= 1e-9 * max(1, result.initialGradientNorm))
        let error = zip(result.parameters, exact).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-8, "max |x − A⁻¹b| = \(error)")
        // The reported value and gradient norm are those of the returned point.
        let value = q.objective(result.parameters, &g)
        #expect(value == result.value)
        #expect(Self.norm(g) == result.gradientNorm)
        #expect(result.iterations > 0 && result.iterations < 100, "\(result.iterations) iterations")
        #expect(result.evaluations >= result.iterations + 1)
    }

    @Test(arguments: [2, 10]) func rosenbrockConvergesToAllOnes(dimension: Int) throws {
        var solver = LBFGS()
        solver.tolerance = 1e-12
        solver.maxIterations = 5000
        let start = (0 ..< dimension).map { $0 % 2 == 0 ? -1.2 : 1.0 }
        let result = try solver.minimize(from: start, Self.rosenbrock)
        #expect(result.gradientNorm <= 1e-8, "‖∇f‖ = \(result.gradientNorm), stop \(result.stop)")
        let error = result.parameters.map { abs($0 - 1) }.max()!
        #expect(error <= 1e-7, "max |x − 1| = \(error)")
        #expect(result.value <= 1e-15)
        var g = [Double](repeating: 0, count: dimension)
        _ = Self.rosenbrock(result.parameters, &g)
        #expect(Self.norm(g) == result.gradientNorm)
    }

    @Test func maxIterationsIsReported() throws {
        var solver = LBFGS()
        solver.maxIterations = 5
        let result = try solver.minimize(from: [-1.2, 1], Self.rosenbrock)
        #expect(result.stop == .maxIterations)
        #expect(result.iterations == 5)
        #expect(result.gradientNorm > 1e-3)
        #expect(result.value < 24.2)  // f(−1.2, 1) = 24.2: every iteration descends

        solver.maxIterations = 0
        let none = try solver.minimize(from: [-1.2, 1], Self.rosenbrock)
        #expect(none.stop == .maxIterations && none.iterations == 0 && none.evaluations == 1)
        #expect(none.parameters == [-1.2, 1])
    }

    @Test func startAtTheMinimumConvergesAtOnce() throws {
        let result = try LBFGS().minimize(from: [1, 1, 1], Self.rosenbrock)
        #expect(result.stop == .converged && result.iterations == 0 && result.gradientNorm == 0)
    }

    @Test func notFiniteObjectiveIsAComputationError() {
        expectMTIFError(.computation, containing: ["not finite"]) {
            _ = try LBFGS().minimize(from: [1, 2]) { _, g in
                g[0] = 1; g[1] = 1
                return .nan
            }
        }
        expectMTIFError(.computation, containing: ["not finite"]) {
            _ = try LBFGS().minimize(from: [1, 2]) { x, g in
                g[0] = .nan; g[1] = x[1]
                return x[1] * x[1]
            }
        }
        // Finite at the start, NaN once the line search leaves x₀ ≥ 0.5.
        expectMTIFError(.computation, containing: ["not finite"]) {
            _ = try LBFGS().minimize(from: [1]) { x, g in
                g[0] = 2 * x[0]
                return x[0] < 0.5 ? .nan : x[0] * x[0]
            }
        }
    }

    @Test func twoRunsAreIdenticalBitForBit() throws {
        let q = Quadratic(seed: 3)
        var solver = LBFGS()
        solver.tolerance = 1e-10
        let start = (0 ..< q.d).map { Double($0) / 7 }
        let a = try solver.minimize(from: start, q.objective)
        let b = try solver.minimize(from: start, q.objective)
        #expect(a.parameters.map(\.bitPattern) == b.parameters.map(\.bitPattern))
        #expect(a.value.bitPattern == b.value.bitPattern && a.gradientNorm.bitPattern == b.gradientNorm.bitPattern)
        #expect(a.iterations == b.iterations && a.evaluations == b.evaluations && a.stop == b.stop)

        let r1 = try solver.minimize(from: [-1.2, 1, -1.2, 1], Self.rosenbrock)
        let r2 = try solver.minimize(from: [-1.2, 1, -1.2, 1], Self.rosenbrock)
        #expect(r1.parameters.map(\.bitPattern) == r2.parameters.map(\.bitPattern))
        #expect(r1.iterations == r2.iterations && r1.evaluations == r2.evaluations)
    }
}
