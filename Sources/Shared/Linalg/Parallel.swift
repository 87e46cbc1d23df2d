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
