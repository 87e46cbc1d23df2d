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
        var sum = [Double](repeating: 0, count: d)  // (D) Σ x/M
        for example in examples {
            guard example.x.count == d else {
                throw MTIFError.input(
                    "example \"\(example.id)\" has \(example.x.count) features, the first example has \(d)", field: "x")
            }
        }
        // Sums of x/M_j and ((x − mean)/M_j)², M_j the largest |x_j|: the
        // plain sums overflow for features near 1e154 and beyond (the squares
        // would reach Inf and the feature would only be centred, silently).
        var largest = [Double](repeating: 0, count: d)  // (D) M_j
        for example in examples {
            for j in 0 ..< d { largest[j] = max(largest[j], abs(example.x[j])) }
        }
        guard largest.allSatisfy(\.isFinite) else {
            throw MTIFError.input("features are not finite, cannot standardize", field: "x")
        }
        let n = Double(examples.count)
        // Features of ordinary size keep M = 1, so their arithmetic is the plain one.
        let scale = largest.map { $0 > 1e150 || ($0 > 0 && $0 < 1e-150) ? $0 : 1 }
        for example in examples {
            for j in 0 ..< d { sum[j] += example.x[j] / scale[j] }
        }
        let mean = (0 ..< d).map { j in sum[j] / n * scale[j] }
        var squares = [Double](repeating: 0, count: d)  // (D) Σ ((x − mean)/M)², two-pass for accuracy
        for example in examples {
            for j in 0 ..< d {
                let delta = (example.x[j] - mean[j]) / scale[j]
                squares[j] += delta * delta
            }
        }
        var std = [Double](repeating: 1, count: d)
        for j in 0 ..< d {
            let sd = (squares[j] / n).squareRoot() * scale[j]
            guard sd.isFinite else {
                throw MTIFError.input(
                    "feature \(j): its standard deviation is not finite in Float64 (values up to \(largest[j]) in absolute value)",
                    field: "x", hint: "rescale the feature before standardizing")
            }
            if sd > 0 { std[j] = sd }
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
        let value = JSONValue.object([
            ("type", .string("standardizer")),
            ("features", .number(Double(features))),
            ("mean", .array(mean.map(JSONValue.number))),
            ("std", .array(std.map(JSONValue.number))),
        ])
        // `init` admits finite values only, and those always serialise.
        return try! value.serialized()
    }

    /// Reads the object `json` writes (keys in any order, unknown keys
    /// ignored). Malformed text is an input error.
    package init(json text: String) throws {
        let value = try JSONValue.parse(text, file: "standardizer")
        guard value.object != nil else {
            throw MTIFError.input("standardizer: expected a JSON object, found \(try value.serialized())")
        }
        if let type = value["type"], type.string != "standardizer" {
            throw MTIFError.input("standardizer: expected \"type\":\"standardizer\", found \(try type.serialized())")
        }
        func numbers(_ key: String) throws -> [Double]? {
            guard let field = value[key] else { return nil }
            guard let elements = field.array, elements.allSatisfy({ $0.double != nil }) else {
                throw MTIFError.input("standardizer: \"\(key)\" must be an array of numbers")
            }
            return elements.map { $0.double! }
        }
        guard let mean = try numbers("mean"), let std = try numbers("std") else {
            throw MTIFError.input("standardizer: needs \"mean\" and \"std\"")
        }
        if let field = value["features"] {
            guard let features = field.int, features >= 0 else {
                throw MTIFError.input("standardizer: \"features\" must be a count, found \(try field.serialized())")
            }
            guard features == mean.count else {
                throw MTIFError.input("standardizer: \"features\" is \(features) but \"mean\" has \(mean.count) values")
            }
        }
        try self.init(mean: mean, std: std)
    }
}
