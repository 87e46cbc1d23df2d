import Foundation
import Testing
import Shared

extension Formats {
    /// Throughput of the formats on HAR-sized data. Off unless MTIF_BENCH_CSV names
    /// the HAR CSV (a file or a named pipe fed by `zcat har.csv.gz`); writes its
    /// NDJSON and a safetensors file to MTIF_BENCH_DIR (default: a temporary dir).
    ///
    ///     mkfifo /tmp/har.fifo; zcat ../shared/data/har/har.csv.gz > /tmp/har.fifo &
    ///     MTIF_BENCH_CSV=/tmp/har.fifo swift test -c release --filter FormatsBenchmark
    @Suite struct FormatsBenchmark {
        static let csvPath = ProcessInfo.processInfo.environment["MTIF_BENCH_CSV"]

        static func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }

        static func report(_ what: String, bytes: Int, seconds: Double) {
            let line = String(format: "bench: %@: %.1f MB in %.3f s = %.0f MB/s\n", what, Double(bytes) / 1e6, seconds, Double(bytes) / 1e6 / seconds)
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }

        @Test(.enabled(if: csvPath != nil)) func harThroughput() throws {
            let temporary = try TemporaryDirectory()
            defer { temporary.cleanUp() }
            let dir = ProcessInfo.processInfo.environment["MTIF_BENCH_DIR"] ?? temporary.path
            var examples: [Example] = []
            let csvSeconds = try Self.seconds {
                examples = try CSVConversion(taskColumn: "subject", labelColumn: "activity", taskPrefix: "s").convert(path: Self.csvPath!)
            }
            #expect(examples.count == 10_411)
            #expect(examples[0].x.count == 561)
            #expect(Set(examples.map(\.task)).count == 30)
            Self.report("CSV → examples (\(examples.count) rows)", bytes: 56_697_452, seconds: csvSeconds)

            let ndjson = dir + "/har.ndjson"
            var written = 0
            let writeSeconds = try Self.seconds {
                let output = try OutputFile(path: ndjson)
                var writer = ExampleWriter(output: output)
                try writer.write(examples)
                try output.commit()
            }
            written = Int((try FileManager.default.attributesOfItem(atPath: ndjson)[.size] as? NSNumber)?.intValue ?? 0)
            Self.report("examples → NDJSON", bytes: written, seconds: writeSeconds)

            var back: [Example] = []
            var best = Double.infinity
            for _ in 0..<3 {
                best = min(best, try Self.seconds { back = try ExampleReader.readAll(path: ndjson) })
            }
            #expect(back == examples)
            Self.report("NDJSON → examples (best of 3)", bytes: written, seconds: best)

            var lines = 0
            let scanSeconds = try Self.seconds {
                let reader = try LineReader(path: ndjson)
                while try reader.next() != nil { lines += 1 }
            }
            Self.report("line splitting alone", bytes: written, seconds: scanSeconds)

            // A matrix for Python to open: safetensors.numpy.load_file(dir + "/har.safetensors").
            let n = examples.count, d = examples[0].x.count
            let output = try OutputFile(path: dir + "/har.safetensors")
            let writer = try SafeTensorsStreamWriter(output: output, tensors: [
                .init(name: "x", dtype: .f64, shape: [n, d]), .init(name: "x32", dtype: .f32, shape: [n, d]),
            ], metadata: ["schema": "bench/1", "note": "é \"quoted\"\n"])
            let stSeconds = try Self.seconds {
                for e in examples { try writer.append(e.x) }
                for e in examples { try writer.append(e.x) }
                try writer.finish()
                try output.commit()
            }
            Self.report("examples → safetensors (stream writer)", bytes: n * d * 12, seconds: stSeconds)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let small = try SafeTensors.encode([
                SafeTensor(name: "w", dtype: .f64, shape: [2, 2], data: [1, -0.0, 0.1, 5e-300]),
                SafeTensor(name: "b", dtype: .f32, shape: [3], data: [0.1, 2, 3]),
                SafeTensor(name: "s", dtype: .f64, shape: [], data: [7]),
            ], metadata: ["a": "1", "b": "two"])
            try Data(small).write(to: URL(fileURLWithPath: dir + "/small.safetensors"))
        }
    }
}
