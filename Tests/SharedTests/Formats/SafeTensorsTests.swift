import Foundation
import Testing
import Shared

extension Formats {
    @Suite struct SafeTensorsTests {
        static func fixture(_ name: String) throws -> [UInt8] {
            let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
            return Array(try Data(contentsOf: url))
        }

        static let fixtureTensors: [SafeTensor] = [
            SafeTensor(name: "bias", dtype: .f32, shape: [4], data: [0.5, -1.25, 3.4028234663852886e38, 1e-45]),
            SafeTensor(name: "weights", dtype: .f64, shape: [2, 3],
                       data: [0.1, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-300, 3.0]),
            SafeTensor(name: "scalar", dtype: .f64, shape: [], data: [2.5]),
        ]
        static let fixtureMetadata = ["schema": "mtif-test/1", "producer": "make_safetensors_fixture.py"]

        @Test func readsThePythonFixture() throws {
            let file = try SafeTensorsFile(bytes: Self.fixture("fixture.safetensors"), name: "fixture.safetensors")
            #expect(file.metadata == Self.fixtureMetadata)
            #expect(file.names == ["scalar", "weights", "bias"])
            #expect(file.shape("weights") == [2, 3])
            #expect(file.shape("scalar") == [])
            #expect(file.dtype("bias") == .f32)
            #expect(file.dtype("nope") == nil)
            let weights = try file.doubles("weights")
            #expect(weights.map(\.bitPattern) == Self.fixtureTensors[1].data.map(\.bitPattern))
            #expect(try file.doubles("scalar") == [2.5])
            let bias = try file.doubles("bias")
            #expect(bias == Self.fixtureTensors[0].data.map { Double(Float($0)) })
            #expect(bias[3] == Double(Float.leastNonzeroMagnitude))
            expectInputError(["fixture.safetensors", "no tensor named \"nope\""]) { _ = try file.doubles("nope") }

            let plain = try SafeTensorsFile(bytes: Self.fixture("fixture_plain.safetensors"), name: "plain")
            #expect(plain.metadata.isEmpty)
            #expect(plain.names == ["empty", "one"])
            #expect(plain.shape("empty") == [0, 3])
            #expect(try plain.doubles("empty") == [])
            #expect(try plain.doubles("one") == [-7])
        }

        @Test func writesBytesIdenticalToPython() throws {
            let ours = try SafeTensors.encode(Self.fixtureTensors, metadata: Self.fixtureMetadata)
            #expect(ours == (try Self.fixture("fixture.safetensors")))
            let plain = try SafeTensors.encode([
                SafeTensor(name: "one", dtype: .f32, shape: [1], data: [-7]),
                SafeTensor(name: "empty", dtype: .f64, shape: [0, 3], data: []),
            ], metadata: [:])
            #expect(plain == (try Self.fixture("fixture_plain.safetensors")))
        }

        @Test func writerRejectsMismatchedData() {
            #expect(throws: MTIFError.self) {
                try SafeTensors.encode([SafeTensor(name: "a", dtype: .f64, shape: [2, 2], data: [1, 2, 3])], metadata: [:])
            }
            #expect(throws: MTIFError.self) {
                try SafeTensors.encode([SafeTensor(name: "a", dtype: .f64, shape: [1], data: [1]),
                                        SafeTensor(name: "a", dtype: .f32, shape: [1], data: [1])], metadata: [:])
            }
        }

        /// A file with a hand-written header (padded) and `data` bytes.
        static func handMade(_ header: String, data: Int, declaredLength: UInt64? = nil) -> [UInt8] {
            var json = Array(header.utf8)
            while json.count % 8 != 0 { json.append(0x20) }
            let n = declaredLength ?? UInt64(json.count)
            return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } + json + [UInt8](repeating: 0, count: data)
        }

        @Test func strictHeaderValidation() throws {
            let good = Self.handMade(#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#, data: 20)
            let file = try SafeTensorsFile(bytes: good, name: "g.safetensors")
            #expect(file.names == ["a", "b"])

            let cases: [([UInt8], [String])] = [
                (Array(good.dropLast()), ["t.safetensors", "truncated", "\"b\""]),
                (good + [0], ["t.safetensors", "1 trailing bytes"]),
                (Self.handMade(#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#, data: 16),
                 ["tensor \"b\"", "overlaps tensor \"a\""]),
                (Self.handMade(#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[8,24]}}"#, data: 24), ["tensor \"a\"", "gap of 8 bytes"]),
                (Self.handMade(#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,16]}}"#, data: 16), ["tensor \"a\"", "unknown dtype \"Q7\""]),
                (Self.handMade(#"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, data: 4), ["tensor \"a\"", "BF16 is not supported"]),
                (Self.handMade(#"{"a":{"dtype":"F64","shape":[-2],"data_offsets":[0,16]}}"#, data: 16), ["tensor \"a\"", "non-negative"]),
                (Self.handMade(#"{"a":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}}"#, data: 16), ["tensor \"a\"", "needs 24"]),
                (Self.handMade(#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}"#, data: 16), ["not valid JSON"]),
                (Self.handMade(#"{"__metadata__":{"k":1}}"#, data: 0), ["__metadata__ key \"k\" is not a string"]),
                (Self.handMade(#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16],"x":1}}"#, data: 16), ["unexpected key \"x\""]),
                (Self.handMade("{}", data: 0, declaredLength: 1 << 40), ["header length", "limit"]),
                (Self.handMade("{}", data: 0, declaredLength: 4096), ["header length 4096 runs past the end"]),
                (Self.handMade("{}", data: 0, declaredLength: UInt64.max), ["header length", "limit"]),
                ([1, 2, 3], ["too short"]),
            ]
            for (bytes, fragments) in cases {
                expectInputError(["t.safetensors"] + fragments) { _ = try SafeTensorsFile(bytes: bytes, name: "t.safetensors") }
            }
            do {
                _ = try SafeTensorsFile(bytes: Array(good.dropLast()), name: "t")
            } catch let error as MTIFError {
                #expect(error.hint?.contains("re-create") == true)
            }
        }

        @Test func streamWriterAndReaderRoundTripInChunks() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let path = dir.path + "/g.safetensors"
            let n = 1_000, p = 37
            // (N, P) row-major
            let grads = (0..<(n * p)).map { Double($0) * 0.001 - 3 }
            let ids = (0..<n).map { Double($0) }
            let output = try OutputFile(path: path)
            let writer = try SafeTensorsStreamWriter(output: output, tensors: [
                .init(name: "grad", dtype: .f64, shape: [n, p]),
                .init(name: "grad32", dtype: .f32, shape: [n, p]),
                .init(name: "row", dtype: .f64, shape: [n]),
            ], metadata: ["schema": "1"])
            for start in stride(from: 0, to: n * p, by: 999) {
                try writer.append(Array(grads[start..<min(start + 999, n * p)]))
            }
            #expect(writer.currentTensor == "grad32")
            #expect(throws: MTIFError.self) { try writer.finish() }
            try writer.append(grads)
            #expect(throws: MTIFError.self) { try writer.append(Array(repeating: 0, count: n + 1)) }
            try writer.append(ids)
            #expect(throws: MTIFError.self) { try writer.append([1]) }
            try writer.finish()
            try output.commit()

            let whole = try SafeTensorsFile(path: path)
            #expect(try whole.doubles("grad") == grads)
            #expect(try whole.doubles("grad32") == grads.map { Double(Float($0)) })
            #expect(whole.names == ["grad", "grad32", "row"])

            let reader = try SafeTensorsStreamReader(path: path)
            #expect(reader.metadata == ["schema": "1"])
            var rows: [Double] = []
            var seen: [Double] = []
            while true {
                let r = try reader.readRows("grad", maxRows: 64, into: &rows)
                if r == 0 { break }
                #expect(rows.count == r * p)
                seen += rows
            }
            #expect(seen == grads)
            // Skips grad32 unread, then reads row.
            #expect(try reader.doubles("row") == ids)
            #expect(throws: MTIFError.self) { _ = try reader.readRows("grad", maxRows: 1, into: &rows) }
            try reader.finish()
        }

        /// Feeds `bytes` to a reader of a named pipe, where sizes are unknown up front.
        static func throughPipe(_ bytes: [UInt8], in dir: TemporaryDirectory, _ body: (String) throws -> Void) throws {
            let fifo = dir.path + "/pipe\(UInt32.random(in: 0...UInt32.max))"
            #expect(mkfifo(fifo, 0o600) == 0)
            let feeder = Thread {
                let fd = open(fifo, O_WRONLY)
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
                close(fd)
            }
            feeder.start()
            try body(fifo)
        }

        @Test func streamReaderOnPipes() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let bytes = try SafeTensors.encode([SafeTensor(name: "m", dtype: .f64, shape: [3, 2], data: [1, 2, 3, 4, 5, 6])], metadata: [:])
            try Self.throughPipe(bytes, in: dir) { path in
                let reader = try SafeTensorsStreamReader(path: path)
                #expect(try reader.doubles("m") == [1, 2, 3, 4, 5, 6])
                try reader.finish()
            }
            try Self.throughPipe(Array(bytes.dropLast(3)), in: dir) { path in
                let reader = try SafeTensorsStreamReader(path: path)
                var rows: [Double] = []
                #expect(try reader.readRows("m", maxRows: 2, into: &rows) == 2)
                expectInputError(["pipe", "tensor \"m\"", "truncated"]) { _ = try reader.readRows("m", maxRows: 2, into: &rows) }
            }
            try Self.throughPipe(bytes + [7, 7], in: dir) { path in
                let reader = try SafeTensorsStreamReader(path: path)
                expectInputError(["pipe", "trailing bytes"]) { try reader.finish() }
            }
        }

        @Test func streamReaderDetectsTruncationAndTrailingBytesInFiles() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let bytes = try SafeTensors.encode([SafeTensor(name: "m", dtype: .f64, shape: [3, 2], data: [1, 2, 3, 4, 5, 6])], metadata: [:])
            // Regular files are checked against their size when opened.
            let short = try dir.write("short.safetensors", bytes: Array(bytes.dropLast(3)))
            expectInputError(["short.safetensors", "truncated"]) { _ = try SafeTensorsStreamReader(path: short) }
            let long = try dir.write("long.safetensors", bytes: bytes + [9])
            expectInputError(["long.safetensors", "trailing"]) { _ = try SafeTensorsStreamReader(path: long) }
            let reader = try SafeTensorsStreamReader(path: try dir.write("ok.safetensors", bytes: bytes))
            var rows: [Double] = []
            #expect(try reader.readRows("m", maxRows: 2, into: &rows) == 2)
            #expect(rows == [1, 2, 3, 4])
            try reader.finish()
        }
    }
}
