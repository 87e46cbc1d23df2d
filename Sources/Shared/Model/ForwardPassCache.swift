import Foundation

/// The forward pass (z_l, a_l of every depth) of each chunk of one batch at
/// one parameter vector, kept between Hessian-vector products: an iterative
/// solver applies the same operator (H + δI) tens of times, and only the
/// directions change. The first backward pass is not kept: beside the
/// forward pass's x·W₀ᵀ it is a few small products, and keeping it doubled
/// the memory (33 MB more at 4× the HAR-shaped bench). Owned by the
/// `HessianOperator` that fixes the batch; entries are used only while the
/// parameters are bit for bit the ones they were computed at, else recomputed.
package final class ForwardPassCache: @unchecked Sendable {
    struct Entry {
        var z: [UnsafeMutablePointer<Double>]
        var a: [UnsafeMutablePointer<Double>]
    }

    private let lock = NSLock()
    private var parameters: [Double] = []
    /// By the chunk's first row.
    private var entries: [Int: Entry] = [:]
    private var owned: [UnsafeMutablePointer<Double>] = []
    private var released = false

    package init() {}

    deinit { owned.forEach { $0.deallocate() } }

    /// Called once per product pass: drops every entry unless they were
    /// computed at `w` (P), and keys the new ones to it.
    func prepare(w: UnsafePointer<Double>, count p: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard parameters.count != p || memcmp(parameters, w, p * MemoryLayout<Double>.size) != 0 else { return }
        dropEntries()
        parameters = Array(UnsafeBufferPointer(start: w, count: p))
    }

    /// The entry of the chunk starting at `start`, if stored since `prepare`.
    func entry(start: Int) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries[start]
    }

    /// Drops every entry and keeps no more: for an operator whose remaining
    /// products are too few to repay the memory.
    package func release() {
        lock.lock()
        defer { lock.unlock() }
        dropEntries()
        released = true
    }

    /// With the lock held.
    private func dropEntries() {
        owned.forEach { $0.deallocate() }
        owned = []
        entries = [:]
    }

    /// Keeps copies of a chunk's forward pass: sizes[l] entries per depth.
    func store(start: Int, sizes: [Int], z: [UnsafeMutablePointer<Double>], a: [UnsafeMutablePointer<Double>]) {
        lock.lock()
        defer { lock.unlock() }
        guard !released else { return }
        func copy(_ buffers: [UnsafeMutablePointer<Double>]) -> [UnsafeMutablePointer<Double>] {
            buffers.enumerated().map { l, source in
                let block = UnsafeMutablePointer<Double>.allocate(capacity: max(sizes[l], 1))
                block.update(from: source, count: sizes[l])
                owned.append(block)
                return block
            }
        }
        entries[start] = Entry(z: copy(z), a: copy(a))
    }
}
