/// Per-feature standardisation x ← (x − mean)/std, fitted on the training
/// split only and then applied unchanged to every split, so that validation
/// and test data never leak into the preprocessing.
///
/// `std` is the population standard deviation (divides by n); a constant
/// feature (std = 0) gets std 1, so it maps to 0 instead of dividing by zero.
/// Recorded as one JSON object:
///
///     {"type":"standardizer","features":2,"mean":[0.5,-1],"std":[2,1]}
package struct Standardizer: Equatable, Sendable {
    /// (D) per-feature mean.
    package var mean: [Double]
    /// (D) per-feature standard deviation, never 0.
    package var std: [Double]

    /// D.
    package var features: Int { mean.count }

    package init(mean: [Double], std: [Double]) throws {
        guard mean.count == std.count else {
            throw MTIFError.input("standardizer has \(mean.count) means but \(std.count) standard deviations")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw MTIFError.input("standardizer needs finite means and positive finite standard deviations")
        }
        self.mean = mean
        self.std = std
    }

    /// Fits mean and std of every feature on `examples` (the training split).
    /// An empty set or differing feature counts are input errors.
    package init(fitting examples: [Example]) throws {
        guard let first = examples.first else {
            throw MTIFError.input("cannot fit a standardizer on no examples", hint: "check the training split is not empty")
        }
        let d = first.x.count
        var sum = [Double](repeating: 0, count: d)  // (D)
        for example in examples {
            guard example.x.count == d else {
                throw MTIFError.input(
                    "example \"\(example.id)\" has \(example.x.count) features, the first example has \(d)", field: "x")
            }
            for j in 0 ..< d { sum[j] += example.x[j] }
        }
        let n = Double(examples.count)
        let mean = sum.map { $0 / n }
        var squares = [Double](repeating: 0, count: d)  // (D) Σ (x − mean)², two-pass for accuracy
        for example in examples {
            for j in 0 ..< d {
                let delta = example.x[j] - mean[j]
                squares[j] += delta * delta
            }
        }
        let std = squares.map { s -> Double in
            let sd = (s / n).squareRoot()
            return sd > 0 && sd.isFinite ? sd : 1
        }
        guard mean.allSatisfy(\.isFinite) else {
            throw MTIFError.input("features are not finite, cannot standardize", field: "x")
        }
        try self.init(mean: mean, std: std)
    }

    /// Standardizes `x` (D) in place.
    package func apply(to x: inout [Double]) {
        precondition(x.count == mean.count)
        for j in x.indices { x[j] = (x[j] - mean[j]) / std[j] }
    }

    /// The examples with standardized features; everything else unchanged. An
    /// example whose feature count differs from the fitted one is an input error.
    package func apply(_ examples: [Example]) throws -> [Example] {
        var result = examples
        for i in result.indices {
            guard result[i].x.count == mean.count else {
                throw MTIFError.input(
                    "example \"\(result[i].id)\" has \(result[i].x.count) features, the standardizer was fitted on \(mean.count)",
                    field: "x")
            }
            apply(to: &result[i].x)
        }
        return result
    }

    /// The inverse map, x ← x·std + mean (D), in place.
    package func invert(_ x: inout [Double]) {
        precondition(x.count == mean.count)
        for j in x.indices { x[j] = x[j] * std[j] + mean[j] }
    }

    /// One JSON object with keys type, features, mean, std; numbers are written
    /// so that they read back exactly.
    package var json: String {
        DataJSON.object([
            ("type", DataJSON.string("standardizer")),
            ("features", String(features)),
            ("mean", DataJSON.array(mean)),
            ("std", DataJSON.array(std)),
        ])
    }

    /// Reads the object `json` writes (keys in any order, unknown keys of
    /// number or string value ignored). Malformed text is an input error.
    package init(json text: String) throws {
        var scanner = StandardizerScanner(text)
        var mean: [Double]? = nil, std: [Double]? = nil, features: Int? = nil
        try scanner.expect("{")
        if !scanner.consume("}") {
            repeat {
                let key = try scanner.string()
                try scanner.expect(":")
                switch key {
                case "mean": mean = try scanner.numberArray()
                case "std": std = try scanner.numberArray()
                case "features":
                    let value = try scanner.number()
                    guard value >= 0, value == value.rounded(), value < 1e9 else {
                        throw MTIFError.input("standardizer: \"features\" must be a count, found \(value)")
                    }
                    features = Int(value)
                case "type":
                    let type = try scanner.string()
                    guard type == "standardizer" else {
                        throw MTIFError.input("standardizer: expected \"type\":\"standardizer\", found \"\(type)\"")
                    }
                default: try scanner.skipScalar()
                }
            } while scanner.consume(",")
            try scanner.expect("}")
        }
        guard scanner.atEnd else { throw MTIFError.input("standardizer: unexpected text after the object") }
        guard let mean, let std else { throw MTIFError.input("standardizer: needs \"mean\" and \"std\"") }
        if let features, features != mean.count {
            throw MTIFError.input("standardizer: \"features\" is \(features) but \"mean\" has \(mean.count) values")
        }
        try self.init(mean: mean, std: std)
    }
}

/// A scanner for the small JSON subset a standardizer record uses.
private struct StandardizerScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool {
        mutating get { skipSpace(); return position == bytes.count }
    }

    mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func consume(_ character: Character) -> Bool {
        skipSpace()
        guard position < bytes.count, bytes[position] == character.asciiValue! else { return false }
        position += 1
        return true
    }

    mutating func expect(_ character: Character) throws {
        guard consume(character) else { throw error("expected '\(character)'") }
    }

    func error(_ message: String) -> MTIFError {
        MTIFError.input("standardizer: \(message) at byte \(position)")
    }

    /// A string without escapes (keys and the type are plain words).
    mutating func string() throws -> String {
        try expect("\"")
        let start = position
        while position < bytes.count, bytes[position] != 0x22 {
            guard bytes[position] != 0x5C else { throw error("escapes are not supported") }
            position += 1
        }
        guard position < bytes.count else { throw error("unterminated string") }
        let text = String(decoding: bytes[start ..< position], as: UTF8.self)
        position += 1
        return text
    }

    mutating func number() throws -> Double {
        skipSpace()
        let start = position
        while position < bytes.count, let c = Optional(bytes[position]),
              (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45 {
            position += 1
        }
        let text = String(decoding: bytes[start ..< position], as: UTF8.self)
        guard !text.isEmpty, let value = Double(text), value.isFinite else { throw error("expected a number") }
        return value
    }

    mutating func numberArray() throws -> [Double] {
        try expect("[")
        var values: [Double] = []
        if consume("]") { return values }
        repeat { values.append(try number()) } while consume(",")
        try expect("]")
        return values
    }

    mutating func skipScalar() throws {
        skipSpace()
        if position < bytes.count, bytes[position] == 0x22 { _ = try string() } else { _ = try number() }
    }
}
