/// Runs every reader of one input format over a file, to the end, the way the
/// tools read it: the entry point of the fuzz tests (`swift test`) and of the
/// libFuzzer targets in `Fuzz/`, so both exercise the same code.
///
/// Bad input must end in an `MTIFError`; the harness swallows those and goes on
/// to the next reader. Anything else that escapes — another error type, or a
/// trap (overflow, bounds, allocation failure) — is a bug in a reader.
package enum ParserHarness {
    package enum Format: String, CaseIterable, Sendable {
        /// Examples (ExampleReader → TaskSchema → TaskBatch) and, over the same
        /// bytes, records (RecordReader, scores, matrix → heatmap, pairs →
        /// scatter, agreement, experiment results).
        case ndjson
        /// CSVConversion with columns task, y and optionally id.
        case csv
        /// SafeTensorsFile, ParameterFile, SafeTensorsStreamReader, VectorFileReader.
        case safetensors
    }

    /// How many readers accepted the input (0 when every one refused it).
    @discardableResult
    package static func run(_ format: Format, path: String) throws -> Int {
        var accepted = 0
        func attempt(_ body: () throws -> Void) throws {
            do {
                try body()
                accepted += 1
            } catch is MTIFError {
                // Refusing bad input with our error is the expected outcome.
            }
        }
        switch format {
        case .ndjson:
            try attempt {
                var reader = try ExampleReader(path: path)
                let examples = try reader.readAll()
                let schema = try TaskSchema.derive(from: examples, file: reader.file)
                _ = try TaskBatch(examples, schema: schema, file: reader.file)
            }
            try attempt {
                let records = try RecordReader(path: path)
                while try records.next() != nil {}
            }
            // The typed record readers and the pictures drawn from them: numbers
            // taken from input reach axis ticks and colour scales there.
            try attempt { _ = try ScoreTable(path: path) }
            try attempt { _ = Heatmap(matrix: try TaskMatrix.read(path: path)).render() }
            try attempt { _ = Scatter(pairs: try EffectPair.read(path: path)).render() }
            try attempt { _ = try AgreementRow.read(path: path) }
            try attempt { _ = try ExperimentSummary.read(path: path) }
        case .csv:
            for id in [nil, "id"] {
                for kind in CSVConversion.LabelKind.allCases {
                    try attempt {
                        _ = try CSVConversion(taskColumn: "task", labelColumn: "y", idColumn: id, labelKind: kind)
                            .convert(path: path)
                    }
                }
            }
        case .safetensors:
            try attempt {
                let file = try SafeTensorsFile(path: path)
                for name in file.names { _ = try file.doubles(name) }
                _ = try ParameterFile(file, name: file.file)
            }
            try attempt {
                let stream = try SafeTensorsStreamReader(path: path)
                var rows: [Double] = []
                for name in stream.names { while try stream.readRows(name, maxRows: 7, into: &rows) > 0 {} }
                try stream.finish()
            }
            try attempt {
                let vectors = try VectorFileReader(path: path)
                _ = try vectors.readAllDense()
            }
        }
        return accepted
    }
}
