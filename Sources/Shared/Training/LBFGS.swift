/// Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, Alg. 7.4)
/// with a strong-Wolfe line search (Alg. 3.5 and 3.6, cubic interpolation).
///
/// Stopping rule: ‖∇f(w)‖ ≤ tolerance · max(1, ‖∇f(w₀)‖), or `maxIterations`,
/// or a line search that can make no further progress (reported, not hidden).
/// Defaults: memory 10, c₁ = 1e-4, c₂ = 0.9, tolerance 1e-8: tight enough
/// that the optimum satisfies the stationarity influence functions assume.
///
/// Near the optimum f changes by less than its rounding error, so the
/// sufficient-decrease test allows a rise of a few ulps of |f| when the step
/// also shrinks the slope (the "approximate Wolfe" idea of Hager & Zhang); this
/// lets the gradient norm keep falling towards 1e-8 and below.
package struct LBFGS: Sendable {
    package var memory = 10
    package var tolerance = 1e-8
    package var maxIterations = 1000
    package var c1 = 1e-4
    package var c2 = 0.9

    package init() {}

    package enum Stop: String, Codable, Sendable {
        case converged
        case maxIterations = "max_iterations"
        case lineSearchFailed = "line_search_failed"
    }

    package struct Result: Sendable {
        package var parameters: [Double]
        package var value: Double
        package var gradientNorm: Double
        package var initialGradientNorm: Double
        package var iterations: Int
        package var evaluations: Int
        package var stop: Stop
    }

    /// The function to minimise: returns f(w) and overwrites `gradient` with ∇f(w).
    package typealias Objective = (_ w: [Double], _ gradient: inout [Double]) throws -> Double

    /// Minimises `f` from `start`. `progress(iteration, f, ‖∇f‖)` is called after
    /// each iteration. Throws a computation error when f or ∇f is not finite.
    package func minimize(
        from start: [Double], _ f: Objective, progress: ((Int, Double, Double) -> Void)? = nil
    ) throws -> Result {
        let p = start.count
        var w = start
        var g = [Double](repeating: 0, count: p)
        var value = try f(w, &g)
        var evaluations = 1
        try LBFGS.checkFinite(value, g)
        let g0 = vectorNorm(g)
        let threshold = tolerance * max(1, g0)
        var sHistory: [[Double]] = []
        var yHistory: [[Double]] = []
        var rhoHistory: [Double] = []
        var iteration = 0
        var stop = Stop.maxIterations
        var gNorm = g0
        var direction = [Double](repeating: 0, count: p)
        var trialW = [Double](repeating: 0, count: p)
        var trialG = [Double](repeating: 0, count: p)

        while true {
            if gNorm <= threshold { stop = .converged; break }
            if iteration >= maxIterations { stop = .maxIterations; break }
            twoLoop(g, sHistory, yHistory, rhoHistory, into: &direction)
            var slope = vectorDot(g, direction)
            if !(slope < 0) {
                // Lost descent through round-off: restart from steepest descent.
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                for i in 0 ..< p { direction[i] = -g[i] }
                slope = -gNorm * gNorm
            }
            let firstStep = sHistory.isEmpty ? min(1, 1 / gNorm) : 1
            let search = try lineSearch(
                f, w: w, value: value, slope: slope, direction: direction, initialStep: firstStep,
                trialW: &trialW, trialG: &trialG, evaluations: &evaluations)
            guard let accepted = search else {
                if sHistory.isEmpty { stop = .lineSearchFailed; break }
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                continue
            }
            // s = w_new − w, y = g_new − g; keep the pair only with positive curvature.
            var s = [Double](repeating: 0, count: p)
            var y = [Double](repeating: 0, count: p)
            for i in 0 ..< p {
                s[i] = accepted.step * direction[i]
                y[i] = trialG[i] - g[i]
            }
            let sy = vectorDot(s, y)
            if sy > 1e-12 * vectorNorm(s) * vectorNorm(y) && sy > 0 {
                if sHistory.count == memory {
                    sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst()
                }
                sHistory.append(s); yHistory.append(y); rhoHistory.append(1 / sy)
            }
            swap(&w, &trialW)
            swap(&g, &trialG)
            value = accepted.value
            gNorm = vectorNorm(g)
            iteration += 1
            progress?(iteration, value, gNorm)
        }
        return Result(
            parameters: w, value: value, gradientNorm: gNorm, initialGradientNorm: g0,
            iterations: iteration, evaluations: evaluations, stop: stop)
    }

    /// d = −H̃ g by the two-loop recursion, H̃₀ = (sᵀy / yᵀy) I.
    private func twoLoop(
        _ g: [Double], _ sHistory: [[Double]], _ yHistory: [[Double]], _ rho: [Double], into d: inout [Double]
    ) {
        let m = sHistory.count
        for i in 0 ..< g.count { d[i] = -g[i] }
        guard m > 0 else { return }
        var alpha = [Double](repeating: 0, count: m)
        for j in stride(from: m - 1, through: 0, by: -1) {
            alpha[j] = rho[j] * vectorDot(sHistory[j], d)
            vectorAxpy(-alpha[j], yHistory[j], &d)
        }
        let gamma = vectorDot(sHistory[m - 1], yHistory[m - 1]) / vectorDot(yHistory[m - 1], yHistory[m - 1])
        for i in 0 ..< d.count { d[i] *= gamma }
        for j in 0 ..< m {
            let beta = rho[j] * vectorDot(yHistory[j], d)
            vectorAxpy(alpha[j] - beta, sHistory[j], &d)
        }
    }

    private struct Accepted { var step: Double; var value: Double }

    /// Strong-Wolfe line search along `direction`; on success `trialW`, `trialG`
    /// hold the accepted point and its gradient. Nil when no acceptable step was found.
    private func lineSearch(
        _ f: Objective, w: [Double], value f0: Double, slope d0: Double, direction: [Double],
        initialStep: Double, trialW: inout [Double], trialG: inout [Double], evaluations: inout Int
    ) throws -> Accepted? {
        let noise = 1e-14 * max(1, abs(f0))
        func evaluate(_ step: Double) throws -> (value: Double, slope: Double) {
            for i in 0 ..< w.count { trialW[i] = w[i] + step * direction[i] }
            let value = try f(trialW, &trialG)
            evaluations += 1
            try LBFGS.checkFinite(value, trialG)
            return (value, vectorDot(trialG, direction))
        }
        func sufficientDecrease(_ step: Double, _ value: Double, _ slope: Double) -> Bool {
            value <= f0 + c1 * step * d0 || (value <= f0 + noise && abs(slope) <= abs(d0))
        }
        func curvature(_ slope: Double) -> Bool { abs(slope) <= -c2 * d0 }

        var previousStep = 0.0
        var previousValue = f0
        var previousSlope = d0
        var step = initialStep
        for attempt in 0 ..< 30 {
            let (value, slope) = try evaluate(step)
            if !sufficientDecrease(step, value, slope) || (attempt > 0 && value >= previousValue && value > f0 + noise) {
                return try zoom(
                    lo: (previousStep, previousValue, previousSlope), hi: (step, value, slope),
                    evaluate: evaluate, sufficientDecrease: sufficientDecrease, curvature: curvature,
                    f0: f0)
            }
            if curvature(slope) { return Accepted(step: step, value: value) }
            if slope >= 0 {
                return try zoom(
                    lo: (step, value, slope), hi: (previousStep, previousValue, previousSlope),
                    evaluate: evaluate, sufficientDecrease: sufficientDecrease, curvature: curvature,
                    f0: f0)
            }
            previousStep = step; previousValue = value; previousSlope = slope
            step *= 2
        }
        return nil
    }

    private func zoom(
        lo start: (Double, Double, Double), hi end: (Double, Double, Double),
        evaluate: (Double) throws -> (value: Double, slope: Double),
        sufficientDecrease: (Double, Double, Double) -> Bool, curvature: (Double) -> Bool,
        f0: Double
    ) throws -> Accepted? {
        var (loStep, loValue, loSlope) = start
        var (hiStep, hiValue, hiSlope) = end
        for _ in 0 ..< 30 {
            let step = LBFGS.cubicMinimizer(loStep, loValue, loSlope, hiStep, hiValue, hiSlope)
            if abs(hiStep - loStep) < 1e-16 * max(1, abs(loStep)) { break }
            let (value, slope) = try evaluate(step)
            if !sufficientDecrease(step, value, slope) || value >= loValue && value > f0 {
                (hiStep, hiValue, hiSlope) = (step, value, slope)
            } else {
                if curvature(slope) { return Accepted(step: step, value: value) }
                if slope * (hiStep - loStep) >= 0 {
                    (hiStep, hiValue, hiSlope) = (loStep, loValue, loSlope)
                }
                (loStep, loValue, loSlope) = (step, value, slope)
            }
        }
        // No strong-Wolfe point, but a step that lowered f is still progress.
        if loStep > 0 && loValue < f0 {
            _ = try evaluate(loStep)
            return Accepted(step: loStep, value: loValue)
        }
        return nil
    }

    /// Minimiser of the cubic through (a, fa, da), (b, fb, db), kept inside the
    /// middle 80% of the interval; bisection when the cubic has none.
    static func cubicMinimizer(_ a: Double, _ fa: Double, _ da: Double, _ b: Double, _ fb: Double, _ db: Double) -> Double {
        let lower = min(a, b), upper = max(a, b)
        let margin = 0.1 * (upper - lower)
        let d1 = da + db - 3 * (fa - fb) / (a - b)
        let discriminant = d1 * d1 - da * db
        var step = 0.5 * (a + b)
        if discriminant >= 0 {
            let d2 = (b > a ? 1.0 : -1.0) * discriminant.squareRoot()
            let candidate = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2)
            if candidate.isFinite { step = candidate }
        }
        return min(max(step, lower + margin), upper - margin)
    }

    static func checkFinite(_ value: Double, _ gradient: [Double]) throws {
        guard value.isFinite, gradient.allSatisfy({ $0.isFinite }) else {
            throw MTIFError.computation(
                "the objective or its gradient is not finite (NaN or Inf)",
                hint: "standardise the features (mtif-data standardize) or raise --lambda")
        }
    }
}

@inline(__always) fileprivate func vectorDot(_ a: [Double], _ b: [Double]) -> Double {
    var sum = 0.0
    for i in 0 ..< a.count { sum += a[i] * b[i] }
    return sum
}

@inline(__always) fileprivate func vectorNorm(_ a: [Double]) -> Double { vectorDot(a, a).squareRoot() }

@inline(__always) fileprivate func vectorAxpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
    for i in 0 ..< x.count { y[i] += alpha * x[i] }
}
