/// The exact solver: the ground truth the iterative solvers are tested against.
///
/// Mathematics: the dense Hessian H (P×P) is assembled from P exact
/// Hessian-vector products with the unit vectors, H e_j = column j; it is
/// symmetrised, A = (H + Hᵀ)/2 + δI, and factored by Cholesky, A = LLᵀ, so each
/// right-hand side v costs two triangular solves, x = L⁻ᵀ L⁻¹ v. When A is
/// not positive definite (a non-convex model with too little damping, or
/// parameters that are not at a minimum), Cholesky breaks down; the solver
/// then factors A by LU with partial pivoting, solves anyway, and warns that
/// H + δI is indefinite, with a power-iteration estimate of its smallest
/// eigenvalue. A singular A is an error.
///
/// Cost: P HVPs, P³/3 flops (Cholesky) and 2P² per right-hand side; memory P².
/// It refuses P > `maxParameters` (default 4000: 128 MB and about 2·10¹⁰
/// flops), pointing at `--solver cg`.
///
/// Reported per row: the relative residual ‖v − Ax‖/‖v‖ computed with A.
package struct ExactSolver: Sendable {
    package var maxParameters = 4000

    package init(maxParameters: Int = 4000) {
        self.maxParameters = maxParameters
    }

    /// Solves (H + δI) x = v for each of the `count` rows of `rhs` (count, P).
    package func solve(_ op: HessianOperator, rhs: [Double], count: Int, log: Log) throws -> InverseHVPSolution {
        let p = op.dimension
        precondition(rhs.count == count * p)
        guard p <= maxParameters else {
            throw MTIFError.usage(
                "the exact solver builds the dense P×P Hessian and the model has P = \(p) parameters, above the limit of \(maxParameters) (\(p * p * 8 / 1_000_000) MB, about \(short(Double(p) * Double(p) * Double(p) / 3)) flops)",
                hint: "use --solver cg (exact products, no dense matrix), or raise --max-params if you have the memory and time")
        }
        let clock = Stopwatch()
        var report = SolverReport(name: "exact", damping: op.damping)
        log.info("exact: assembling the \(p)×\(p) Hessian from \(p) Hessian-vector products")
        var a = assemble(op, asymmetry: &report.asymmetry)
        report.hessianVectorProducts = p
        let original = a  // (P, P) A, kept for the residuals and the eigenvalue estimate
        var solutions = rhs
        if choleskyFactor(&a, p) {
            report.factorization = "cholesky"
            choleskySolve(a, p, &solutions, count: count)
        } else {
            report.factorization = "lu"
            a = original
            let lambdaMin = smallestEigenvalue(original, p)
            report.lambdaMin = lambdaMin - op.damping
            var pivots = [Int](repeating: 0, count: p)
            guard luFactor(&a, p, pivots: &pivots) else {
                throw MTIFError.computation(
                    "H + δI is singular (δ = \(short(op.damping))): a zero pivot in the LU factorisation",
                    hint: "raise --damping to at least \(short(suggestedDamping(lambdaMin: lambdaMin - op.damping, current: op.damping)))")
            }
            log.warning(
                "H + δI is indefinite (δ = \(short(op.damping)); its smallest eigenvalue ≈ \(short(lambdaMin))): Cholesky failed, solved by LU with partial pivoting; the result is a saddle-point solution, not an influence estimate (raise --damping to at least \(short(suggestedDamping(lambdaMin: lambdaMin - op.damping, current: op.damping))), or check that the model converged)")
            luSolve(a, p, pivots, &solutions, count: count)
        }
        report.residuals = residuals(original, p, solutions, rhs, count: count)
        report.wallSeconds = clock.seconds
        return InverseHVPSolution(solutions: solutions, report: report)
    }

    /// (P, P) (H + Hᵀ)/2 + δI, column j from H e_j; columns run in parallel.
    private func assemble(_ op: HessianOperator, asymmetry: inout Double?) -> [Double] {
        let p = op.dimension
        var columns = [Double](repeating: 0, count: p * p)  // (P, P) row j = H e_j
        let chunks = min(p, Gemm.defaultThreads)
        columns.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer.baseAddress!)
            parallelChunks(chunks) { chunk in
                var unit = [Double](repeating: 0, count: p)
                for j in p * chunk / chunks ..< p * (chunk + 1) / chunks {
                    unit[j] = 1
                    let column = op.applyUndamped(unit)
                    unit[j] = 0
                    column.withUnsafeBufferPointer { (target.value + j * p).update(from: $0.baseAddress!, count: p) }
                }
            }
        }
        var largest = 0.0, skew = 0.0
        var a = [Double](repeating: 0, count: p * p)
        for i in 0 ..< p {
            for j in 0 ... i {
                let hij = columns[j * p + i], hji = columns[i * p + j]
                largest = max(largest, abs(hij), abs(hji))
                skew = max(skew, abs(hij - hji))
                let value = 0.5 * (hij + hji)
                a[i * p + j] = value
                a[j * p + i] = value
            }
            a[i * p + i] += op.damping
        }
        asymmetry = largest > 0 ? skew / largest : 0
        return a
    }
}

// MARK: Dense kernels on row-major (P, P) matrices

/// In-place Cholesky A = LLᵀ, L in the lower triangle (column by column; the
/// rows below the diagonal of each column run in parallel). False when a
/// pivot is not positive: A is not positive definite.
func choleskyFactor(_ a: inout [Double], _ p: Int) -> Bool {
    a.withUnsafeMutableBufferPointer { buffer in
        let l = buffer.baseAddress!
        for j in 0 ..< p {
            let rowJ = l + j * p
            let d = rowJ[j] - dot(rowJ, rowJ, count: j)
            guard d > 0, d.isFinite else { return false }
            let pivot = d.squareRoot()
            rowJ[j] = pivot
            let below = p - j - 1
            guard below > 0 else { continue }
            let chunks = Double(below) * Double(j) < 200_000 ? 1 : min(Gemm.defaultThreads, below)
            let shared = UncheckedSendable(l)
            parallelChunks(chunks) { chunk in
                let l = shared.value
                let rowJ = l + j * p
                for i in (j + 1 + below * chunk / chunks) ..< (j + 1 + below * (chunk + 1) / chunks) {
                    let rowI = l + i * p
                    rowI[j] = (rowI[j] - dot(rowI, rowJ, count: j)) / pivot
                }
            }
        }
        return true
    }
}

/// Solves LLᵀ x = b for each row of `rows` (count, P), in place; rows in parallel.
func choleskySolve(_ l: [Double], _ p: Int, _ rows: inout [Double], count: Int) {
    l.withUnsafeBufferPointer { lb in
        rows.withUnsafeMutableBufferPointer { xb in
            let lp = UncheckedSendable(lb.baseAddress!), xp = UncheckedSendable(xb.baseAddress!)
            parallelChunks(min(count, Gemm.defaultThreads)) { chunk in
                let chunks = min(count, Gemm.defaultThreads)
                let l = lp.value
                for r in count * chunk / chunks ..< count * (chunk + 1) / chunks {
                    let x = xp.value + r * p
                    for i in 0 ..< p { x[i] = (x[i] - dot(l + i * p, x, count: i)) / l[i * p + i] }  // L y = b
                    for i in stride(from: p - 1, through: 0, by: -1) {  // Lᵀ x = y, by columns of Lᵀ = rows of L
                        x[i] /= l[i * p + i]
                        axpy(x, -x[i], l + i * p, count: i)
                    }
                }
            }
        }
    }
}

/// In-place LU with partial pivoting, PA = LU (unit L below the diagonal).
/// False on a zero pivot (A singular to working precision).
func luFactor(_ a: inout [Double], _ p: Int, pivots: inout [Int]) -> Bool {
    var scaleOfA = 0.0
    for value in a { scaleOfA = max(scaleOfA, abs(value)) }
    return a.withUnsafeMutableBufferPointer { buffer in
        let m = buffer.baseAddress!
        for k in 0 ..< p {
            var best = k
            for i in k + 1 ..< p where abs(m[i * p + k]) > abs(m[best * p + k]) { best = i }
            pivots[k] = best
            if best != k {
                for c in 0 ..< p { swap(&m[k * p + c], &m[best * p + c]) }
            }
            let pivot = m[k * p + k]
            guard abs(pivot) > 1e-14 * scaleOfA, pivot.isFinite else { return false }
            let below = p - k - 1
            guard below > 0 else { continue }
            let chunks = Double(below) * Double(below) < 200_000 ? 1 : min(Gemm.defaultThreads, below)
            let shared = UncheckedSendable(m)
            parallelChunks(chunks) { chunk in
                let m = shared.value
                for i in (k + 1 + below * chunk / chunks) ..< (k + 1 + below * (chunk + 1) / chunks) {
                    let factor = m[i * p + k] / pivot
                    m[i * p + k] = factor
                    axpy(m + i * p + k + 1, -factor, m + k * p + k + 1, count: below)
                }
            }
        }
        return true
    }
}

/// Solves A x = b from the LU factors for each row of `rows` (count, P), in place.
func luSolve(_ lu: [Double], _ p: Int, _ pivots: [Int], _ rows: inout [Double], count: Int) {
    lu.withUnsafeBufferPointer { lb in
        rows.withUnsafeMutableBufferPointer { xb in
            let l = lb.baseAddress!
            for r in 0 ..< count {
                let x = xb.baseAddress! + r * p
                for k in 0 ..< p where pivots[k] != k { swap(&x[k], &x[pivots[k]]) }
                for i in 0 ..< p { x[i] -= dot(l + i * p, x, count: i) }
                for i in stride(from: p - 1, through: 0, by: -1) {
                    let after = p - i - 1
                    x[i] = (x[i] - dot(l + i * p + i + 1, x + i + 1, count: after)) / l[i * p + i]
                }
            }
        }
    }
}

/// (count) ‖b − A x‖ / ‖b‖ per row (0 for a zero right-hand side solved by 0).
func residuals(_ a: [Double], _ p: Int, _ x: [Double], _ b: [Double], count: Int) -> [Double] {
    var result = [Double](repeating: 0, count: count)
    a.withUnsafeBufferPointer { a in
        x.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { b in
                for r in 0 ..< count {
                    var error = 0.0, size = 0.0
                    for i in 0 ..< p {
                        let e = b[r * p + i] - dot(a.baseAddress! + i * p, x.baseAddress! + r * p, count: p)
                        error += e * e
                        size += b[r * p + i] * b[r * p + i]
                    }
                    result[r] = size > 0 ? (error / size).squareRoot() : error.squareRoot()
                }
            }
        }
    }
    return result
}

/// Power-iteration estimate of the smallest eigenvalue of the dense symmetric A.
func smallestEigenvalue(_ a: [Double], _ p: Int) -> Double {
    let product: ([Double]) -> [Double] = { v in
        a.withUnsafeBufferPointer { a in
            v.withUnsafeBufferPointer { v in
                (0 ..< p).map { dot(a.baseAddress! + $0 * p, v.baseAddress!, count: p) }
            }
        }
    }
    let power = PowerIteration(tolerance: 1e-6, maxIterations: 500)
    let top = power.largest(dimension: p, product)
    return power.smallest(dimension: p, largest: top.value, product).value
}
