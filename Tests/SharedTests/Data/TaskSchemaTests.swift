import Testing
import Shared

/// The schema a training set fixes (tasks, classes, n_k, loss), and how
/// `TaskBatch` encodes examples against it.
@Suite struct TaskSchemaTests {
    private func example(_ id: String, _ task: String, _ y: Label, x: [Double] = [0, 0]) -> Example {
        Example(id: id, task: task, x: x, y: y)
    }

    @Test func classNamesMapToSortedIndicesPerTask() throws {
        let examples = [
            example("1", "b", .name("WALK")), example("2", "a", .name("SIT")), example("3", "b", .name("LIE")),
            example("4", "a", .name("RUN")), example("5", "b", .name("SIT")), example("6", "a", .name("SIT")),
        ]
        let schema = try TaskSchema.derive(from: examples, file: "f.ndjson")
        #expect(schema.loss == .crossEntropy && schema.features == 2)
        #expect(schema.taskNames == ["a", "b"])
        #expect(schema.tasks.map(\.name) == ["a", "b"])
        #expect(schema.tasks.map(\.outputs) == [2, 3])
        #expect(schema.tasks.map(\.labels) == [["RUN", "SIT"], ["LIE", "SIT", "WALK"]])
        #expect(schema.tasks.map(\.count) == [3, 3])
        let batch = try TaskBatch(examples, schema: schema, file: "f.ndjson")
        // Rows: a (ids 2, 4, 6), then b (ids 1, 3, 5).
        #expect(batch.targets == [1, 0, 1, 2, 0, 1])
    }

    @Test func integerLabelsGiveLargestPlusOneClassesAtLeastTwo() throws {
        let examples = [
            example("1", "a", .index(0)), example("2", "a", .index(4)), example("3", "b", .index(0)),
            example("4", "c", .index(1)), example("5", "b", .index(0)),
        ]
        let schema = try TaskSchema.derive(from: examples, file: "f")
        #expect(schema.loss == .crossEntropy)
        #expect(schema.tasks.map(\.outputs) == [5, 2, 2])
        #expect(schema.tasks.map(\.count) == [2, 2, 1])
        #expect(schema.tasks.allSatisfy { $0.labels == nil })
        expectMTIFError(.input, containing: ["\"a\"", "negative class index -1"]) {
            _ = try TaskSchema.derive(from: [example("1", "a", .index(-1))], file: "f")
        }
    }

    @Test func mixingNamesAndIndicesIsAnError() {
        expectMTIFError(.input, containing: ["f.ndjson", "mix class names and class indices"]) {
            _ = try TaskSchema.derive(from: [example("1", "a", .index(0)), example("2", "b", .name("x"))], file: "f.ndjson")
        }
    }

    @Test func realLabelsMeanRegressionAndLossCanBeForced() throws {
        let examples = [example("1", "a", .value(0.5)), example("2", "a", .index(2)), example("3", "b", .value(-1.5))]
        let schema = try TaskSchema.derive(from: examples, file: "f")
        #expect(schema.loss == .squaredError)
        #expect(schema.tasks.map(\.outputs) == [1, 1])
        #expect(schema.tasks.map(\.count) == [2, 1])
        #expect(try TaskBatch(examples, schema: schema, file: "f").targets == [0.5, 2, -1.5])
        #expect(schema.labelSummary == "a regression, b regression")

        // Decided per task (issue 14): a task of integral labels, one of them
        // written 0.0, stays classification; it does not make the data set regression.
        let written = [example("1", "a", .value(0.0)), example("2", "a", .index(2)), example("3", "b", .index(1))]
        let classes = try TaskSchema.derive(from: written, file: "f")
        #expect(classes.loss == .crossEntropy && classes.tasks.map(\.outputs) == [3, 2])
        #expect(try TaskBatch(written, schema: classes, file: "f").targets == [0, 2, 1])
        #expect(classes.labelSummary == "a classification (3 classes, integral labels), b classification (2 classes, integral labels)")
        // A regression task beside a classification task: one model has one loss.
        let mixed = [example("1", "a", .value(0.5)), example("2", "b", .index(2)), example("3", "b", .index(1))]
        expectMTIFError(.input, containing: ["task \"a\" has a real-valued label (0.5)", "task \"b\" are all integral"], hint: "--loss squared_error") {
            _ = try TaskSchema.derive(from: mixed, file: "f")
        }
        #expect(try TaskSchema.derive(from: mixed, file: "f", loss: .squaredError).loss == .squaredError)

        // Integer labels: classification by default, regression when forced.
        let integers = [example("1", "a", .index(3)), example("2", "a", .index(1))]
        #expect(try TaskSchema.derive(from: integers, file: "f").loss == .crossEntropy)
        let forced = try TaskSchema.derive(from: integers, file: "f", loss: .squaredError)
        #expect(forced.loss == .squaredError && forced.tasks[0].outputs == 1)
        expectMTIFError(.input, containing: ["classification needs", "task \"a\" has the real-valued label 0.5"]) {
            _ = try TaskSchema.derive(from: examples, file: "f", loss: .crossEntropy)
        }
        expectMTIFError(.input, containing: ["regression needs numeric labels"]) {
            _ = try TaskSchema.derive(from: [example("1", "a", .name("x"))], file: "f", loss: .squaredError)
        }
        expectMTIFError(.input, containing: ["f: no examples"]) { _ = try TaskSchema.derive(from: [], file: "f") }
    }

    @Test func taskOrderKeepsOnlyTheNamedTasks() throws {
        let examples = [example("1", "a", .index(0)), example("2", "b", .index(1)), example("3", "c", .index(1))]
        let schema = try TaskSchema.derive(from: examples, file: "f", taskOrder: ["c", "a"])
        #expect(schema.taskNames == ["c", "a"])
        expectMTIFError(.input, containing: ["task \"z\" has no examples"]) {
            _ = try TaskSchema.derive(from: examples, file: "f", taskOrder: ["a", "z"])
        }
    }

    @Test func batchGroupsRowsByTaskWithPerTaskWeights() throws {
        let examples = [
            example("e0", "b", .index(1), x: [0, 1]), example("e1", "a", .index(0), x: [1, 1]),
            example("e2", "c", .index(1), x: [2, 1]), example("e3", "b", .index(0), x: [3, 1]),
            example("e4", "a", .index(1), x: [4, 1]), example("e5", "b", .index(1), x: [5, 1]),
        ]
        let schema = try TaskSchema.derive(from: examples, file: "f")
        let batch = try TaskBatch(examples, schema: schema, file: "f")
        #expect(batch.count == 6 && batch.features == 2)
        #expect(batch.taskRanges == [0 ..< 2, 2 ..< 5, 5 ..< 6])
        #expect(batch.sourceIndex == [1, 4, 0, 3, 5, 2])
        let third: Double = 1.0 / 3
        #expect(batch.weights == [0.5, 0.5, third, third, third, 1])
        #expect(batch.taskOfRow == [0, 0, 1, 1, 1, 2])
        #expect(batch.targets == [0, 1, 1, 0, 1, 1])
        for row in 0 ..< batch.count {
            let source = examples[batch.sourceIndex[row]]
            #expect(Array(batch.x[row * 2 ..< row * 2 + 2]) == source.x)
            #expect(schema.taskNames[batch.taskOfRow[row]] == source.task)
        }

        // Validation data against the training schema: weights from its own rows, absent task empty.
        let val = [example("v0", "c", .index(0)), example("v1", "a", .index(1)), example("v2", "c", .index(1))]
        let valBatch = try TaskBatch(val, schema: schema, file: "val")
        #expect(valBatch.taskRanges == [0 ..< 1, 1 ..< 1, 1 ..< 3])
        #expect(valBatch.weights == [1, 0.5, 0.5])
        #expect(valBatch.sourceIndex == [1, 0, 2])

        // subset keeps the grouping by task, each row's weight, and its source.
        let sub = batch.subset([5, 0, 3, 2])
        #expect(sub.taskRanges == [0 ..< 1, 1 ..< 3, 3 ..< 4])
        #expect(sub.sourceIndex == [1, 3, 0, 2])
        #expect(sub.weights == [0.5, third, third, 1])
        #expect(sub.x == [1, 1, 3, 1, 0, 1, 2, 1])
        #expect(sub.targets == [0, 0, 1, 1])
        let reweighted = batch.subset([4, 1], weights: [7, 9])
        #expect(reweighted.taskRanges == [0 ..< 1, 1 ..< 2, 2 ..< 2])
        #expect(reweighted.weights == [9, 7])
        #expect(reweighted.sourceIndex == [4, 5])
    }

    @Test func examplesTheSchemaDoesNotKnowAreInputErrors() throws {
        let named = try TaskSchema.derive(
            from: [example("1", "a", .name("RUN")), example("2", "a", .name("SIT"))], file: "train")
        let indexed = try TaskSchema.derive(from: [example("1", "a", .index(0)), example("2", "a", .index(2))], file: "train")
        func expectInputError(
            _ schema: TaskSchema, _ bad: Example, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
        ) {
            do {
                _ = try TaskBatch([example("ok", "a", schema == named ? .name("RUN") : .index(0)), bad], schema: schema, file: "val.ndjson")
                Issue.record("no error for \(bad)", sourceLocation: sourceLocation)
            } catch let error as MTIFError {
                #expect(error.kind == .input && error.exitCode == 2, sourceLocation: sourceLocation)
                for fragment in ["val.ndjson", "example \"\(bad.id)\""] + fragments {
                    #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
                }
            } catch {
                Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            }
        }
        expectInputError(named, example("z1", "a", .name("WALK")), ["field \"y\"", "class \"WALK\" was not seen"])
        expectInputError(indexed, example("z2", "a", .index(3)), ["field \"y\"", "class 3 is out of range", "0..<3"])
        expectInputError(indexed, example("z3", "a", .index(-1)), ["field \"y\"", "class -1 is out of range"])
        expectInputError(named, example("z4", "a", .index(0)), ["field \"y\"", "class index 0"])
        expectInputError(indexed, example("z5", "q", .index(0)), ["field \"task\"", "task \"q\""])
        expectInputError(indexed, example("z6", "a", .index(0), x: [1, 2, 3]), ["field \"x\"", "3 values", "expects 2"])
        expectInputError(indexed, example("z7", "a", .value(0.5)), ["field \"y\"", "not an integer"])
    }
}
