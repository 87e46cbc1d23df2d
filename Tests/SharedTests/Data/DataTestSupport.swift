import Testing
import Shared

/// Runs `body`, expecting an `MTIFError` of `kind` whose message contains every
/// string of `fragments` (and, when `hint` is given, a hint line containing it).
func expectMTIFError(
    _ kind: MTIFError.Kind, containing fragments: [String], hint: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
    } catch let error as MTIFError {
        #expect(error.kind == kind, "\(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
        if let hint {
            #expect(error.hint?.contains(hint) == true, "hint: \(error.hint ?? "none")", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

func classIndex(_ example: Example) -> Int? {
    if case .index(let c) = example.y { return c }
    return nil
}
