import Testing
import Shared

/// Trust-region Newton–CG on functions with known minimisers: a strictly
/// convex quadratic (one step), a non-convex function with a saddle, and a
/// tolerance below the rounding of the gradient (the floor stops it).
@Suite struct TrustRegionNewtonTests {
    /// f = x² − y² + y⁴ (+ 0.5 z²): a saddle at 0, minima at (0, ±1/√2, 0).
    private static func saddle(_ w: [Double], _ g: inout [Double]) -> Double {
        let (x, y, z) = (w[0], w[1], w[2])
        g = [2 * x, -2 * y + 4 * y * y * y, z]
        return x * x - y * y + y * y * y * y + 0.5 * z * z
    }

    private static func saddleCurvature(_ w: [Double], _ v: [Double], _ hv: inout [Double]) {
        hv = [2 * v[0], (-2 + 12 * w[1] * w[1]) * v[1], v[2]]
    }

    @Test func nonConvexStartStaysFiniteDescendsAndFindsAMinimum() throws {
        var newton = TrustRegionNewton()
        newton.tolerance = 1e-12
        var values: [Double] = []
        var g = [Double](repeating: 0, count: 3)
        let start = [1.0, 0.05, -2.0]
        values.append(Self.saddle(start, &g))
        let result = try newton.minimize(
            from: start, Self.saddle, curvature: Self.saddleCurvature, progress: { values.append($0.value) })
        #expect(result.stop == .converged, "\(result.stop)")
        #expect(values.allSatisfy { $0.isFinite })
        #expect(zip(values, values.dropFirst()).allSatisfy { $1 < $0 }, "objective not decreasing: \(values)")
        #expect(abs(result.parameters[0]) < 1e-12 && abs(result.parameters[2]) < 1e-12)
        #expect(abs(abs(result.parameters[1]) - 0.5.squareRoot()) < 1e-12)
        #expect(result.negativeCurvatureSteps >= 1, "the start has negative curvature along y")
        // Quadratic convergence: once ‖g‖ is small, each step squares it (up to a constant).
        let norms = result.gradientNorms
        for (a, b) in zip(norms, norms.dropFirst()) where a < 1e-2 && b > 1e-14 {
            #expect(b <= 50 * a * a, "‖g‖ \(a) → \(b): not quadratic (\(norms))")
        }
    }

    @Test func convexQuadraticConvergesInAFewInexactNewtonSteps() throws {
        // ½wᵀAw − bᵀw with A = diag(1…20); the forcing term lets the first
        // inner solves stop early (η = 0.5 while ‖g‖ ≥ 1), then they tighten.
        let d = 20
        let a = (1 ... d).map(Double.init)
        let b = (0 ..< d).map { Double($0 % 3) - 1 }
        let f: LBFGS.Objective = { w, g in
            var value = 0.0
            for i in 0 ..< d { g[i] = a[i] * w[i] - b[i]; value += 0.5 * a[i] * w[i] * w[i] - b[i] * w[i] }
            return value
        }
        var newton = TrustRegionNewton()
        newton.initialRadius = 100
        let result = try newton.minimize(from: [Double](repeating: 0, count: d), f) { _, v, hv in
            hv = (0 ..< d).map { a[$0] * v[$0] }
        }
        #expect(result.stop == .converged)
        #expect(result.iterations <= 6, "\(result.iterations) iterations: \(result.gradientNorms)")
        #expect(zip(result.gradientNorms, result.gradientNorms.dropFirst()).allSatisfy { $1 < 0.5 * $0 })
        // ‖w − w*‖ ≤ ‖g‖ / λ_min(A) = ‖g‖ (λ_min = 1), and ‖g‖ met the tolerance.
        var error = 0.0
        for i in 0 ..< d { error += (result.parameters[i] - b[i] / a[i]) * (result.parameters[i] - b[i] / a[i]) }
        #expect(error.squareRoot() <= result.gradientNorm + 1e-15)
        #expect(result.gradientNorm <= 1e-10 * max(1, result.initialGradientNorm))
    }

    @Test func aToleranceBelowRoundingStopsAtTheMeasuredFloor() throws {
        // A quadratic whose gradient is computed with deliberate rounding noise of 1e-9.
        let d = 10
        var rng = SplitMix64(seed: 5)
        let noise = (0 ..< 64 * d).map { _ in rng.normal() * 1e-9 }
        var calls = 0
        let f: LBFGS.Objective = { w, g in
            calls += 1
            var value = 0.0
            for i in 0 ..< d {
                g[i] = Double(i + 1) * (w[i] - 1) + noise[(calls * d + i) % noise.count]
                value += 0.5 * Double(i + 1) * (w[i] - 1) * (w[i] - 1)
            }
            return value
        }
        var newton = TrustRegionNewton()
        newton.tolerance = 0
        var measured = 0
        let result = try newton.minimize(
            from: [Double](repeating: 0, count: d), f, curvature: { _, v, hv in hv = (0 ..< d).map { Double($0 + 1) * v[$0] } },
            floor: { w, g in
                measured += 1
                var again = [Double](repeating: 0, count: d)
                _ = try f(w, &again)
                return zip(g, again).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            })
        #expect(result.stop == .roundingFloor, "\(result.stop) at ‖g‖ = \(result.gradientNorm)")
        let floor = try #require(result.roundingFloor)
        #expect(floor > 1e-10 && floor < 1e-7, "floor \(floor)")
        #expect(result.gradientNorm <= 100 * floor)
        #expect(measured == 1)
        #expect(result.iterations < 10)
    }
}
