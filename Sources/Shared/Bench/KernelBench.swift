import Dispatch

/// The machine's own limits, measured at the start of `mtif-bench`: the
/// peak rate of fused multiply-adds on registers (no memory traffic), and
/// our GEMM at the shapes the hard-sharing model's passes use. Stage rates
/// are reported as fractions of these.
package enum KernelBench {
    /// GFLOP/s of independent SIMD4<Double> FMA chains on `threads` threads
    /// (each thread the same fixed work), the best of a few trials.
    package static func fmaPeak(threads: Int, seconds: Double = 0.4) -> Double {
        let rounds = 2_000_000
        var best = 0.0
        // Each thread's result is kept and folded into the return value (0·x is
        // not foldable for floats), so the chains cannot be optimised away.
        let sinks = UnsafeMutablePointer<Double>.allocate(capacity: threads)
        defer { sinks.deallocate() }
        let slots = UncheckedSendable(sinks)
        let clock = Stopwatch()
        repeat {
            let start = Stopwatch()
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                slots.value[t] = fmaChains(rounds: rounds, seed: Double(t + 1))
            }
            let flops = Double(threads) * Double(rounds) * 12 * 4 * 2
            best = max(best, flops / start.seconds / 1e9)
        } while clock.seconds < seconds
        return best + 0 * (0 ..< threads).reduce(0) { $0 + sinks[$1] }
    }

    /// 12 independent accumulators: enough to cover the FMA latency on two ports.
    @inline(never)
    private static func fmaChains(rounds: Int, seed: Double) -> Double {
        typealias V = SIMD4<Double>
        let x = V(repeating: 1e-9 * seed)  // a ← a + a·x stays finite over the rounds
        var a0 = V(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
        for _ in 0 ..< rounds {
            a0.addProduct(a0, x); a1.addProduct(a1, x); a2.addProduct(a2, x); a3.addProduct(a3, x)
            a4.addProduct(a4, x); a5.addProduct(a5, x); a6.addProduct(a6, x); a7.addProduct(a7, x)
            a8.addProduct(a8, x); a9.addProduct(a9, x); a10.addProduct(a10, x); a11.addProduct(a11, x)
        }
        let total = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11
        return total.sum()
    }

    /// One GEMM shape: C (m, n) = op(A) (m, k) · op(B) (k, n).
    package struct Shape: Sendable {
        package var name: String
        package var m: Int
        package var n: Int
        package var k: Int
        package var transposeA = false
        package var transposeB = false

        package init(_ name: String, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
            self.name = name
            self.m = m
            self.n = n
            self.k = k
            self.transposeA = transposeA
            self.transposeB = transposeB
        }

        package var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// GFLOP/s of `gemm` at `shape` on `threads` threads, the best of repeated
    /// calls for about `seconds` after one warm-up call.
    package static func gemmRate(
        _ shape: Shape, threads: Int, precision: GemmPrecision = .float64, seconds: Double = 0.4
    ) -> Double {
        let a = UnsafeMutablePointer<Double>.allocate(capacity: shape.m * shape.k)
        let b = UnsafeMutablePointer<Double>.allocate(capacity: shape.k * shape.n)
        let c = UnsafeMutablePointer<Double>.allocate(capacity: shape.m * shape.n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var rng = SplitMix64(seed: 1)
        for i in 0 ..< shape.m * shape.k { a[i] = rng.uniform() - 0.5 }
        for i in 0 ..< shape.k * shape.n { b[i] = rng.uniform() - 0.5 }
        let lda = shape.transposeA ? shape.m : shape.k
        let ldb = shape.transposeB ? shape.k : shape.n
        func run() {
            gemm(c, ldc: shape.n, a, lda: lda, transposeA: shape.transposeA, b, ldb: ldb, transposeB: shape.transposeB,
                 m: shape.m, n: shape.n, k: shape.k, accumulate: false, precision: precision, threads: threads)
        }
        run()
        var best = 0.0
        let clock = Stopwatch()
        repeat {
            let start = Stopwatch()
            run()
            best = max(best, shape.flops / start.seconds / 1e9)
        } while clock.seconds < seconds
        return best
    }
}
