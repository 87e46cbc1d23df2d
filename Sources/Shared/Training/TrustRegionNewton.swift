/// Trust-region Newton–CG (Steihaug–Toint; Nocedal & Wright, *Numerical
/// Optimization*, Alg. 4.1 with the inner solver Alg. 7.2) on exact
/// Hessian-vector products.
///
/// Mathematics: at w with g = ∇f(w), minimise the model
/// m(p) = gᵀp + ½pᵀHp over ‖p‖ ≤ Δ by conjugate gradients from p = 0. The
/// inner CG stops at ‖Hp + g‖ ≤ η‖g‖. Near a minimum (‖g‖ ≤ 1e-4 ·
/// max(1, ‖∇f(w₀)‖), where L-BFGS hands over) the forcing term is
/// η = ‖g‖ / max(1, ‖∇f(w₀)‖): quadratic convergence. Further out it is
/// Eisenstat and Walker's choice 2 (SIAM J. Sci. Comput. 17, 1996): η₀ = 0.5,
/// η_k = min(0.5, 0.9 (‖g_k‖/‖g_{k−1}‖)²), kept ≥ 0.9 η_{k−1}² while that is
/// above 0.1 — loose and cheap while ‖g‖ falls slowly (a non-convex stretch),
/// tight once it falls fast. (The quadratic term everywhere spent ~200 CG
/// steps per outer step on a HAR MLP far from its basin.) CG also stops at the boundary when an iterate leaves the region, or at the
/// boundary along a direction of non-positive curvature dᵀHd ≤ 0: that is what
/// makes it safe on non-convex objectives (it never solves an indefinite
/// system). The step is accepted when ρ = (actual decrease)/(predicted
/// decrease) > 1e-4; Δ shrinks to ‖p‖/4 when ρ < 1/4 and doubles when ρ > 3/4
/// and the step reached the boundary.
///
/// Near the optimum the decrease is far below the rounding error of f, so
/// f(w) − f(w+p) is noise; when the predicted decrease is below 1e-12·max(1,|f|)
/// the actual one is taken as −½(g(w) + g(w+p))ᵀp instead (the trapezoidal
/// rule along the step: exact for quadratics, error O(‖p‖³), and free of
/// cancellation in f).
///
/// Stopping rule: ‖∇f‖ ≤ tolerance · max(1, ‖∇f(w₀)‖), w₀ the start of the
/// whole training path (`referenceGradientNorm`, default the start of this
/// run); or the rounding floor: below 1e-6·max(1, ‖∇f(w₀)‖), when an accepted
/// step fails to halve ‖∇f‖ (or no decrease is predicted, or the radius
/// collapses), `floor(w, g)` measures the rounding error of the gradient itself
/// (the same sum in another order), and Newton stops once ‖∇f‖ ≤ 100·floor:
/// no step can tell the gradient from its rounding there; or `maxIterations`;
/// or a trust radius below 1e-15·max(1, ‖w‖). Defaults: tolerance 1e-10, 1,000 iterations
/// (a HAR-shaped tanh MLP's flat valley took 620 after 1,000 L-BFGS iterations,
/// with trust-radius-bound steps until the last five), 1,000 CG steps per iteration.
package struct TrustRegionNewton: Sendable {
    package var tolerance = 1e-10
    package var maxIterations = 1000
    package var maxInnerIterations = 1000
    /// Relative ‖∇f‖ below which the forcing term is the quadratic one.
    package var localRegion = 1e-4
    /// nil: Δ₀ = max(1, ‖w₀‖).
    package var initialRadius: Double? = nil

    package init() {}

    package enum Stop: String, Codable, Sendable {
        case converged
        case roundingFloor = "rounding_floor"
        case maxIterations = "max_iterations"
        case radiusCollapsed = "trust_region_collapsed"
    }

    package struct Result: Sendable {
        package var parameters: [Double]
        package var value: Double
        package var gradientNorm: Double
        package var initialGradientNorm: Double
        package var iterations: Int
        package var evaluations: Int
        package var hessianProducts: Int
        /// ‖∇f‖ at the start and after every accepted step.
        package var gradientNorms: [Double]
        /// The measured rounding error of ‖∇f‖, when it was measured.
        package var roundingFloor: Double?
        /// Inner CG runs that ended on non-positive curvature.
        package var negativeCurvatureSteps: Int
        package var stop: Stop
    }

    /// One accepted step, for progress lines.
    package struct Step: Sendable {
        package var iteration: Int
        package var value: Double
        package var gradientNorm: Double
        /// CG steps (= Hessian-vector products) since the previous accepted step.
        package var innerSteps: Int
        package var radius: Double
        package var forcing: Double
    }

    /// (H v) at w, for one direction v; overwrites `result`.
    package typealias Curvature = (_ w: [Double], _ v: [Double], _ result: inout [Double]) -> Void

    /// Minimises f from `start`. `floor(w, ∇f(w))`, when given, returns an
    /// estimate of the rounding error in ‖∇f(w)‖; `progress` is called after
    /// every accepted step.
    package func minimize(
        from start: [Double], referenceGradientNorm: Double? = nil,
        _ f: LBFGS.Objective, curvature: Curvature, floor: (([Double], [Double]) throws -> Double)? = nil,
        progress: ((Step) -> Void)? = nil
    ) throws -> Result {
        let p = start.count
        var w = start
        var g = [Double](repeating: 0, count: p)
        var value = try f(w, &g)
        var evaluations = 1
        try LBFGS.checkFinite(value, g)
        var gNorm = norm2(g)
        let g0 = gNorm
        let scale = max(1, referenceGradientNorm ?? g0)
        let threshold = tolerance * scale
        var radius = initialRadius ?? max(1, norm2(w))
        var norms = [gNorm]
        var products = 0
        var negativeCurvature = 0
        var roundingFloor: Double? = nil
        var iteration = 0
        var stop = Stop.maxIterations
        var trial = [Double](repeating: 0, count: p)
        var trialG = [Double](repeating: 0, count: p)
        var forcing = 0.5
        var productsAtLastStep = 0

        // Near the floor, a step that does not halve ‖g‖ (or no predicted
        // decrease, or a collapsing radius) means the gradient is at the level
        // of its own rounding: measure that level once, and stop within 100× it.
        func atFloor() throws -> Bool {
            guard gNorm < 1e-6 * scale, let floor else { return false }
            if roundingFloor == nil { roundingFloor = try floor(w, g) }
            return gNorm <= 100 * roundingFloor!
        }
        while true {
            if gNorm <= threshold { stop = .converged; break }
            if iteration >= maxIterations { stop = .maxIterations; break }
            if radius <= 1e-15 * max(1, norm2(w)) {
                stop = try atFloor() ? .roundingFloor : .radiusCollapsed
                break
            }
            let eta = gNorm <= localRegion * scale ? min(0.5, gNorm / scale) : forcing
            let inner = steihaug(
                w: w, g: g, gNorm: gNorm, radius: radius,
                target: max(eta * gNorm, 0.1 * threshold), curvature: curvature)
            products += inner.products
            if inner.negativeCurvature { negativeCurvature += 1 }
            let predicted = -inner.modelValue
            let stepNorm = norm2(inner.step)
            guard predicted > 0, stepNorm > 0 else {
                // No decrease predicted: g is at the level of rounding in H·p.
                if try atFloor() { stop = .roundingFloor; break }
                radius = stepNorm / 4
                continue
            }
            for i in 0 ..< p { trial[i] = w[i] + inner.step[i] }
            let trialValue = try f(trial, &trialG)
            evaluations += 1
            let finite = trialValue.isFinite && trialG.allSatisfy(\.isFinite)
            var actual = -Double.infinity
            if finite {
                if predicted > 1e-12 * max(1, abs(value)) {
                    actual = value - trialValue
                } else {
                    var slope = 0.0
                    for i in 0 ..< p { slope += (g[i] + trialG[i]) * inner.step[i] }
                    actual = -0.5 * slope
                }
            }
            let rho = actual / predicted
            if rho < 0.25 {
                radius = stepNorm / 4
            } else if rho > 0.75 && inner.reachedBoundary {
                radius = min(2 * radius, 1e10)
            }
            guard rho > 1e-4 else { continue }
            let trialNorm = norm2(trialG)
            swap(&w, &trial)
            swap(&g, &trialG)
            value = trialValue
            let previous = gNorm
            gNorm = trialNorm
            iteration += 1
            norms.append(gNorm)
            progress?(Step(iteration: iteration, value: value, gradientNorm: gNorm,
                           innerSteps: products - productsAtLastStep, radius: radius, forcing: eta))
            productsAtLastStep = products
            let previousForcing = forcing
            forcing = min(0.5, 0.9 * (gNorm / previous) * (gNorm / previous))
            if 0.9 * previousForcing * previousForcing > 0.1 { forcing = max(forcing, 0.9 * previousForcing * previousForcing) }
            if gNorm > threshold, gNorm > 0.5 * previous, try atFloor() { stop = .roundingFloor; break }
        }
        return Result(
            parameters: w, value: value, gradientNorm: gNorm, initialGradientNorm: g0, iterations: iteration,
            evaluations: evaluations, hessianProducts: products, gradientNorms: norms, roundingFloor: roundingFloor,
            negativeCurvatureSteps: negativeCurvature, stop: stop)
    }

    private struct InnerResult {
        var step: [Double]
        /// m(step) = gᵀstep + ½ stepᵀH step.
        var modelValue: Double
        var reachedBoundary: Bool
        var negativeCurvature: Bool
        var products: Int
    }

    /// Steihaug–Toint CG for min m(z) = gᵀz + ½zᵀHz, ‖z‖ ≤ radius, from z = 0,
    /// until ‖Hz + g‖ ≤ target. m is tracked along the way:
    /// m(z + αd) = m(z) + α dᵀr + ½α² dᵀHd with r = Hz + g.
    private func steihaug(
        w: [Double], g: [Double], gNorm: Double, radius: Double, target: Double, curvature: Curvature
    ) -> InnerResult {
        let p = g.count
        var z = [Double](repeating: 0, count: p)
        var r = g  // Hz + g
        var d = g.map { -$0 }
        var hd = [Double](repeating: 0, count: p)
        var rr = gNorm * gNorm
        var model = 0.0
        var products = 0
        for _ in 0 ..< max(1, maxInnerIterations) {
            curvature(w, d, &hd)
            products += 1
            let dHd = dotProduct(d, hd)
            let dr = dotProduct(d, r)
            if !(dHd > 0) || !dHd.isFinite {
                let tau = boundaryStep(z, d, radius)
                axpyArray(&z, tau, d)
                model += tau * dr + 0.5 * tau * tau * (dHd.isFinite ? dHd : 0)
                return InnerResult(step: z, modelValue: model, reachedBoundary: true, negativeCurvature: true, products: products)
            }
            let alpha = rr / dHd
            // ‖z + αd‖² from the dot products, so the step is taken in place.
            let zz = dotProduct(z, z), zd = dotProduct(z, d), dd = dotProduct(d, d)
            if zz + alpha * (2 * zd + alpha * dd) >= radius * radius {
                let tau = boundaryStep(z, d, radius)
                axpyArray(&z, tau, d)
                model += tau * dr + 0.5 * tau * tau * dHd
                return InnerResult(step: z, modelValue: model, reachedBoundary: true, negativeCurvature: false, products: products)
            }
            model += alpha * dr + 0.5 * alpha * alpha * dHd
            axpyArray(&z, alpha, d)
            axpyArray(&r, alpha, hd)
            let rrNext = dotProduct(r, r)
            if rrNext.squareRoot() <= target { break }
            let beta = rrNext / rr
            for i in 0 ..< p { d[i] = beta * d[i] - r[i] }
            rr = rrNext
        }
        return InnerResult(step: z, modelValue: model, reachedBoundary: false, negativeCurvature: false, products: products)
    }

    /// τ ≥ 0 with ‖z + τd‖ = radius (z inside the region).
    private func boundaryStep(_ z: [Double], _ d: [Double], _ radius: Double) -> Double {
        let dd = dotProduct(d, d), zd = dotProduct(z, d), zz = dotProduct(z, z)
        guard dd > 0 else { return 0 }
        let discriminant = max(0, zd * zd + dd * (radius * radius - zz))
        return (-zd + discriminant.squareRoot()) / dd
    }
}

private func axpyArray(_ y: inout [Double], _ alpha: Double, _ x: [Double]) {
    y.withUnsafeMutableBufferPointer { y in
        x.withUnsafeBufferPointer { x in axpy(y.baseAddress!, alpha, x.baseAddress!, count: x.count) }
    }
}
