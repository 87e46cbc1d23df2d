import Foundation

/// The eigendecomposition A = U diag(λ) Uᵀ of a dense symmetric matrix.
///
/// Dimensions: n rows and columns.
///   a       (n, n) row-major, symmetric (only its lower triangle is read)
///   values  (n) eigenvalues, ascending
///   vectors (n, n) row-major U: column j is the unit eigenvector of values[j]
///
/// Mathematics (EISPACK tred2 + tql2, as in JAMA): Householder reflections
/// reduce A to a tridiagonal T = QᵀAQ, accumulating Q; then the implicit QL
/// algorithm with Wilkinson-like shifts diagonalises T by Givens rotations,
/// applied to Q as well. The rotations work on rows of Uᵀ (contiguous), and
/// the result is transposed once at the end. Cost about 4n³ flops (9n³ with
/// the vectors); n = 562 (a HAR input layer with its bias) takes well under a
/// second. Stopping rule: an off-diagonal entry is zero when it is ≤ ε·max_l
/// (|d_l| + |e_l|); more than 60 sweeps for one eigenvalue is a failure (nil).
package struct SymmetricEigen: Sendable {
    package let values: [Double]
    package let vectors: [Double]
    package let n: Int

    /// nil when the QL iteration does not converge (NaN or Inf in `a`).
    package init?(_ a: [Double], n: Int) {
        precondition(a.count == n * n)
        self.n = n
        guard n > 0 else { values = []; vectors = []; return }
        guard a.allSatisfy(\.isFinite) else { return nil }
        var v = a  // (n, n) row-major; tred2 reads the lower triangle
        for i in 0 ..< n { for j in i + 1 ..< n { v[i * n + j] = v[j * n + i] } }
        var d = [Double](repeating: 0, count: n)
        var e = [Double](repeating: 0, count: n)
        Self.tridiagonalize(&v, &d, &e, n)
        // Uᵀ: rows are the columns of Q, so the QL rotations touch contiguous rows.
        var ut = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { for j in 0 ..< n { ut[j * n + i] = v[i * n + j] } }
        guard Self.diagonalize(&ut, &d, &e, n) else { return nil }
        let order = (0 ..< n).sorted { d[$0] < d[$1] || (d[$0] == d[$1] && $0 < $1) }
        var vectors = [Double](repeating: 0, count: n * n)
        for (j, source) in order.enumerated() {
            for i in 0 ..< n { vectors[i * n + j] = ut[source * n + i] }
        }
        values = order.map { d[$0] }
        self.vectors = vectors
    }

    /// Householder reduction to tridiagonal form (tred2). On return v (n, n)
    /// holds Q, d the diagonal and e[1...] the subdiagonal of T.
    private static func tridiagonalize(_ v: inout [Double], _ d: inout [Double], _ e: inout [Double], _ n: Int) {
        v.withUnsafeMutableBufferPointer { vb in
            let v = vb.baseAddress!
            for j in 0 ..< n { d[j] = v[(n - 1) * n + j] }
            for i in stride(from: n - 1, to: 0, by: -1) {
                var scale = 0.0, h = 0.0
                for k in 0 ..< i { scale += abs(d[k]) }
                if scale == 0 {
                    e[i] = d[i - 1]
                    for j in 0 ..< i {
                        d[j] = v[(i - 1) * n + j]
                        v[i * n + j] = 0
                        v[j * n + i] = 0
                    }
                } else {
                    for k in 0 ..< i {
                        d[k] /= scale
                        h += d[k] * d[k]
                    }
                    var f = d[i - 1]
                    var g = h.squareRoot()
                    if f > 0 { g = -g }
                    e[i] = scale * g
                    h -= f * g
                    d[i - 1] = f - g
                    for j in 0 ..< i { e[j] = 0 }
                    for j in 0 ..< i {
                        f = d[j]
                        v[j * n + i] = f
                        g = e[j] + v[j * n + j] * f
                        if j + 1 <= i - 1 {
                            for k in j + 1 ... i - 1 {
                                g += v[k * n + j] * d[k]
                                e[k] += v[k * n + j] * f
                            }
                        }
                        e[j] = g
                    }
                    f = 0
                    for j in 0 ..< i {
                        e[j] /= h
                        f += e[j] * d[j]
                    }
                    let hh = f / (h + h)
                    for j in 0 ..< i { e[j] -= hh * d[j] }
                    for j in 0 ..< i {
                        f = d[j]
                        g = e[j]
                        for k in j ... i - 1 { v[k * n + j] -= f * e[k] + g * d[k] }
                        d[j] = v[(i - 1) * n + j]
                        v[i * n + j] = 0
                    }
                }
                d[i] = h
            }
            // Accumulate the transformations.
            for i in 0 ..< n - 1 {
                v[(n - 1) * n + i] = v[i * n + i]
                v[i * n + i] = 1
                let h = d[i + 1]
                if h != 0 {
                    for k in 0 ... i { d[k] = v[k * n + i + 1] / h }
                    for j in 0 ... i {
                        var g = 0.0
                        for k in 0 ... i { g += v[k * n + i + 1] * v[k * n + j] }
                        for k in 0 ... i { v[k * n + j] -= g * d[k] }
                    }
                }
                for k in 0 ... i { v[k * n + i + 1] = 0 }
            }
            for j in 0 ..< n {
                d[j] = v[(n - 1) * n + j]
                v[(n - 1) * n + j] = 0
            }
            v[(n - 1) * n + n - 1] = 1
            e[0] = 0
        }
    }

    /// Implicit QL on the tridiagonal (d, e) (tql2), rotating the rows of ut
    /// (n, n) = Qᵀ. False when an eigenvalue needs more than 60 sweeps.
    private static func diagonalize(_ ut: inout [Double], _ d: inout [Double], _ e: inout [Double], _ n: Int) -> Bool {
        for i in 1 ..< max(n, 1) { e[i - 1] = e[i] }
        e[n - 1] = 0
        var f = 0.0, largest = 0.0
        let eps = Double.ulpOfOne
        return ut.withUnsafeMutableBufferPointer { ub in
            let u = ub.baseAddress!
            for l in 0 ..< n {
                largest = max(largest, abs(d[l]) + abs(e[l]))
                var m = l
                while m < n - 1 {
                    if abs(e[m]) <= eps * largest { break }
                    m += 1
                }
                if m > l {
                    var sweeps = 0
                    repeat {
                        sweeps += 1
                        if sweeps > 60 { return false }
                        var g = d[l]
                        var p = (d[l + 1] - g) / (2 * e[l])
                        var r = hypot(p, 1)
                        if p < 0 { r = -r }
                        d[l] = e[l] / (p + r)
                        d[l + 1] = e[l] * (p + r)
                        let dl1 = d[l + 1]
                        var h = g - d[l]
                        if l + 2 < n { for i in l + 2 ..< n { d[i] -= h } }
                        f += h
                        p = d[m]
                        var c = 1.0, c2 = 1.0, c3 = 1.0
                        let el1 = e[l + 1]
                        var s = 0.0, s2 = 0.0
                        for i in stride(from: m - 1, through: l, by: -1) {
                            c3 = c2
                            c2 = c
                            s2 = s
                            g = c * e[i]
                            h = c * p
                            r = hypot(p, e[i])
                            e[i + 1] = s * r
                            s = e[i] / r
                            c = p / r
                            p = c * d[i] - s * g
                            d[i + 1] = h + s * (c * g + s * d[i])
                            // Columns i and i+1 of Q are rows i and i+1 of ut.
                            let ri = u + i * n, rj = u + (i + 1) * n
                            for k in 0 ..< n {
                                let hk = rj[k]
                                rj[k] = s * ri[k] + c * hk
                                ri[k] = c * ri[k] - s * hk
                            }
                        }
                        p = -s * s2 * c3 * el1 * e[l] / dl1
                        e[l] = s * p
                        d[l] = c * p
                        guard d[l].isFinite, e[l].isFinite else { return false }
                    } while abs(e[l]) > eps * largest
                }
                d[l] += f
                e[l] = 0
            }
            return true
        }
    }
}
