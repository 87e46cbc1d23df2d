/// Streams the records of an NDJSON file ('-' = stdin) — scores, effects,
/// matrices, pairs, agreements: every non-blank line must be a JSON object,
/// and `next(type:)` hands back those of one `"type"`, skipping the others, so
/// files that mix record types (a meta line first, say) read naturally.
package final class RecordReader {
    private let lines: LineReader
    package var file: String { lines.displayName }
    package var lineNumber: Int { lines.lineNumber }

    package init(path: String) throws {
        lines = try LineReader(path: path)
    }

    /// The next record whose `"type"` is `type` (every record when nil), or nil at the end.
    package func next(type: String? = nil) throws -> JSONValue? {
        while let line = try lines.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            // Parsed from the bytes, not from a String made of them: that would turn
            // invalid UTF-8 into replacement characters instead of an error.
            let record: JSONValue
            do throws(JSONSyntaxError) { record = try JSONValue.parse(line) } catch {
                throw MTIFError.input(error.description, file: file, line: lineNumber, field: error.field)
            }
            guard record.object != nil else {
                throw MTIFError.input("expected a JSON object", file: file, line: lineNumber)
            }
            if let type, record["type"]?.string != type { continue }
            return record
        }
        return nil
    }
}
