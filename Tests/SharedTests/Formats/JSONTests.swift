import Testing
import Shared

extension Formats {
    @Suite struct JSONTests {
        @Test func parsesAndSerializesInOrder() throws {
            let text = #"{"b":1,"a":[true,false,null,"x\u00e9\ud83d\ude00\n"],"c":{"d":-0.5e-3}}"#
            let value = try JSONValue.parse(text)
            #expect(value["b"]?.double == 1)
            #expect(value["b"]?.int == 1)
            #expect(value["a"]?[0]?.bool == true)
            #expect(value["a"]?[2]?.isNull == true)
            #expect(value["a"]?[3]?.string == "xé😀\n")
            #expect(value["c"]?["d"]?.double == -0.0005)
            #expect(value.object?.map(\.0) == ["b", "a", "c"])
            let out = try value.serialized()
            #expect(out == #"{"b":1,"a":[true,false,null,"xé😀\n"],"c":{"d":-0.0005}}"#)
            #expect(try JSONValue.parse(out) == value)
        }

        @Test func escapesControlCharactersLikeSerdeJSON() throws {
            #expect(JSONValue.quoted("a\"b\\c\u{01}\t/é") == #""a\"b\\c\u0001\t/é""#)
            #expect(try JSONValue.parse(JSONValue.quoted("\u{1f}\u{7f}x")).string == "\u{1f}\u{7f}x")
        }

        @Test func writesIntegralNumbersCompactly() throws {
            #expect(try JSONValue.array([.number(3), .number(-0.0), .number(0), .number(1e300), .number(-12.5)]).serialized()
                    == "[3,-0.0,0,1e+300,-12.5]")
        }

        @Test func refusesNonFiniteNumbers() {
            #expect(throws: MTIFError.self) { try JSONValue.array([.number(.nan)]).serialized() }
            #expect(throws: MTIFError.self) { try JSONValue.number(.infinity).serialized() }
        }

        @Test func strictErrorsCarryByteOffsets() {
            let cases: [(String, Int)] = [
                ("{\"a\":1,}", 7), ("[1,2", 4), ("{\"a\" 1}", 5), ("[NaN]", 1), ("[01]", 1), ("\"abc", 0),
                ("{\"a\":1}x", 7), ("[\"\\ud800\"]", 2), ("{\"a\":1,\"a\":2}", 7), ("tru", 0), ("[\"\u{01}\"]", 2),
                ("", 0), ("[1e999]", 1),
            ]
            for (text, offset) in cases {
                do {
                    _ = try JSONValue.parse(Array(text.utf8))
                    Issue.record("accepted \(text)")
                } catch {
                    #expect(error.offset == offset, "\(text): \(error.description)")
                }
            }
            #expect(throws: JSONSyntaxError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
        }

        @Test func inputErrorNamesFileAndLine() {
            expectInputError(["scores.ndjson:3:", "invalid JSON at byte"]) {
                _ = try JSONValue.parse("{\"a\":}", file: "scores.ndjson", line: 3)
            }
        }
    }
}
