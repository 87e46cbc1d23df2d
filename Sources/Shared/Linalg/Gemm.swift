import Foundation

/// Row-major general matrix product on raw Double buffers:
///
///     C (m, n) = op(A) (m, k) · op(B) (k, n)          accumulate == false
///     C (m, n) += op(A) (m, k) · op(B) (k, n)         accumulate == true
///
/// op(A) is A stored (m, k) with leading dimension lda, or, when `transposeA`,
/// Aᵀ for A stored (k, m). Likewise op(B) is B stored (k, n), or Bᵀ for B
/// stored (n, k). So `transposeB` gives A·Bᵀ (a linear layer's forward pass)
/// and `transposeA` gives Aᵀ·B (its weight gradient).
///
/// Structure (Goto/BLIS): blocks of KC along k; a KC×NC block of op(B) and an
/// MC×KC block of op(A) are packed into micro-panels, and a 6×8 register
/// micro-kernel (twelve SIMD4<Double> accumulators, fused multiply-adds)
/// computes each output tile. Above about 10⁶ flops the output is split
/// into fixed chunks of rows (or of columns, whichever has more tiles) run by
/// `DispatchQueue.concurrentPerform`; every output element is computed by one
/// thread, summing over k in the same order whatever the chunking, so results
/// do not depend on scheduling or on `threads`.
///
/// `precision` .float32 packs the operands as Float and runs a 6×16 kernel
/// (twelve SIMD8<Float>): twice the flops per instruction and half the
/// bytes. Each KC-long partial sum is a Float sum; the partial sums are added
/// into C in Double, so the error stays that of a 256-term Float dot product
/// (~1e-6 relative) however long k is.
package func gemm(
    _ c: UnsafeMutablePointer<Double>, ldc: Int,
    _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
    _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false,
    m: Int, n: Int, k: Int, accumulate: Bool, precision: GemmPrecision = .float64,
    threads: Int = Gemm.defaultThreads
) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        if !accumulate {
            for i in 0 ..< m { (c + i * ldc).update(repeating: 0, count: n) }
        }
        return
    }
    let opA = Operand(base: a, ld: lda, transposed: transposeA)
    let opB = Operand(base: b, ld: ldb, transposed: transposeB)
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let nr = precision == .float32 ? Float32Kernel.nr : Float64Kernel.nr
    let rowTiles = (m + Gemm.mr - 1) / Gemm.mr
    let columnTiles = (n + nr - 1) / nr
    let splitRows = rowTiles >= columnTiles
    let chunks = flops < Gemm.parallelFlops ? 1 : min(max(threads, 1), splitRows ? rowTiles : columnTiles)
    if chunks == 1 {
        Gemm.blocked(c, ldc: ldc, opA, opB, m: m, n: n, k: k, accumulate: accumulate, precision: precision)
        return
    }
    // Fixed chunks, each a whole number of micro-tiles.
    let step = splitRows ? Gemm.mr : nr
    let tiles = splitRows ? rowTiles : columnTiles
    let tilesPerChunk = (tiles + chunks - 1) / chunks
    let extent = splitRows ? m : n
    let shared = UncheckedSendable((c, opA, opB))
    parallelChunks(chunks) { chunk in
        let (c, opA, opB) = shared.value
        let start = chunk * tilesPerChunk * step
        let end = min(extent, start + tilesPerChunk * step)
        guard start < end else { return }
        if splitRows {
            Gemm.blocked(
                c + start * ldc, ldc: ldc, opA.offset(row: start, column: 0), opB,
                m: end - start, n: n, k: k, accumulate: accumulate, precision: precision)
        } else {
            Gemm.blocked(
                c + start, ldc: ldc, opA, opB.offset(row: 0, column: start),
                m: m, n: end - start, k: k, accumulate: accumulate, precision: precision)
        }
    }
}

/// The arithmetic of a product's inner sums (see `gemm`).
package enum GemmPrecision: String, CaseIterable, Sendable {
    case float64
    case float32
}

/// A read-only matrix operand op(X): element (i, j) is X[i·ld + j], or X[j·ld + i] when transposed.
private struct Operand {
    var base: UnsafePointer<Double>
    var ld: Int
    var transposed: Bool

    func offset(row: Int, column: Int) -> Operand {
        let shift = transposed ? column * ld + row : row * ld + column
        return Operand(base: base + shift, ld: ld, transposed: transposed)
    }
}

package enum Gemm {
    /// Worker count for large products: the machine's active processors.
    package static let defaultThreads = ProcessInfo.processInfo.activeProcessorCount

    /// Micro-tile rows of C held in registers (its columns are the kernel's NR).
    static let mr = 6
    /// Cache blocks: KC along k (a B micro-panel KC×NR stays in L1), MC rows of
    /// A packed per block (MC×KC in L2), NC columns of B packed per block (L3).
    static let kc = 256
    static let mc = 96
    static let nc = 2048
    /// Products below this many flops run on the calling thread.
    static let parallelFlops = 1.0e6

    fileprivate static func blocked(
        _ c: UnsafeMutablePointer<Double>, ldc: Int, _ a: Operand, _ b: Operand,
        m: Int, n: Int, k: Int, accumulate: Bool, precision: GemmPrecision
    ) {
        switch precision {
        case .float64: blocked(Float64Kernel.self, c, ldc: ldc, a, b, m: m, n: n, k: k, accumulate: accumulate)
        case .float32: blocked(Float32Kernel.self, c, ldc: ldc, a, b, m: m, n: n, k: k, accumulate: accumulate)
        }
    }

    /// The single-threaded blocked product over the whole of C (m, n).
    private static func blocked<Kernel: MicroKernel>(
        _: Kernel.Type, _ c: UnsafeMutablePointer<Double>, ldc: Int, _ a: Operand, _ b: Operand,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        let nr = Kernel.nr
        // Sized to the product, not the cache blocks: small products (a task's
        // head) would otherwise allocate, fault in and free megabytes per call.
        let depth = min(kc, k)
        let packedA = UnsafeMutablePointer<Kernel.Scalar>.allocate(capacity: min(mc, roundUp(m, mr)) * depth)  // micro-panels of (KC, MR)
        let packedB = UnsafeMutablePointer<Kernel.Scalar>.allocate(capacity: min(nc, roundUp(n, nr)) * depth)  // micro-panels of (KC, NR)
        defer {
            packedA.deallocate()
            packedB.deallocate()
        }
        for jc in stride(from: 0, to: n, by: nc) {
            let ncb = min(nc, n - jc)
            for pc in stride(from: 0, to: k, by: kc) {
                let kcb = min(kc, k - pc)
                packB(Kernel.self, packedB, b, row: pc, column: jc, rows: kcb, columns: ncb)
                let overwrite = !accumulate && pc == 0
                for ic in stride(from: 0, to: m, by: mc) {
                    let mcb = min(mc, m - ic)
                    packA(Kernel.self, packedA, a, row: ic, column: pc, rows: mcb, columns: kcb)
                    for jr in stride(from: 0, to: ncb, by: nr) {
                        for ir in stride(from: 0, to: mcb, by: mr) {
                            Kernel.run(
                                kcb, packedA + ir * kcb, packedB + jr * kcb,
                                c + (ic + ir) * ldc + jc + jr, ldc: ldc,
                                rows: min(mr, mcb - ir), columns: min(nr, ncb - jr), overwrite: overwrite)
                        }
                    }
                }
            }
        }
    }

    /// Packs op(A)[row ..< row+rows, column ..< column+columns] as micro-panels of
    /// MR rows, each stored k-major (KC, MR), zero-padded to a whole panel.
    private static func packA<Kernel: MicroKernel>(
        _: Kernel.Type, _ packed: UnsafeMutablePointer<Kernel.Scalar>, _ a: Operand,
        row: Int, column: Int, rows: Int, columns: Int
    ) {
        var dst = packed
        for i0 in stride(from: 0, to: rows, by: mr) {
            let live = min(mr, rows - i0)
            if a.transposed {
                // op(A)[i, p] = A[p, i]: each p reads MR consecutive values.
                for p in 0 ..< columns {
                    let src = a.base + (column + p) * a.ld + row + i0
                    for r in 0 ..< live { dst[r] = Kernel.convert(src[r]) }
                    for r in live ..< mr { dst[r] = 0 }
                    dst += mr
                }
            } else {
                for r in 0 ..< mr {
                    if r < live {
                        let src = a.base + (row + i0 + r) * a.ld + column
                        for p in 0 ..< columns { dst[p * mr + r] = Kernel.convert(src[p]) }
                    } else {
                        for p in 0 ..< columns { dst[p * mr + r] = 0 }
                    }
                }
                dst += mr * columns
            }
        }
    }

    /// Packs op(B)[row ..< row+rows, column ..< column+columns] as micro-panels of
    /// NR columns, each stored k-major (KC, NR), zero-padded to a whole panel.
    private static func packB<Kernel: MicroKernel>(
        _: Kernel.Type, _ packed: UnsafeMutablePointer<Kernel.Scalar>, _ b: Operand,
        row: Int, column: Int, rows: Int, columns: Int
    ) {
        let nr = Kernel.nr
        var dst = packed
        for j0 in stride(from: 0, to: columns, by: nr) {
            let live = min(nr, columns - j0)
            if b.transposed {
                // op(B)[p, j] = B[j, p]: each column j is a contiguous run over p.
                for c in 0 ..< nr {
                    if c < live {
                        let src = b.base + (column + j0 + c) * b.ld + row
                        for p in 0 ..< rows { dst[p * nr + c] = Kernel.convert(src[p]) }
                    } else {
                        for p in 0 ..< rows { dst[p * nr + c] = 0 }
                    }
                }
                dst += nr * rows
            } else {
                for p in 0 ..< rows {
                    let src = b.base + (row + p) * b.ld + column + j0
                    for c in 0 ..< live { dst[c] = Kernel.convert(src[c]) }
                    for c in live ..< nr { dst[c] = 0 }
                    dst += nr
                }
            }
        }
    }
}

/// A register micro-kernel: C tile (rows ≤ MR, columns ≤ NR) (+)= Σ_p
/// a[p, 0..<MR] ⊗ b[p, 0..<NR] over kc packed steps, the sum over p kept in
/// twelve accumulators of two vectors per row (NR = 2 lanes; both vector
/// types are 32 bytes, one AVX register).
private protocol MicroKernel {
    associatedtype Scalar: BinaryFloatingPoint & SIMDScalar
    associatedtype Vector: SIMD where Vector.Scalar == Scalar
    static func convert(_ x: Double) -> Scalar
    /// row[0..<NR] = (or +=) (low, high) in Double.
    static func storeRow(_ row: UnsafeMutablePointer<Double>, _ low: Vector, _ high: Vector, _ overwrite: Bool)
}

extension MicroKernel {
    static var nr: Int { 2 * Vector.scalarCount }

    @inline(__always)
    static func run(
        _ kc: Int, _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>,
        _ c: UnsafeMutablePointer<Double>, ldc: Int, rows: Int, columns: Int, overwrite: Bool
    ) {
        typealias V = Vector
        let width = MemoryLayout<V>.size
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0 ..< kc {
            let b0 = pb.loadUnaligned(as: V.self)
            let b1 = pb.loadUnaligned(fromByteOffset: width, as: V.self)
            var x = V(repeating: pa[0])
            c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = V(repeating: pa[1])
            c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = V(repeating: pa[2])
            c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = V(repeating: pa[3])
            c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = V(repeating: pa[4])
            c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = V(repeating: pa[5])
            c50.addProduct(x, b0); c51.addProduct(x, b1)
            pa += 6
            pb += 2 * width
        }
        if rows == Gemm.mr && columns == nr {
            storeRow(c, c00, c01, overwrite)
            storeRow(c + ldc, c10, c11, overwrite)
            storeRow(c + 2 * ldc, c20, c21, overwrite)
            storeRow(c + 3 * ldc, c30, c31, overwrite)
            storeRow(c + 4 * ldc, c40, c41, overwrite)
            storeRow(c + 5 * ldc, c50, c51, overwrite)
            return
        }
        let nr = nr
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Gemm.mr * nr) { buffer in
            let tile = buffer.baseAddress!  // (MR, NR) row-major
            storeRow(tile, c00, c01, true)
            storeRow(tile + nr, c10, c11, true)
            storeRow(tile + 2 * nr, c20, c21, true)
            storeRow(tile + 3 * nr, c30, c31, true)
            storeRow(tile + 4 * nr, c40, c41, true)
            storeRow(tile + 5 * nr, c50, c51, true)
            for r in 0 ..< rows {
                for j in 0 ..< columns {
                    if overwrite { c[r * ldc + j] = tile[r * nr + j] } else { c[r * ldc + j] += tile[r * nr + j] }
                }
            }
        }
    }
}

/// 6×8 in Double.
private enum Float64Kernel: MicroKernel {
    typealias Vector = SIMD4<Double>

    @inline(__always)
    static func convert(_ x: Double) -> Double { x }

    @inline(__always)
    static func storeRow(_ row: UnsafeMutablePointer<Double>, _ low: Vector, _ high: Vector, _ overwrite: Bool) {
        let p = UnsafeMutableRawPointer(row)
        if overwrite {
            p.storeBytes(of: low, as: Vector.self)
            p.storeBytes(of: high, toByteOffset: 32, as: Vector.self)
        } else {
            p.storeBytes(of: p.loadUnaligned(as: Vector.self) + low, as: Vector.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: 32, as: Vector.self) + high, toByteOffset: 32, as: Vector.self)
        }
    }
}

/// 6×16 in Float, widened to Double on store.
private enum Float32Kernel: MicroKernel {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func convert(_ x: Double) -> Float { Float(x) }

    @inline(__always)
    static func storeRow(_ row: UnsafeMutablePointer<Double>, _ low: Vector, _ high: Vector, _ overwrite: Bool) {
        let p = UnsafeMutableRawPointer(row)
        let low = SIMD8<Double>(low), high = SIMD8<Double>(high)
        if overwrite {
            p.storeBytes(of: low, as: SIMD8<Double>.self)
            p.storeBytes(of: high, toByteOffset: 64, as: SIMD8<Double>.self)
        } else {
            p.storeBytes(of: p.loadUnaligned(as: SIMD8<Double>.self) + low, as: SIMD8<Double>.self)
            p.storeBytes(
                of: p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Double>.self) + high, toByteOffset: 64,
                as: SIMD8<Double>.self)
        }
    }
}

/// x rounded up to a multiple of `step`.
@inline(__always)
private func roundUp(_ x: Int, _ step: Int) -> Int { (x + step - 1) / step * step }
