/// Level-1 kernels on raw Double buffers: dot, axpy, scale, sum.
///
/// Loops run eight lanes at a time through SIMD8<Double> (two AVX2 registers
/// under `-target-cpu haswell`) and multiply-adds go through `addingProduct`,
/// because Swift never fuses `a * b + c` by itself. The tail is scalar. The
/// summation order depends only on `count`, never on timing.

@inline(__always)
private func load8(_ p: UnsafePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
}

@inline(__always)
private func store8(_ value: SIMD8<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Double>.self)
}

/// Σ_i x[i] y[i] over `count` entries.
package func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
    var s0 = SIMD8<Double>(), s1 = SIMD8<Double>()
    var i = 0
    while i + 16 <= count {
        s0.addProduct(load8(x + i), load8(y + i))
        s1.addProduct(load8(x + i + 8), load8(y + i + 8))
        i += 16
    }
    if i + 8 <= count {
        s0.addProduct(load8(x + i), load8(y + i))
        i += 8
    }
    var total = (s0 + s1).sum()
    while i < count {
        total.addProduct(x[i], y[i])
        i += 1
    }
    return total
}

/// y (count) += alpha · x (count).
package func axpy(_ y: UnsafeMutablePointer<Double>, _ alpha: Double, _ x: UnsafePointer<Double>, count: Int) {
    let a = SIMD8<Double>(repeating: alpha)
    var i = 0
    while i + 8 <= count {
        store8(load8(UnsafePointer(y + i)).addingProduct(a, load8(x + i)), y + i)
        i += 8
    }
    while i < count {
        y[i].addProduct(alpha, x[i])
        i += 1
    }
}

/// y (count) = alpha · x (count).
package func scaled(_ y: UnsafeMutablePointer<Double>, _ alpha: Double, _ x: UnsafePointer<Double>, count: Int) {
    let a = SIMD8<Double>(repeating: alpha)
    var i = 0
    while i + 8 <= count {
        store8(a * load8(x + i), y + i)
        i += 8
    }
    while i < count {
        y[i] = alpha * x[i]
        i += 1
    }
}

/// x (count) *= alpha.
package func scale(_ x: UnsafeMutablePointer<Double>, _ alpha: Double, count: Int) {
    scaled(x, alpha, UnsafePointer(x), count: count)
}

/// Σ_i x[i].
package func sum(_ x: UnsafePointer<Double>, count: Int) -> Double {
    var s = SIMD8<Double>()
    var i = 0
    while i + 8 <= count {
        s += load8(x + i)
        i += 8
    }
    var total = s.sum()
    while i < count {
        total += x[i]
        i += 1
    }
    return total
}

/// column (n) += Σ_rows matrix[row, ·], for a (rows, n) matrix with leading dimension ld.
package func addColumnSums(
    _ column: UnsafeMutablePointer<Double>, _ matrix: UnsafePointer<Double>, ld: Int, rows: Int, n: Int
) {
    for r in 0 ..< rows {
        axpy(column, 1, matrix + r * ld, count: n)
    }
}
