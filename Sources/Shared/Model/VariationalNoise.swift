import Foundation

/// The random numbers of one evaluation of the VMTL objective, drawn ahead
/// so that the objective is a deterministic function of u (finite-difference
/// tests hold it fixed; training draws a fresh one per step).
///
///   output  (S, N, C) standard normal ε of the local reparameterisation
///   gumbel  (K, K − 1) Gumbel(0, 1) noise of each task's mixture weights
package struct VariationalNoise: Sendable {
    package let samples: Int
    package let rows: Int
    package let outputs: Int
    package let tasks: Int
    /// (S, N, C) row-major.
    private let normal: [Double]
    /// (K, K − 1) row-major.
    private let gumbelNoise: [Double]

    /// Draws S·N·C normals and K·(K − 1) Gumbel variates −log(−log U) from `rng`.
    package init(samples: Int, rows: Int, outputs: Int, tasks: Int, rng: inout SplitMix64) {
        precondition(samples >= 1 && tasks >= 2)
        self.samples = samples
        self.rows = rows
        self.outputs = outputs
        self.tasks = tasks
        normal = (0 ..< samples * rows * outputs).map { _ in rng.normal() }
        gumbelNoise = (0 ..< tasks * (tasks - 1)).map { _ in
            let u = min(max(rng.uniform(), 1e-300), 1 - 1e-16)
            return -log(-log(u))
        }
    }

    /// Runs `body` with ε (S, N, C) row-major: sample s, row i at (s·N + i)·C.
    func withOutputNoise<Result>(_ body: (UnsafePointer<Double>) -> Result) -> Result {
        normal.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// g_k (K − 1).
    func gumbel(task k: Int) -> [Double] {
        Array(gumbelNoise[k * (tasks - 1) ..< (k + 1) * (tasks - 1)])
    }
}
