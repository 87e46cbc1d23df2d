/// Builds one NDJSON record line with keys in the order they are added:
/// `{"type":"task","task":"t01","loss":0.31}`. Non-finite numbers are refused,
/// because JSON has no NaN and a reader downstream would choke on it.
package struct Record {
    private var text: String
    private var empty = true
    /// The keys added so far.
    private var keys: Set<String> = []

    package init(type: String? = nil) {
        text = "{"
        if let type { add("type", type) }
    }

    package mutating func add(_ key: String, _ value: String) {
        add(key, json: JSONValue.quoted(value))
    }

    package mutating func add(_ key: String, _ value: Int) {
        add(key, json: String(value))
    }

    package mutating func add(_ key: String, _ value: Bool) {
        add(key, json: value ? "true" : "false")
    }

    package mutating func add(_ key: String, _ value: Double) throws {
        add(key, json: try jsonNumber(value, key: key))
    }

    package mutating func add(_ key: String, _ values: [Double]) throws {
        var json = "["
        for (i, v) in values.enumerated() {
            if i > 0 { json += "," }
            json += try jsonNumber(v, key: key)
        }
        add(key, json: json + "]")
    }

    /// An object of numbers with keys in the order given:
    /// `"scores":{"t01":-0.0012,"t02":0.0003}`.
    package mutating func add(_ key: String, keys: [String], values: UnsafeBufferPointer<Double>) throws {
        precondition(keys.count == values.count)
        var json = "{"
        for (i, name) in keys.enumerated() {
            if i > 0 { json += "," }
            json += JSONValue.quoted(name)
            json += ":"
            json += try jsonNumber(values[i], key: "\(key).\(name)")
        }
        add(key, json: json + "}")
    }

    /// A value that is already JSON text.
    package mutating func add(_ key: String, json: String) {
        keys.insert(key)
        if !empty { text += "," }
        empty = false
        text += JSONValue.quoted(key)
        text += ":"
        text += json
    }

    /// Appends `--tag` labels as string fields. A tag may not repeat one of the
    /// record's own keys: a second "type" would make a line our readers refuse.
    package mutating func add(tags: [(key: String, value: String)]) throws {
        for tag in tags {
            guard !keys.contains(tag.key) else {
                throw MTIFError.usage("--tag \(tag.key)=…: the records already have a field \(JSONValue.quoted(tag.key))",
                                      hint: "choose another key, e.g. --tag run_\(tag.key)=\(tag.value)")
            }
            add(tag.key, tag.value)
        }
    }

    /// The record as one line, newline included.
    package var line: String { text + "}\n" }

    private func jsonNumber(_ value: Double, key: String) throws -> String {
        guard value.isFinite else {
            throw MTIFError.computation("\"\(key)\" is \(value); refusing to write a non-finite number to JSON")
        }
        return try NumberParsing.format(value)
    }
}
