import Foundation
import Shared
import Testing

/// `TaskBatch.read(tasksOf:from:file:)`, the streaming reader of mtif-ihvp:
/// the batch and fingerprint of reading every example and keeping the
/// schema's tasks, over several 4 MiB reader batches, and the same errors.
struct TaskBatchReadingTests {
    @Test func streamedBatchEqualsTheBatchOfAllExamples() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var rng = SplitMix64(seed: 3)
        var lines: [String] = []
        for i in 0 ..< 60_000 {  // ~5 MB of text: two reader batches
            let task = ["a", "b", "other", "b"][i % 4]
            let x = (0 ..< 3).map { _ in String(rng.normal()) }.joined(separator: ",")
            lines.append(#"{"id":"r\#(i)","task":"\#(task)","x":[\#(x)],"y":\#(rng.below(3))}"#)
        }
        let path = try directory.write("train.ndjson", lines.joined(separator: "\n") + "\n")
        let kept = try ExampleReader.readAll(path: path).filter { $0.task != "other" }
        let schema = try TaskSchema.derive(from: kept, file: "train.ndjson")
        let whole = try TaskBatch(kept, schema: schema, file: "train.ndjson")

        var reader = try ExampleReader(path: path)
        let (streamed, fingerprint) = try TaskBatch.read(tasksOf: schema, from: &reader, file: "train.ndjson")
        #expect(fingerprint == Fingerprint.of(kept))
        #expect(streamed.count == 45_000 && streamed.features == 3)
        #expect(streamed.x == whole.x)
        #expect(streamed.taskRanges == whole.taskRanges)
        #expect(streamed.targets == whole.targets)
        #expect(streamed.weights == whole.weights)
        #expect(streamed.sourceIndex == whole.sourceIndex)
    }

    @Test func aLabelTheSchemaDoesNotKnowNamesFileLineAndField() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let good = #"{"id":"1","task":"a","x":[1,2],"y":0}"# + "\n" + #"{"id":"2","task":"a","x":[3,4],"y":1}"# + "\n"
        let schema = try TaskSchema.derive(
            from: try ExampleReader.readAll(path: try directory.write("good.ndjson", good)), file: "good.ndjson")
        let path = try directory.write("bad.ndjson", good + #"{"id":"3","task":"a","x":[5,6],"y":7}"# + "\n")
        var reader = try ExampleReader(path: path)
        #expect {
            _ = try TaskBatch.read(tasksOf: schema, from: &reader, file: "bad.ndjson")
        } throws: { error in
            let message = (error as? MTIFError)?.message ?? ""
            return message.hasPrefix(#"bad.ndjson:3: field "y": "#) && message.contains("class 7 is out of range")
        }
    }
}
