/// Power iteration for the extreme eigenvalues of a symmetric operator A (P×P)
/// given only as products v ↦ Av.
///
/// Mathematics: u₀ random (normal, from `seed`), u_{t+1} = A u_t / ‖A u_t‖;
/// the Rayleigh quotient ρ_t = u_tᵀ A u_t tends to the eigenvalue of largest
/// magnitude. The largest eigenvalue λ_max is that ρ when it is ≥ 0, else the
/// power iteration on A − ρI (whose spectrum is ≥ 0) shifted back. The
/// smallest eigenvalue is λ_max − μ with μ the dominant eigenvalue of
/// λ_max I − A. A Rayleigh quotient never exceeds λ_max, so every estimate of
/// λ_max is from below (callers add a safety factor), and every estimate of
/// λ_min from above.
///
/// Stopping rule: |ρ_t − ρ_{t−1}| ≤ tolerance · |ρ_t|, or `maxIterations`.
/// Defaults: tolerance 1e-3, 100 iterations, seed 0.
package struct PowerIteration: Sendable {
    package var tolerance = 1e-3
    package var maxIterations = 100
    package var seed: UInt64 = 0

    package init(tolerance: Double = 1e-3, maxIterations: Int = 100, seed: UInt64 = 0) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.seed = seed
    }

    package struct Estimate: Sendable {
        /// The Rayleigh quotient at the last iterate.
        package var value: Double
        /// (P) the last iterate, unit length.
        package var vector: [Double]
        /// Products with A used.
        package var products: Int
    }

    /// The eigenvalue of largest magnitude of A − shift·I, starting from
    /// `start` (or a seeded random vector).
    package func dominant(
        dimension p: Int, shift: Double = 0, start: [Double]? = nil, _ apply: ([Double]) -> [Double]
    ) -> Estimate {
        var u: [Double]
        if let start, start.count == p, norm2(start) > 0 {
            u = start
        } else {
            var rng = SplitMix64(seed: seed, stream: 0x9E3)
            u = (0 ..< p).map { _ in rng.normal() }
        }
        normalize(&u)
        var rho = 0.0
        var products = 0
        for t in 0 ..< max(maxIterations, 1) {
            var au = apply(u)
            products += 1
            if shift != 0 { for i in 0 ..< p { au[i] -= shift * u[i] } }
            let next = dotProduct(u, au)
            let length = norm2(au)
            guard length.isFinite, next.isFinite else { break }
            let converged = t > 0 && abs(next - rho) <= tolerance * abs(next)
            rho = next
            if length == 0 { break }
            for i in 0 ..< p { u[i] = au[i] / length }
            if converged { break }
        }
        return Estimate(value: rho + shift, vector: u, products: products)
    }

    /// λ_max (from below).
    package func largest(dimension p: Int, start: [Double]? = nil, _ apply: ([Double]) -> [Double]) -> Estimate {
        let first = dominant(dimension: p, start: start, apply)
        guard first.value < 0 else { return first }
        var second = dominant(dimension: p, shift: first.value, start: nil, apply)
        second.products += first.products
        return second
    }

    /// λ_min (from above), given an estimate of λ_max.
    package func smallest(
        dimension p: Int, largest lambdaMax: Double, _ apply: ([Double]) -> [Double]
    ) -> Estimate {
        // Power iteration on λ_max I − A: its dominant eigenvalue is λ_max − λ_min.
        var estimate = dominant(dimension: p, shift: 0, start: nil) { v in
            let av = apply(v)
            return (0 ..< p).map { lambdaMax * v[$0] - av[$0] }
        }
        estimate.value = lambdaMax - estimate.value
        return estimate
    }
}

func dotProduct(_ a: [Double], _ b: [Double]) -> Double {
    guard !a.isEmpty, !b.isEmpty else { return 0 }
    return a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in dot(a.baseAddress!, b.baseAddress!, count: min(a.count, b.count)) }
    }
}

func norm2(_ a: [Double]) -> Double { dotProduct(a, a).squareRoot() }

private func normalize(_ u: inout [Double]) {
    let length = norm2(u)
    guard length > 0 else { return }
    for i in u.indices { u[i] /= length }
}
