import Dispatch

/// A value handed to worker threads without a Sendable proof: raw buffer
/// pointers whose workers read shared inputs and write disjoint outputs.
/// Use only where each worker's writes are provably disjoint.
struct UncheckedSendable<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// Runs `body(chunk)` for chunk in 0..<chunks, in parallel when chunks > 1.
/// The chunks are fixed by the caller, so which work each call does never
/// depends on scheduling.
func parallelChunks(_ chunks: Int, _ body: @Sendable (Int) -> Void) {
    if chunks <= 1 {
        for chunk in 0 ..< chunks { body(chunk) }
    } else {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
    }
}

/// Runs `body(range)` over 0..<count cut into at most `Gemm.defaultThreads`
/// fixed, contiguous ranges (one when count·costPerItem is small). For loops
/// whose items are independent, so the result does not depend on the split.
func parallelRanges(_ count: Int, costPerItem: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let chunks = count * costPerItem < 200_000 ? 1 : min(Gemm.defaultThreads, count)
    guard chunks > 1 else {
        if count > 0 { body(0 ..< count) }
        return
    }
    parallelChunks(chunks) { chunk in
        body(count * chunk / chunks ..< count * (chunk + 1) / chunks)
    }
}
