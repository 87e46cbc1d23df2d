/// A small command-line parser: long flags (`--damping 0.1`, `--damping=0.1`),
/// the short forms `-o`, `-q`, `-h`, positional arguments, and `--` to end flags.
/// A tool declares which names take a value and which are switches; anything
/// else is a usage error that points at `--help`.
package struct Arguments {
    package let tool: String
    package private(set) var positionals: [String] = []
    /// The command line as given, minus where the output goes and `--quiet`:
    /// what an artefact records, so that its bytes do not depend on its own name.
    package private(set) var recordable: [String] = []
    private var values: [String: [String]] = [:]
    private var switches: Set<String> = []
    private var consumed: Set<String> = []

    /// Short spellings the whole toolkit shares.
    private static let shortForms = ["-o": "--output", "-q": "--quiet", "-h": "--help"]

    /// - Parameters:
    ///   - options: long names (with `--`) that take a value; may repeat.
    ///   - flags: long names that are switches. `--help` and `--quiet` are always known.
    package init(tool: String, _ arguments: [String], options: [String], flags: [String]) throws {
        self.tool = tool
        let optionSet = Set(options)
        let flagSet = Set(flags).union(["--help", "--quiet"])
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            var argument = arguments[index]
            index += 1
            if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
                positionals.append(argument)
                recordable.append(argument)
                continue
            }
            if argument == "--" { onlyPositionals = true; recordable.append(argument); continue }
            if let long = Arguments.shortForms[argument] { argument = long }
            var inlineValue: String? = nil
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                inlineValue = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            if flagSet.contains(argument) {
                if inlineValue != nil {
                    throw MTIFError.usage("\(argument) takes no value", hint: "see '\(tool) --help'")
                }
                switches.insert(argument)
                if argument != "--quiet" { recordable.append(argument) }
            } else if optionSet.contains(argument) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else {
                        throw MTIFError.usage("\(argument) needs a value", hint: "see '\(tool) --help'")
                    }
                    value = arguments[index]
                    index += 1
                }
                values[argument, default: []].append(value)
                if argument != "--output" { recordable += [argument, value] }
            } else {
                throw MTIFError.usage("unknown flag '\(argument)'", hint: "see '\(tool) --help'")
            }
        }
    }

    package func has(_ name: String) -> Bool { switches.contains(name) }

    package var quiet: Bool { has("--quiet") }
    package var help: Bool { has("--help") }

    /// The last value given for `name` (later flags override earlier ones).
    package func string(_ name: String) -> String? { values[name]?.last }

    package func strings(_ name: String) -> [String] { values[name] ?? [] }

    package func string(_ name: String, default value: String) -> String { string(name) ?? value }

    package func double(_ name: String) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw MTIFError.usage("\(name): expected a finite number, found '\(text)'")
        }
        return value
    }

    package func double(_ name: String, default value: Double) throws -> Double {
        try double(name) ?? value
    }

    package func int(_ name: String) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text) else {
            throw MTIFError.usage("\(name): expected an integer, found '\(text)'")
        }
        return value
    }

    package func int(_ name: String, default value: Int) throws -> Int {
        try int(name) ?? value
    }

    /// An integer flag that must be at least `minimum` (counts, sizes, iterations):
    /// `--max-iter -5` is a typo to report, not a request to do nothing.
    package func int(_ name: String, default value: Int, atLeast minimum: Int) throws -> Int {
        try int(name, atLeast: minimum) ?? value
    }

    /// The same without a default: nil when the flag is absent.
    package func int(_ name: String, atLeast minimum: Int) throws -> Int? {
        guard let v = try int(name) else { return nil }
        guard v >= minimum else {
            throw MTIFError.usage("\(name): expected an integer ≥ \(minimum), found '\(string(name) ?? String(v))'")
        }
        return v
    }

    /// A finite number flag that must be ≥ `minimum`, or > it when `strictly`.
    package func double(_ name: String, default value: Double, atLeast minimum: Double, strictly: Bool = false) throws -> Double {
        let v = try double(name, default: value)
        guard strictly ? v > minimum : v >= minimum else {
            throw MTIFError.usage("\(name): expected a number \(strictly ? ">" : "≥") \(minimum.formatted), found '\(string(name) ?? String(v))'")
        }
        return v
    }

    package func uint64(_ name: String, default value: UInt64) throws -> UInt64 {
        guard let text = string(name) else { return value }
        guard let parsed = UInt64(text) else {
            throw MTIFError.usage("\(name): expected a non-negative integer, found '\(text)'")
        }
        return parsed
    }

    /// A comma-separated list, e.g. `--hidden 64,32` or `--tasks a,b`.
    package func list(_ name: String) -> [String]? {
        guard let text = string(name) else { return nil }
        if text.isEmpty { return [] }
        return text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    /// `--tag key=value` pairs (repeatable), in the order given: labels a tool
    /// appends to its NDJSON records so that concatenated outputs stay attributable.
    package func tags(_ name: String = "--tag") throws -> [(key: String, value: String)] {
        try strings(name).map { text in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw MTIFError.usage("\(name): expected KEY=VALUE, found '\(text)'")
            }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
    }

    /// Exactly `count` positionals, or a usage error that names what is missing.
    package func positionals(exactly names: [String]) throws -> [String] {
        guard positionals.count == names.count else {
            let expected = names.map { "<\($0)>" }.joined(separator: " ")
            throw MTIFError.usage(
                positionals.count < names.count
                    ? "missing argument: expected \(expected)"
                    : "unexpected argument '\(positionals[names.count])'",
                hint: "see '\(tool) --help'")
        }
        return positionals
    }

    /// Refuses two inputs read from standard input ('-'): the first reader
    /// would take all of it and the second would see an empty file, which
    /// reads as valid (an empty data set) or as a baffling format error.
    package static func requireOneStandardInput(_ paths: String?...) throws {
        guard paths.filter({ $0 == "-" }).count <= 1 else {
            throw MTIFError.usage("only one input can be standard input ('-')", hint: "give the others as files")
        }
    }

    /// Rejects a value outside `choices`.
    package func choice(_ name: String, _ choices: [String], default value: String) throws -> String {
        let chosen = string(name) ?? value
        guard choices.contains(chosen) else {
            throw MTIFError.usage("\(name): expected one of \(choices.joined(separator: ", ")), found '\(chosen)'")
        }
        return chosen
    }
}

extension Double {
    /// `0` rather than `0.0` in messages about flag ranges.
    fileprivate var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
