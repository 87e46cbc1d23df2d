/// The label of an example as written in its NDJSON line: a class index
/// (`"y":3`), a class name (`"y":"WALKING"`), or a real number for regression
/// (`"y":0.25`). An integer literal is read as `.index`; a regression model
/// treats it as its value.
package enum Label: Hashable, Sendable {
    case index(Int)
    case name(String)
    case value(Double)

    /// The label as a regression target, or nil for a class name.
    package var numericValue: Double? {
        switch self {
        case .index(let i): return Double(i)
        case .value(let v): return v
        case .name: return nil
        }
    }
}

/// A field of an example line other than id, task, x and y, kept as its raw
/// JSON text so that tools passing examples through do not change it.
package struct ExtraField: Equatable, Sendable {
    package var key: String
    package var json: String

    package init(key: String, json: String) {
        self.key = key
        self.json = json
    }
}

/// One training, validation or test example:
/// `{"id":"s07-0042","task":"s07","x":[0.12,-0.5],"y":3}`.
package struct Example: Equatable, Sendable {
    /// Unique within a file; the 0-based line number when the line has none.
    package var id: String
    package var task: String
    /// (D) features.
    package var x: [Double]
    package var y: Label
    package var extras: [ExtraField]
    /// The 1-based line it was read from, so that errors found after reading
    /// (an unknown task, an unseen class) can still say `file:line`; 0 when it
    /// was not read from NDJSON. Not part of equality: the same example read
    /// from two files is the same example.
    package var line = 0

    package static func == (a: Example, b: Example) -> Bool {
        a.id == b.id && a.task == b.task && a.x == b.x && a.y == b.y && a.extras == b.extras
    }

    package init(id: String, task: String, x: [Double], y: Label, extras: [ExtraField] = []) {
        self.id = id
        self.task = task
        self.x = x
        self.y = y
        self.extras = extras
    }

    /// `line` for an error location: nil when unknown.
    package var nonzeroLine: Int? { line > 0 ? line : nil }

    /// The raw JSON text of an extra field, if present.
    package func extra(_ key: String) -> String? {
        extras.first { $0.key == key }?.json
    }
}

/// The examples of `tasks` only (a `--tasks` flag), in input order. A task
/// missing from `known` (default: the tasks present) is a usage error naming
/// where it was looked for.
package func examples(
    _ examples: [Example], ofTasks tasks: [String], known: [String]? = nil, in place: String
) throws -> [Example] {
    let available = known ?? Array(Set(examples.map(\.task))).sorted()
    let knownSet = Set(available)
    for task in tasks where !knownSet.contains(task) {
        throw MTIFError.usage(
            "--tasks: no task \"\(task)\" in \(place)",
            hint: "tasks there: \(available.prefix(12).joined(separator: ", "))\(available.count > 12 ? ", …" : "")")
    }
    let wanted = Set(tasks)
    return examples.filter { wanted.contains($0.task) }
}
