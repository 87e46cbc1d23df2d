/// The one error type of the toolkit. The library throws it; only a tool's
/// `runTool` wrapper prints it and exits, with the code its kind implies.
package struct MTIFError: Error, CustomStringConvertible, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Bad flags or values on the command line (exit 2).
        case usage
        /// Malformed or inconsistent input data (exit 2).
        case input
        /// The computation failed: divergence, NaN, no convergence (exit 1).
        case computation
        /// The operating system refused a read or write (exit 1).
        case io
        /// The reader at the other end of stdout went away: a quiet success.
        case brokenPipe
    }

    package var kind: Kind
    package var message: String
    package var hint: String?

    package init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    package static func usage(_ message: String, hint: String? = nil) -> MTIFError {
        MTIFError(.usage, message, hint: hint)
    }

    /// An input error located at `file:line`, naming the field when there is one:
    /// `train.ndjson:17: field "x": expected a number, found "abc"`.
    package static func input(
        _ message: String, file: String? = nil, line: Int? = nil, field: String? = nil, hint: String? = nil
    ) -> MTIFError {
        var location = ""
        if let file { location += file + ":" }
        if let line { location += "\(line):" }
        if !location.isEmpty { location += " " }
        if let field { location += "field \"\(field)\": " }
        return MTIFError(.input, location + message, hint: hint)
    }

    package static func computation(_ message: String, hint: String? = nil) -> MTIFError {
        MTIFError(.computation, message, hint: hint)
    }

    package static func io(_ message: String, hint: String? = nil) -> MTIFError {
        MTIFError(.io, message, hint: hint)
    }

    package var exitCode: Int32 {
        switch kind {
        case .usage, .input: return 2
        case .computation, .io: return 1
        case .brokenPipe: return 0
        }
    }

    package var description: String { message }
}
