import Shared
import Testing

/// The fused join's dots s_k · ∇ℓ(z) without forming ∇ℓ: equal to the
/// per-example gradients times s on every smooth model, on a batch of several
/// chunks, with rows written where `destination` says.
struct GradientDotsTests {
    @Test(arguments: ModelCase.smooth + [
        ModelCase.hard(.tanh, hidden: [3, 2], loss: .crossEntropy, rows: [700, 0, 900]),
        ModelCase.hard(.relu, hidden: [5], loss: .squaredError),
    ])
    func dotsEqualGradientsTimesVectors(_ c: ModelCase) throws {
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = c.parameters(model)
        let p = model.layout.count, n = batch.count, k = 3
        let s = (0 ..< k).flatMap { randomVector(p, seed: 40 + UInt64($0)) }
        var gradients: [Double] = []
        model.perExampleGradients(w, batch, into: &gradients)  // (n, P)
        let destination = (0 ..< n).reversed().map { $0 }  // rows land in reverse order
        var dots = [Double](repeating: .nan, count: n * k)
        dots.withUnsafeMutableBufferPointer { model.gradientDots(w, vectors: s, count: k)(batch, destination: destination, into: $0.baseAddress!) }
        for i in 0 ..< n {
            for t in 0 ..< k {
                var want = 0.0, scale = 0.0
                for j in 0 ..< p {
                    want += gradients[i * p + j] * s[t * p + j]
                    scale += abs(gradients[i * p + j] * s[t * p + j])
                }
                let got = dots[destination[i] * k + t]
                #expect(abs(got - want) <= 1e-13 * max(scale, 1e-300), "\(c) row \(i) target \(t): \(got) vs \(want)")
            }
        }
    }
}
