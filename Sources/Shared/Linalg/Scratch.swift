/// Zero-initialised Double buffers for the duration of one call: every buffer
/// a computation takes is freed together when `Scratch.with` returns, so hot
/// loops work on raw pointers without per-element allocation.
final class Scratch {
    private var blocks: [UnsafeMutablePointer<Double>] = []

    private init() {}

    /// Runs `body` with a fresh scratch area and frees every buffer it handed out.
    static func with<Result>(_ body: (Scratch) throws -> Result) rethrows -> Result {
        let scratch = Scratch()
        defer { scratch.blocks.forEach { $0.deallocate() } }
        return try body(scratch)
    }

    /// A new buffer of `count` zeros, valid until `with` returns.
    func zeros(_ count: Int) -> UnsafeMutablePointer<Double> {
        let block = uninitialized(count)
        block.initialize(repeating: 0, count: max(count, 1))
        return block
    }

    /// A new buffer of `count` entries the caller overwrites before reading, valid until `with` returns.
    func uninitialized(_ count: Int) -> UnsafeMutablePointer<Double> {
        let block = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
        blocks.append(block)
        return block
    }
}
