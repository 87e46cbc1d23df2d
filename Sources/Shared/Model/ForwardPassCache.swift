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

    /// Called once per product pass: drops every entry unless they were
    /// computed at `w` (P) with this curvature, and keys the new ones to it.
    func prepare(w: UnsafePointer<Double>, count p: Int, gaussNewton: Bool) {
        lock.lock()
        defer { lock.unlock() }
        guard gaussNewton != self.gaussNewton || parameters.count != p
            || memcmp(parameters, w, p * MemoryLayout<Double>.size) != 0 else { return }
        owned.forEach { $0.deallocate() }
        owned = []
        entries = [:]
        parameters = Array(UnsafeBufferPointer(start: w, count: p))
        self.gaussNewton = gaussNewton
    }

    /// The entry of the chunk starting at `start`, if stored since `prepare`.
    func entry(start: Int) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries[start]
    }

    /// Keeps copies of a chunk's passes: sizes[l] entries per depth (dz and
    /// da as many depths as given).
    func store(
        start: Int, sizes: [Int], z: [UnsafeMutablePointer<Double>], a: [UnsafeMutablePointer<Double>],
        dz: [UnsafeMutablePointer<Double>], da: [UnsafeMutablePointer<Double>]
    ) {
        lock.lock()
        defer { lock.unlock() }
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
