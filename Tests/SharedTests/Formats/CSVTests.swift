import Testing
import Shared

extension Formats {
    @Suite struct CSVTests {
        @Test func readsQuotedFieldsAndCRLF() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let text = "\u{FEFF}a,\"b,1\",\"c \"\"q\"\"\"\r\n1,\"x\r\ny\",\r\n\"\",2,3"
            let csv = try CSVReader(path: try dir.write("q.csv", text))
            #expect(csv.header == ["a", "b,1", "c \"q\""])
            #expect(try csv.next())
            #expect(csv.lineNumber == 2)
            #expect((0..<3).map(csv.field) == ["1", "x\r\ny", ""])
            #expect(try csv.next())
            #expect(csv.lineNumber == 4)
            #expect((0..<3).map(csv.field) == ["", "2", "3"])
            #expect(try !csv.next())
        }

        @Test func errorsNameFileAndLine() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let cases: [(String, [String])] = [
                ("a,b\n1,2\n3\n", ["r.csv:3:", "1 fields, but the header has 2"]),
                ("a,b\n1,2\n\"3,4\n5,6\n", ["r.csv:3:", "unterminated quoted field"]),
                ("a,b\n1,\"2\"x\n", ["r.csv:2:", "after a closing quote"]),
                ("a,b\n1,2\"\n", ["r.csv:2:", "quote inside an unquoted field"]),
                ("a,a\n", ["r.csv:1:", "twice"]),
                ("", ["r.csv:1:", "no header row"]),
            ]
            for (text, fragments) in cases {
                let path = try dir.write("r.csv", text)
                expectInputError(fragments) {
                    let csv = try CSVReader(path: path)
                    while try csv.next() {}
                }
            }
        }

        @Test func convertsToExamplesWithPaddedTasksAndIds() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let text = """
                subject,activity,"f,1",f2
                7,WALKING,0.5,-1e-3
                30,SITTING,+1,.25
                7,LAYING,2,3

                """
            let path = try dir.write("h.csv", text)
            let examples = try CSVConversion(taskColumn: "subject", labelColumn: "activity", taskPrefix: "s").convert(path: path)
            #expect(examples == [
                Example(id: "s07-0000", task: "s07", x: [0.5, -0.001], y: .name("WALKING")),
                Example(id: "s30-0000", task: "s30", x: [1, 0.25], y: .name("SITTING")),
                Example(id: "s07-0001", task: "s07", x: [2, 3], y: .name("LAYING")),
            ])
            // Integer labels become class indices, other numbers values; features may be chosen.
            let numeric = try dir.write("n.csv", "t,y,a,b,id\nx,1,1,2,p\ny,2,3,4,q\n")
            let indexed = try CSVConversion(taskColumn: "t", labelColumn: "y", idColumn: "id", featureColumns: ["b"]).convert(path: numeric)
            #expect(indexed == [Example(id: "p", task: "x", x: [2], y: .index(1)), Example(id: "q", task: "y", x: [4], y: .index(2))])
            let valued = try CSVConversion(taskColumn: "t", labelColumn: "y", idColumn: "id", labelKind: .value).convert(path: numeric)
            #expect(valued.map(\.y) == [.value(1), .value(2)])
            #expect(valued[0].x == [1, 2])
            let real = try dir.write("r.csv", "t,y,a\nx,1,1\nx,2.5,3\n")
            #expect(try CSVConversion(taskColumn: "t", labelColumn: "y").convert(path: real).map(\.y) == [.value(1), .value(2.5)])
        }

        @Test func conversionErrors() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let bad = try dir.write("c.csv", "t,y,a\nx,1,1\nx,2,nan\n")
            expectInputError(["c.csv:3:", "field \"a\"", "nan"]) {
                _ = try CSVConversion(taskColumn: "t", labelColumn: "y").convert(path: bad)
            }
            expectInputError(["c.csv:1:", "no column \"task\""]) {
                _ = try CSVConversion(taskColumn: "task", labelColumn: "y").convert(path: bad)
            }
            let words = try dir.write("w.csv", "t,y,a\nx,cat,1\n")
            expectInputError(["w.csv:2:", "field \"y\"", "integer class index"]) {
                _ = try CSVConversion(taskColumn: "t", labelColumn: "y", labelKind: .index).convert(path: words)
            }
            let dup = try dir.write("d.csv", "t,y,a,id\nx,1,1,k\nx,1,2,k\n")
            expectInputError(["d.csv:3:", "duplicate id \"k\", also on line 2"]) {
                _ = try CSVConversion(taskColumn: "t", labelColumn: "y", idColumn: "id").convert(path: dup)
            }
        }
    }
}
