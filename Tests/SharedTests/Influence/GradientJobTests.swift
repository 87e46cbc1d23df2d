import Foundation
import Shared
import Testing

@Suite struct GradientJobTests {
    static let problems: [(String, Sharing, [Int], Activation)] = [
        ("soft linear", .soft, [], .identity),
        ("soft tanh", .soft, [3], .tanh),
        ("hard tanh", .hard, [4], .tanh),
    ]

    /// Reference: one batch of every example, rows mapped back to input order.
    static func reference(_ problem: TinyProblem, _ w: [Double]) throws -> [Double] {
        let batch = try problem.trainingBatch()
        let p = problem.model.layout.count
        var g = [Double](repeating: 0, count: batch.count * p)
        problem.model.perExampleGradients(w, batch, into: &g)
        var ordered = [Double](repeating: 0, count: g.count)
        for i in 0 ..< batch.count {
            let j = batch.sourceIndex[i]
            ordered.replaceSubrange(j * p ..< (j + 1) * p, with: g[i * p ..< (i + 1) * p])
        }
        return ordered
    }

    @Test(arguments: [0, 1, 2])
    func rowsEqualTheModelsPerExampleGradientsInInputOrder(problemIndex: Int) throws {
        let (_, sharing, hidden, activation) = GradientJobTests.problems[problemIndex]
        let problem = try TinyProblem(sharing: sharing, hidden: hidden, activation: activation)
        let w = randomVector(problem.model.layout.count, seed: 3).map { 0.5 * $0 }
        let p = problem.model.layout.count
        let n = problem.train.count
        let expected = try GradientJobTests.reference(problem, w)
        let blocks = TaskBlockLayout(architecture: problem.architecture, layout: problem.model.layout)
        let tasks = problem.train.map { problem.schema.taskIndex($0.task)! }
        for batchSize in [1, 4, 128] {
            let dense = try jobRows(problem, w, layout: .dense, batchSize: batchSize)
            #expect(dense.count == n * p)
            let compact = try jobRows(problem, w, layout: .taskBlock, batchSize: batchSize)
            #expect(compact.count == n * blocks.width)
            var expanded = [Double](repeating: 0, count: n * p)
            compact.withUnsafeBufferPointer { c in
                expanded.withUnsafeMutableBufferPointer { e in
                    for i in 0 ..< n {
                        blocks.expand(c.baseAddress! + i * blocks.width, task: tasks[i], into: e.baseAddress! + i * p)
                    }
                }
            }
            let scale = expected.map(abs).max()!
            #expect(zip(dense, expected).allSatisfy { abs($0 - $1) <= 1e-14 * scale }, "dense, batch \(batchSize)")
            #expect(expanded == dense, "task blocks expand to the dense rows, batch \(batchSize)")
        }
        if sharing == .hard { #expect(blocks.sharedCount > 0) } else { #expect(blocks.sharedCount == 0) }
    }

    @Test func meanByTaskIsTheMeanOfPerExampleRows() throws {
        for (_, sharing, hidden, activation) in GradientJobTests.problems {
            let problem = try TinyProblem(sharing: sharing, hidden: hidden, activation: activation)
            let w = randomVector(problem.model.layout.count, seed: 4).map { 0.5 * $0 }
            let p = problem.model.layout.count
            let rows = try GradientJobTests.reference(problem, w)
            // A subset with one task absent and unequal counts.
            let subset = problem.train.filter { $0.task != "b" }.dropLast(2)
            let means = try meanGradientsByTask(
                model: problem.model, parameters: w, examples: ArraySlice(subset), schema: problem.schema,
                file: "train", batchSize: 4)
            #expect(means.tasks == [0, 2])
            for (r, k) in means.tasks.enumerated() {
                let name = problem.schema.tasks[k].name
                let members = problem.train.indices.filter { problem.train[$0].task == name && subset.contains(problem.train[$0]) }
                var mean = [Double](repeating: 0, count: p)
                for i in members { for j in 0 ..< p { mean[j] += rows[i * p + j] / Double(members.count) } }
                let got = Array(means.rows[r * p ..< (r + 1) * p])
                let scale = mean.map(abs).max()!
                #expect(zip(got, mean).allSatisfy { abs($0 - $1) <= 1e-13 * scale }, "\(sharing) task \(name)")
            }
        }
    }

    /// Writes the problem's parameter file and training NDJSON into `directory`.
    static func writeInputs(_ problem: TinyProblem, _ w: [Double], in directory: URL) throws -> (params: String, data: String) {
        let params = directory.appendingPathComponent("params.safetensors").path
        try ParameterFile(architecture: problem.architecture, schema: problem.schema, parameters: w, metadata: [:])
            .write(to: params)
        let data = directory.appendingPathComponent("train.ndjson").path
        let text = try problem.train.map { try encodeExampleLine($0) }.joined()
        try text.write(toFile: data, atomically: true, encoding: .utf8)
        return (params, data)
    }

    @Test func shardsConcatenateToTheWhole() throws {
        let problem = try TinyProblem(sharing: .hard, hidden: [4], activation: .tanh, perTask: 11)
        let w = randomVector(problem.model.layout.count, seed: 5).map { 0.5 * $0 }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (params, data) = try GradientJobTests.writeInputs(problem, w, in: directory)
        let log = Log(tool: "test", quiet: true)
        var options = GradientOptions()
        options.parametersPath = params
        options.dataPath = data
        options.batchSize = 4
        options.outputPath = directory.appendingPathComponent("whole.safetensors").path
        try runGradients(options, log: log)
        let whole = try VectorFileReader(path: options.outputPath)
        let wholeRows = try whole.readAllDense()
        var rows: [Double] = []
        var identities: [RowIdentity] = []
        let n = problem.train.count  // 33: shards of 11, 11, 11 for N = 3; uneven for N = 4
        for count in [3, 4] {
            rows = []
            identities = []
            for i in 0 ..< count {
                options.shard = Shard(index: i, count: count)
                options.outputPath = directory.appendingPathComponent("shard\(i).safetensors").path
                try runGradients(options, log: log)
                let reader = try VectorFileReader(path: options.outputPath)
                #expect(reader.header.dataFingerprint == whole.header.dataFingerprint, "fingerprint of all of DATA")
                #expect(try Shard.recorded(in: reader.header.extra, file: "") == options.shard)
                #expect(reader.header.rows.count == (i + 1) * n / count - i * n / count)
                identities += reader.header.rows
                rows += try reader.readAllDense()
            }
            #expect(identities == whole.header.rows)
            #expect(rows == wholeRows, "shards of \(count)")
        }
        #expect(whole.header.rows.map(\.id) == problem.train.map(\.id))
        #expect(try Shard.recorded(in: whole.header.extra, file: "") == nil)
        #expect(whole.header.extra["batch_size"] == "4")
        #expect(whole.header.extra["tool"] == "mtif-grad")
    }

    @Test func shardRangesAreContiguousAndDisjoint() throws {
        for n in [0, 1, 7, 100] {
            for count in 1 ... 5 {
                var next = 0
                for i in 0 ..< count {
                    let r = Shard(index: i, count: count).range(of: n)
                    #expect(r.lowerBound == next)
                    next = r.upperBound
                }
                #expect(next == n)
            }
        }
        for bad in ["3/3", "-1/2", "1", "a/b", "0/0"] {
            expectMTIFError(.usage, containing: ["--shard"]) { _ = try Shard(parsing: bad) }
        }
    }

    @Test func unknownTaskIsAnErrorNamingTheExample() throws {
        let problem = try TinyProblem()
        var examples = problem.train
        examples[5].task = "zz"
        expectMTIFError(.input, containing: ["zz", examples[5].id]) {
            try perExampleGradientRows(
                model: problem.model, parameters: problem.model.initialParameters(seed: 0), examples: examples[...],
                schema: problem.schema, file: "train", layout: .taskBlock, batchSize: 4) { _, _ in }
        }
    }
}
