import Testing
import Shared

extension Formats {
    @Suite struct NumberParsingTests {
        @Test func shortestTextOfRandomDoublesReadsBackBitIdentical() throws {
            var random = TestRandom(state: 1)
            for _ in 0..<100_000 {
                let d = Double(bitPattern: random.next())
                guard d.isFinite else { continue }
                let text = try NumberParsing.format(d)
                let ours = try NumberParsing.parse(text)
                #expect(ours.bitPattern == d.bitPattern, "\(text)")
                #expect(ours.bitPattern == Double(text)!.bitPattern, "\(text)")
            }
        }

        @Test func randomDecimalStringsMatchTheStandardLibrary() throws {
            var random = TestRandom(state: 2)
            var checked = 0
            for _ in 0..<100_000 {
                let digitCount = 1 + random.below(25)
                var digits = String(1 + random.below(9))
                for _ in 1..<digitCount { digits.append(String(random.below(10))) }
                var text = random.below(2) == 0 ? "" : "-"
                let point = random.below(digitCount + 1)
                if point == 0 || point == digitCount {
                    text += digits
                } else {
                    text += digits.prefix(point) + "." + digits.dropFirst(point)
                }
                if random.below(4) != 0 {
                    text += (random.below(2) == 0 ? "e" : "E") + ["", "+", "-"][random.below(3)] + String(random.below(340))
                }
                let expected = Double(text)!
                if !expected.isFinite {
                    #expect(throws: NumberSyntaxError.outOfRange) { try NumberParsing.parse(text) }
                    continue
                }
                let ours = try NumberParsing.parse(text)
                #expect(ours.bitPattern == expected.bitPattern, "\(text)")
                checked += 1
            }
            #expect(checked > 50_000)
        }

        @Test func edgeValues() throws {
            let cases: [(String, Double)] = [
                ("0.1", 0.1), ("1e-300", 1e-300), ("5e-324", .leastNonzeroMagnitude), ("1.7976931348623157e308", .greatestFiniteMagnitude),
                ("-0.0", -0.0), ("-0", -0.0), ("0", 0), ("123456789012345678901234567890", 123456789012345678901234567890.0),
                ("2.2250738585072011e-308", Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)), ("9007199254740993", 9007199254740993.0),
                ("1E+2", 100), ("0.000001", 0.000001), ("1e-400", 0),
            ]
            for (text, value) in cases {
                let parsed = try NumberParsing.parse(text)
                #expect(parsed.bitPattern == value.bitPattern, "\(text)")
            }
            #expect(try NumberParsing.parse("-0").sign == .minus)
        }

        @Test func strictGrammar() {
            for bad in ["+1", ".5", "1.", "01", "-", "1e", "1e+", "NaN", "Infinity", "-Infinity", "0x10", "1.5.2", " 1", ""] {
                #expect(throws: NumberSyntaxError.self, "\(bad)") { try NumberParsing.parse(bad) }
            }
            #expect(throws: NumberSyntaxError.outOfRange) { try NumberParsing.parse("1e309") }
            #expect(throws: NumberSyntaxError.outOfRange) { try NumberParsing.parse("-1.8e308") }
        }

        @Test func lenientFormsForForeignText() throws {
            func lenient(_ s: String) throws -> Double {
                let bytes = Array(s.utf8)
                return try bytes.withUnsafeBytes { raw throws(NumberSyntaxError) in try NumberParsing.parseLenient(raw) }
            }
            #expect(try lenient("+1.5") == 1.5)
            #expect(try lenient(".5") == 0.5)
            #expect(try lenient("5.") == 5)
            #expect(try lenient(" 2.8858451e-001 ") == 0.28858451)
            for bad in ["nan", "inf", "-Infinity", "0x1p3", "", "1e", "abc", "1,5"] {
                #expect(throws: NumberSyntaxError.self, "\(bad)") { try lenient(bad) }
            }
            #expect(throws: NumberSyntaxError.outOfRange) { try lenient("1e999") }
        }

        @Test func formattingIsValidJSONAndRefusesNonFinite() throws {
            #expect(try NumberParsing.format(1e-5) == "1e-05")
            #expect(try NumberParsing.format(0.1) == "0.1")
            #expect(try NumberParsing.format(-0.0) == "-0.0")
            #expect(try NumberParsing.format(.leastNonzeroMagnitude) == "5e-324")
            #expect(throws: NumberSyntaxError.self) { try NumberParsing.format(.nan) }
            #expect(throws: NumberSyntaxError.self) { try NumberParsing.format(.infinity) }
            // The fast integral path writes what `description` writes.
            var random = TestRandom(state: 3)
            for k in 0..<20_000 {
                let v: Double = k < 10_000 ? Double(Int(random.next() % 2_000_000_000_000_000) - 1_000_000_000_000_000)
                    : Double(Int(random.next() % 2_000) - 1_000)
                var bytes: [UInt8] = []
                try NumberParsing.append(v, to: &bytes)
                #expect(String(decoding: bytes, as: UTF8.self) == v.description)
            }
            for v in [0.0, -0.0, 1e15 - 1, 1e15, 1e16, 123.0, -5.0] {
                var bytes: [UInt8] = []
                try NumberParsing.append(v, to: &bytes)
                #expect(String(decoding: bytes, as: UTF8.self) == v.description)
                var compact: [UInt8] = []
                try NumberParsing.append(v, to: &compact, integralSuffix: false)
                #expect(try NumberParsing.parse(String(decoding: compact, as: UTF8.self)).bitPattern == v.bitPattern)
            }
        }
    }
}
