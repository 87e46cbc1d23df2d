import Testing
import Shared

extension Formats {
    @Suite struct ExampleCodecTests {
        static let tricky: [Example] = [
            Example(id: "s07-0042", task: "s07", x: [0.1, 1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0, 3, -17],
                    y: .index(3)),
            Example(id: "é\"\\ 😀", task: "tâche \"1\"", x: [1, 2, 3, 4, 5, 6, 7], y: .name("WALKING \u{2028}"),
                    extras: [ExtraField(key: "har_split", json: "\"train\""), ExtraField(key: "meta", json: "{\"a\":[1,2.5e-3,null]}")]),
            Example(id: "r", task: "reg", x: [1e22, 1e23, 123456.789, -2.5e-8, 0, 1e15, 9007199254740992], y: .value(-0.25)),
            Example(id: "v", task: "reg", x: [1, 1, 1, 1, 1, 1, 1], y: .value(3.0)),
        ]

        /// Ids and task names go into line-based lists: control characters
        /// and surrounding white space are refused where they are read (issue 14).
        @Test func unsafeIdsAndTasksAreRefused() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let cases: [(String, String)] = [
                (#"{"id":"a\nb","task":"t","x":[1],"y":0}"#, #"field "id": id "a\nb" contains the control character U+000A"#),
                (#"{"id":"a\r","task":"t","x":[1],"y":0}"#, "U+000D"),
                (#"{"id":"a\u0001","task":"t","x":[1],"y":0}"#, "U+0001"),
                (#"{"id":"a\u0085","task":"t","x":[1],"y":0}"#, "U+0085"),
                (#"{"id":"a ","task":"t","x":[1],"y":0}"#, "ends with white space"),
                (#"{"id":"\u00a0a","task":"t","x":[1],"y":0}"#, "starts with white space"),
                (#"{"id":"a","task":"t\u2029","x":[1],"y":0}"#, #"field "task": task name"#),
            ]
            for (line, fragment) in cases {
                let path = try dir.write("bad.ndjson", line + "\n")
                expectMTIFError(.input, containing: ["bad.ndjson:1:", fragment]) { _ = try ExampleReader.readAll(path: path) }
            }
            let path = try dir.write("ok.ndjson", #"{"id":"a b\tc","task":"t","x":[1],"y":0}"# + "\n")
            expectMTIFError(.input, containing: ["U+0009"]) { _ = try ExampleReader.readAll(path: path) }
            let fine = try dir.write("fine.ndjson", #"{"id":"a b \"c\" \\ é","task":"t k","x":[1],"y":0}"# + "\n")
            #expect(try ExampleReader.readAll(path: fine).map(\.id) == [#"a b "c" \ é"#])
        }

        /// readAll parses large inputs by ranges of lines on several threads:
        /// the examples, line numbers and first error are those of next().
        @Test func parallelReadAllEqualsLineByLine() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            var text = ""
            for i in 0 ..< 6000 {  // ~2.4 MB: more than one batch range, one id left to its line number
                let x = (0 ..< 20).map { j in Double(i * 20 + j) * 1e-3 + 1.0 / 3.0 }
                let id = i == 4321 ? "" : "e\(i)"
                text += try encodeExampleLine(Example(id: id, task: "t\(i % 7)", x: x, y: .index(i % 3)))
                    .replacingOccurrences(of: #""id":"","#, with: "")
            }
            let path = try dir.write("big.ndjson", text)
            var reader = try ExampleReader(path: path)
            var serial: [Example] = []
            while let e = try reader.next() { serial.append(e) }
            let parallel = try ExampleReader.readAll(path: path)
            #expect(parallel == serial && parallel.count == 6000)
            #expect(parallel.map(\.line) == Array(1 ... 6000) && parallel[4321].id == "4321")
            #expect(parallel.elementsEqual(serial) { $0.x.map(\.bitPattern) == $1.x.map(\.bitPattern) })
            // Two errors in different ranges: the earlier line is reported, as line by line.
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[5000] = #"{"id":"bad","task":"t","x":[1,],"y":0}"#
            lines[2500] = lines[2500].replacingOccurrences(of: #""x":["#, with: #""x":[7,"#)
            let bad = try dir.write("bad.ndjson", lines.joined(separator: "\n"))
            expectMTIFError(.input, containing: ["bad.ndjson:2501:", "has 21 numbers, but line 1 has 20"]) {
                _ = try ExampleReader.readAll(path: bad)
            }
            lines[2500] = lines[2499].replacingOccurrences(of: #""e2499""#, with: #""e0""#)
            let duplicate = try dir.write("duplicate.ndjson", lines.joined(separator: "\n"))
            expectMTIFError(.input, containing: ["duplicate.ndjson:2501:", "duplicate id \"e0\", also on line 1"]) {
                _ = try ExampleReader.readAll(path: duplicate)
            }
            lines[2500] = lines[2499].replacingOccurrences(of: #""e2499""#, with: #""e2500""#)
            let late = try dir.write("late.ndjson", lines.joined(separator: "\n"))
            expectMTIFError(.input, containing: ["late.ndjson:5001:", "field \"x\""]) { _ = try ExampleReader.readAll(path: late) }
        }

        @Test func roundTripsThroughAFile() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            var text = ""
            for e in Self.tricky { text += try encodeExampleLine(e) }
            let path = try dir.write("a.ndjson", text)
            let back = try ExampleReader.readAll(path: path)
            #expect(back == Self.tricky)
            for (a, b) in zip(back, Self.tricky) {
                #expect(a.x.map(\.bitPattern) == b.x.map(\.bitPattern))
            }
            // Encoding what was read gives the same bytes back.
            var again = ""
            for e in back { again += try encodeExampleLine(e) }
            #expect(again == text)
        }

        @Test func encodesTheDocumentedLine() throws {
            let line = try encodeExampleLine(Example(id: "s07-0042", task: "s07", x: [0.12, -0.5], y: .index(3),
                                                     extras: [ExtraField(key: "w", json: "2")]))
            #expect(line == "{\"id\":\"s07-0042\",\"task\":\"s07\",\"x\":[0.12,-0.5],\"y\":3,\"w\":2}\n")
            #expect(throws: MTIFError.self) { try encodeExampleLine(Example(id: "a", task: "t", x: [.nan], y: .index(0))) }
            #expect(throws: MTIFError.self) { try encodeExampleLine(Example(id: "a", task: "t", x: [1], y: .value(.infinity))) }
        }

        @Test func readsLooseButValidJSON() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let text = "\u{FEFF}{ \"y\" : \"a\" , \"x\" : [ 1 , 2 ] , \"task\" : \"t\" , \"note\" : { \"k\" : [1, \"}\"] } }\r\n"
                + "{\"id\":17,\"task\":\"t\",\"x\":[3,4e0],\"y\":2.5,\"ta\\u0073k2\":null}\n"
                + "{\"task\":\"t\",\"x\":[5,6],\"y\":-1}"
            let path = try dir.write("b.ndjson", text)
            var reader = try ExampleReader(path: path)
            let first = try reader.next()!
            #expect(first.id == "0")
            #expect(first.y == .name("a"))
            #expect(first.extras == [ExtraField(key: "note", json: "{ \"k\" : [1, \"}\"] }")])
            #expect(String(decoding: reader.currentLine, as: UTF8.self).hasPrefix("{ \"y\""))
            let second = try reader.next()!
            #expect(second.id == "17")
            #expect(second.y == .value(2.5))
            #expect(second.extra("task2") == "null")
            #expect(reader.lineNumber == 2)
            #expect(reader.currentLineBytes == Array("{\"id\":17,\"task\":\"t\",\"x\":[3,4e0],\"y\":2.5,\"ta\\u0073k2\":null}".utf8))
            let third = try reader.next()!
            #expect(third.id == "2")
            #expect(third.y == .index(-1))
            #expect(try reader.next() == nil)
        }

        @Test func malformedLinesNameFileLineAndField() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let good = "{\"id\":\"a\",\"task\":\"t\",\"x\":[1,2],\"y\":0}\n"
            let cases: [(String, [String])] = [
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2],\"y\":0", ["not closed"]),
                ("[1,2]", ["expected a JSON object"]),
                ("", ["blank line"]),
                ("   ", ["blank line"]),
                ("{\"id\":\"b\",\"x\":[1,2],\"y\":0}", ["field \"task\"", "missing"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"y\":0}", ["field \"x\"", "missing"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2]}", ["field \"y\"", "missing"]),
                ("{\"id\":\"b\",\"task\":7,\"x\":[1,2],\"y\":0}", ["field \"task\"", "expected a string"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":\"12\",\"y\":0}", ["field \"x\"", "expected an array"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,\"2\"],\"y\":0}", ["field \"x\"", "element 1", "expected a number"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[],\"y\":0}", ["field \"x\"", "empty"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2,3],\"y\":0}", ["field \"x\"", "has 3 numbers, but line 1 has 2"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,NaN],\"y\":0}", ["field \"x\"", "NaN and Infinity"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,-Infinity],\"y\":0}", ["field \"x\"", "NaN and Infinity"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2],\"y\":Infinity}", ["field \"y\"", "NaN and Infinity"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,1e999],\"y\":0}", ["field \"x\"", "out of range"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2],\"y\":true}", ["field \"y\"", "expected a class index"]),
                ("{\"id\":\"a\",\"task\":\"t\",\"x\":[1,2],\"y\":0}", ["field \"id\"", "duplicate id \"a\", also on line 1"]),
                ("{\"id\":[1],\"task\":\"t\",\"x\":[1,2],\"y\":0}", ["field \"id\"", "expected a string or a number"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"task\":\"u\",\"x\":[1,2],\"y\":0}", ["field \"task\"", "duplicate key"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2],\"y\":0,\"w\":NaN}", ["field \"w\"", "NaN"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2],\"y\":0} {}", ["unexpected text after the object"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1 2],\"y\":0}", ["field \"x\"", "expected ',' or ']'"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[01,2],\"y\":0}", ["field \"x\"", "leading zeros"]),
                ("{\"id\":\"b\",\"task\":\"t\",\"x\":[1,2],\"y\":\"\"}", ["field \"y\"", "empty"]),
                ("{\"id\":\"b\" \"task\":\"t\"}", ["invalid JSON"]),
            ]
            for (k, (line, fragments)) in cases.enumerated() {
                let path = try dir.write("bad\(k).ndjson", good + line + "\n")
                expectInputError(["bad\(k).ndjson:2:"] + fragments) { _ = try ExampleReader.readAll(path: path) }
            }
            let missing = dir.path + "/nope.ndjson"
            expectInputError(["nope.ndjson"]) { _ = try ExampleReader(path: missing) }
        }

        @Test func longLinesAcrossChunkBoundaries() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            var random = TestRandom(state: 9)
            var examples: [Example] = []
            for i in 0..<300 {
                let x = (0..<5_000).map { _ in Double(bitPattern: random.next() >> 2) * (random.below(2) == 0 ? 1 : -1) }
                examples.append(Example(id: "e\(i)", task: "t\(i % 3)", x: x, y: .index(i % 4)))
            }
            var bytes: [UInt8] = []
            for e in examples { try encodeExampleLine(e, into: &bytes) }
            #expect(bytes.count > 3 * LineReader.chunkSize)
            let path = try dir.write("long.ndjson", bytes: bytes)
            #expect(try ExampleReader.readAll(path: path) == examples)
        }
    }
}
