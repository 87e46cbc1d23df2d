import Shared
import Testing

@Suite struct ExcludeWeightsTests {
    /// Two tasks of 3 and 2 rows left after exclusion; "original" weights use
    /// the counts before it (4 and 2), task names survive the metadata coder.
    @Test func originalWeightsKeepTheDenominatorsBeforeExclusion() throws {
        let examples = ["Task_A", "Task_A", "b", "Task_A", "b"].enumerated().map { i, task in
            Example(id: "e\(i)", task: task, x: [Double(i)], y: .value(0))
        }
        let schema = try TaskSchema.derive(from: examples, file: "f", loss: .squaredError)
        var batch = try TaskBatch(examples, schema: schema, file: "f")
        let third: Double = 1 / 3
        #expect(batch.weights == [third, third, third, 0.5, 0.5])
        let record = ExcludeWeightsRecord(mode: .original, counts: ["Task_A": 4, "b": 2])
        let decoded: ExcludeWeightsRecord = try JSONText.decode(try JSONText.encode(record), field: "w", file: "f")
        #expect(decoded == record && decoded.tasks == ["Task_A", "b"])
        decoded.apply(to: &batch, schema: schema)
        #expect(batch.weights == [0.25, 0.25, 0.25, 0.5, 0.5])
        #expect(ExcludeWeights.original.groundTruth == "fixed" && ExcludeWeights.renormalized.groundTruth == "literal")
    }
}
