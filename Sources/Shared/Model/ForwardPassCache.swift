import Foundation

/// The forward pass (z_l, a_l of every depth) and first backward pass (dz_l,
/// da_l) of each chunk of one batch at one parameter vector, kept between
/// Hessian-vector products: an iterative solver applies the same operator
/// (H + δI) tens of times, and only the directions change. Owned by the
/// `HessianOperator` that fixes the batch; entries are used only while the
/// parameters are bit for bit the ones they were computed at (and for the
/// same curvature), else recomputed.
package final class ForwardPassCache: @unchecked Sendable {
    struct Entry {
        var z: [UnsafeMutablePointer<Double>]
        var a: [UnsafeMutablePointer<Double>]
        var dz: [UnsafeMutablePointer<Double>]
        var da: [UnsafeMutablePointer<Double>]
    }

    private let lock = NSLock()
    private var parameters: [Double] = []
    private var gaussNewton = false
    /// By the chunk's first row.
    private var entries: [Int: Entry] = [:]
    private var owned: [UnsafeMutablePointer<Double>] = []

    package init() {}

    deinit { owned.forEach { $0.deallocate() } }

    /// The entry of the chunk starting at `start`, if computed at `w` (P) with this curvature.
    func entry(start: Int, w: UnsafePointer<Double>, count p: Int, gaussNewton: Bool) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        guard gaussNewton == self.gaussNewton, parameters.count == p,
              memcmp(parameters, w, p * MemoryLayout<Double>.size) == 0 else { return nil }
        return entries[start]
    }

    /// Keeps copies of a chunk's passes; sizes[l] entries per depth (dz and
    /// da as many as given). Parameters other than the cached ones drop every entry.
    func store(
        start: Int, w: UnsafePointer<Double>, count p: Int, gaussNewton: Bool, sizes: [Int],
        z: [UnsafeMutablePointer<Double>], a: [UnsafeMutablePointer<Double>],
        dz: [UnsafeMutablePointer<Double>], da: [UnsafeMutablePointer<Double>]
    ) {
        lock.lock()
        defer { lock.unlock() }
        if gaussNewton != self.gaussNewton || parameters.count != p
            || memcmp(parameters, w, p * MemoryLayout<Double>.size) != 0 {
            owned.forEach { $0.deallocate() }
            owned = []
            entries = [:]
            parameters = Array(UnsafeBufferPointer(start: w, count: p))
            self.gaussNewton = gaussNewton
        }
        func copy(_ buffers: [UnsafeMutablePointer<Double>]) -> [UnsafeMutablePointer<Double>] {
            buffers.enumerated().map { l, source in
                let block = UnsafeMutablePointer<Double>.allocate(capacity: max(sizes[l], 1))
                block.update(from: source, count: sizes[l])
                owned.append(block)
                return block
            }
        }
        entries[start] = Entry(z: copy(z), a: copy(a), dz: copy(dz), da: copy(da))
    }
}
