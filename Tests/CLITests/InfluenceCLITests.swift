import Foundation
import Shared
import Testing

/// mtif-grad and mtif-influence end to end, through pipes as the README writes
/// them. The inverse-HVPs come from an exact dense solve written here (mtif-ihvp
/// is not this branch's), stored as mtif-ihvp would store them.
@Suite(.serialized) struct InfluenceCLITests {
    /// Data, a tightly trained convex model, a second model, the right-hand
    /// sides through `mtif-grad --mean-by-task`, and ihvp.safetensors.
    static func prepare(_ sh: Shell) throws -> (scores: [String: [String: Double]], targets: [String]) {
        try sh.succeed("""
            mkdir -p d
            mtif-data synth --seed 5 --tasks 3 --train 30 --val 12 --test 5 -q | mtif-data split --prefix d/ -q
            mtif-train -q --sharing soft --tol 1e-10 d/train.ndjson -o params.safetensors
            mtif-train -q --sharing soft --tol 1e-10 --lambda 0.02 d/train.ndjson -o other.safetensors
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            """)
        let params = try ParameterFile.read(path: sh.path("params.safetensors"))
        let model = try makeModel(params.architecture)
        let p = model.layout.count
        let w = params.parameters
        let train = try ExampleReader.readAll(path: sh.path("d/train.ndjson"))
        let batch = try TaskBatch(train, schema: params.schema, file: "train")
        let rhsReader = try VectorFileReader(path: sh.path("rhs.safetensors"))
        let rhs = try rhsReader.readAllDense()
        let targets = rhsReader.header.rows.map(\.id)
        let k = targets.count
        // Dense H, column by column from exact HVPs; s_k = H⁻¹ ∇V_k.
        var h = [Double](repeating: 0, count: p * p)
        var e = [Double](repeating: 0, count: p), column = [Double](repeating: 0, count: p)
        for j in 0 ..< p {
            e[j] = 1
            model.hessianVectorProduct(w, batch, regularized: true, e, into: &column)
            for i in 0 ..< p { h[i * p + j] = column[i] }
            e[j] = 0
        }
        var s = [Double](repeating: 0, count: k * p)
        for t in 0 ..< k {
            let x = gaussianSolve(h, Array(rhs[t * p ..< (t + 1) * p]), size: p)
            s.replaceSubrange(t * p ..< (t + 1) * p, with: x)
        }
        let inputs = try JSONValue.parse(params.metadata["inputs"]!)
        let training = try #require(inputs["train"]?.string)
        let header = VectorFileHeader(
            kind: .inverseHVP, layout: .dense, rows: rhsReader.header.rows, at: params,
            dataFingerprint: rhsReader.header.dataFingerprint, extra: ["training": training, "tool": "test"])
        let writer = try VectorFileWriter(path: sh.path("ihvp.safetensors"), header: header)
        try writer.append(s)
        try writer.commit()
        // The scores in memory: −(1/n_l) s_k·∇ℓ(z).
        var g = [Double](repeating: 0, count: batch.count * p)
        model.perExampleGradients(w, batch, into: &g)
        let taskOf = batch.taskOfRow
        var expected: [String: [String: Double]] = [:]
        for i in 0 ..< batch.count {
            let example = train[batch.sourceIndex[i]]
            let nl = Double(params.schema.tasks[taskOf[i]].count)
            var row: [String: Double] = [:]
            for t in 0 ..< k {
                var dot = 0.0
                for j in 0 ..< p { dot += s[t * p + j] * g[i * p + j] }
                row[targets[t]] = -dot / nl
            }
            expected[example.id] = row
        }
        return (expected, targets)
    }

    @Test func pipedScoresMatchTheInMemoryComputation() throws {
        let sh = try Shell()
        let (expected, targets) = try InfluenceCLITests.prepare(sh)
        try sh.succeed("""
            mtif-grad params.safetensors d/train.ndjson | mtif-influence ihvp.safetensors > scores.ndjson
            mtif-grad -q params.safetensors d/train.ndjson -o grads.safetensors
            mtif-influence -q --by-task ihvp.safetensors grads.safetensors > matrix.ndjson
            mtif-influence -q --matrix matrix2.ndjson ihvp.safetensors < grads.safetensors > scores2.ndjson
            cmp scores.ndjson scores2.ndjson
            """)
        let records = try Shell.records(try sh.read("scores.ndjson"))
        let meta = records[0]
        #expect(meta["type"] as? String == "meta")
        #expect((meta["sign"] as? String)?.hasPrefix("positive = removing the example") == true)
        #expect(meta["targets"] as? [String] == targets)
        let train = try ExampleReader.readAll(path: sh.path("d/train.ndjson"))
        let lines = records.dropFirst()
        #expect(lines.map { $0["id"] as! String } == train.map(\.id), "one line per example, in input order")
        var sums: [String: [String: Double]] = [:]
        for line in lines {
            #expect(line["type"] as? String == "score")
            let id = line["id"] as! String, task = line["task"] as! String
            let scores = line["scores"] as! [String: Double]
            #expect(Set(scores.keys) == Set(targets))
            for (target, value) in scores {
                let want = expected[id]![target]!
                #expect(abs(value - want) <= 1e-10 * max(abs(want), 1e-300), "\(id) → \(target): \(value) vs \(want)")
                sums[task, default: [:]][target, default: 0] += value
            }
        }
        for name in ["matrix.ndjson", "matrix2.ndjson"] {
            let matrix = try Shell.records(try sh.read(name))
            #expect(matrix[0]["type"] as? String == "meta")
            let cells = matrix.filter { $0["type"] as? String == "relatedness" }
            #expect(cells.count == 9)
            for cell in cells {
                let source = cell["source"] as! String, target = cell["target"] as! String
                let sum = sums[source]![target]!
                #expect(abs((cell["value"] as! Double) - sum) <= 1e-12 * max(1, abs(sum)), "\(name) \(source)→\(target)")
                #expect(cell["n"] as? Int == train.filter { $0.task == source }.count, "n = n_l")
            }
        }
    }

    /// `--params --data` computes the gradients in process: the same scores
    /// and matrix as the piped join, at any chunk size, and the same checks.
    @Test func fusedJoinEqualsThePipedJoin() throws {
        let sh = try Shell()
        let (expected, _) = try InfluenceCLITests.prepare(sh)
        try sh.succeed("""
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > piped.ndjson
            mtif-influence --params params.safetensors --data d/train.ndjson ihvp.safetensors > fused.ndjson 2> fused.log
            mtif-influence -q --chunk 7 --by-task --params params.safetensors --data d/train.ndjson ihvp.safetensors > fused-matrix.ndjson
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q --by-task ihvp.safetensors > piped-matrix.ndjson
            """)
        #expect(try sh.read("fused.log").contains("scores of 90 examples on 3 targets"))
        let piped = try Shell.records(try sh.read("piped.ndjson"))
        let fused = try Shell.records(try sh.read("fused.ndjson"))
        #expect(fused.count == piped.count)
        #expect(fused[0]["type"] as? String == "meta")
        #expect(fused[0]["parameters"] as? String == piped[0]["parameters"] as? String)
        #expect(fused[0]["data"] as? String == piped[0]["data"] as? String)
        for (a, b) in zip(fused.dropFirst(), piped.dropFirst()) {
            let id = a["id"] as! String
            #expect(id == b["id"] as! String && a["task"] as? String == b["task"] as? String)
            for (target, value) in a["scores"] as! [String: Double] {
                let want = expected[id]![target]!
                #expect(abs(value - want) <= 1e-10 * max(abs(want), 1e-300), "\(id) → \(target)")
                #expect(abs(value - ((b["scores"] as! [String: Double])[target]!)) <= 1e-13 * max(abs(want), 1e-300))
            }
        }
        let fusedCells = try Shell.records(try sh.read("fused-matrix.ndjson")).filter { $0["type"] as? String == "relatedness" }
        let pipedCells = try Shell.records(try sh.read("piped-matrix.ndjson")).filter { $0["type"] as? String == "relatedness" }
        #expect(fusedCells.count == 9 && pipedCells.count == 9)
        for (a, b) in zip(fusedCells, pipedCells) {
            let (x, y) = (a["value"] as! Double, b["value"] as! Double)
            #expect(a["source"] as? String == b["source"] as? String && a["target"] as? String == b["target"] as? String)
            #expect(abs(x - y) <= 1e-12 * max(1, abs(y)))
        }

        let half = try sh.run("mtif-influence --params params.safetensors ihvp.safetensors")
        #expect(half.status == 2 && half.stderr.contains("needs both --params and --data"), "\(half.dump)")
        let both = try sh.run("mtif-influence --params params.safetensors --data d/train.ndjson ihvp.safetensors grads.safetensors")
        #expect(both.status == 2 && both.stderr.contains("unexpected argument 'grads.safetensors'"), "\(both.dump)")
        let otherData = try sh.run("mtif-influence --params params.safetensors --data d/val.ndjson ihvp.safetensors > out.ndjson")
        #expect(otherData.status == 2, "\(otherData.dump)")
        #expect(otherData.stderr.contains("not of the training set the Hessian was built on"), "\(otherData.dump)")
        #expect(otherData.stderr.contains("give --data the training file"), "\(otherData.dump)")
        let otherParameters = try sh.run("mtif-influence --params other.safetensors --data d/train.ndjson ihvp.safetensors > out.ndjson")
        #expect(otherParameters.status == 2 && otherParameters.stderr.contains("ihvp.safetensors"), "\(otherParameters.dump)")
        let missing = try sh.run("mtif-influence --params params.safetensors --data nowhere.ndjson ihvp.safetensors")
        #expect(missing.status == 2 && missing.stderr.contains("nowhere.ndjson"), "\(missing.dump)")
    }

    @Test func shardsConcatenateByteForByte() throws {
        let sh = try Shell()
        _ = try InfluenceCLITests.prepare(sh)
        try sh.succeed("""
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > scores.ndjson
            seq 0 2 | xargs -P 3 -I{} sh -c 'mtif-grad -q --shard {}/3 --batch-size 7 params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > part{}.ndjson'
            cat part0.ndjson part1.ndjson part2.ndjson > sharded.ndjson
            cmp sharded.ndjson scores.ndjson
            test "$(grep -c '"type":"meta"' sharded.ndjson)" = 1
            """)
    }

    @Test func refusesGradientsAtOtherParametersOrOfOtherData() throws {
        let sh = try Shell()
        _ = try InfluenceCLITests.prepare(sh)
        try sh.succeed("mtif-grad -q other.safetensors d/train.ndjson -o other-grads.safetensors")
        let mismatch = try sh.run("mtif-influence ihvp.safetensors other-grads.safetensors > out.ndjson")
        #expect(mismatch.status == 2, "\(mismatch.dump)")
        #expect(mismatch.stderr.contains("ihvp.safetensors") && mismatch.stderr.contains("other-grads.safetensors"), "\(mismatch.dump)")
        #expect(mismatch.stderr.contains("hint:"), "\(mismatch.dump)")

        let otherData = try sh.run("mtif-grad -q params.safetensors d/val.ndjson | mtif-influence ihvp.safetensors > out.ndjson")
        #expect(otherData.status == 2, "\(otherData.dump)")
        #expect(otherData.stderr.contains("not of the training set the Hessian was built on"), "\(otherData.dump)")

        let wrongKind = try sh.run("mtif-influence rhs.safetensors ihvp.safetensors")
        #expect(wrongKind.status == 2, "\(wrongKind.dump)")
        #expect(wrongKind.stderr.contains("rhs.safetensors") && wrongKind.stderr.contains("not inverse_hvp"), "\(wrongKind.dump)")

        let unknownTask = try sh.run("""
            sed 's/"task":"t01"/"task":"zz"/' d/train.ndjson > bad.ndjson
            mtif-grad params.safetensors bad.ndjson -o g.safetensors
            """)
        #expect(unknownTask.status == 2, "\(unknownTask.dump)")
        #expect(unknownTask.stderr.contains("zz"), "\(unknownTask.dump)")
        #expect(!sh.exists("g.safetensors") && !sh.exists("g.safetensors.tmp"))
    }

    @Test func closedPipeEndsQuietly() throws {
        let sh = try Shell()
        _ = try InfluenceCLITests.prepare(sh)
        let result = try sh.succeed("mtif-grad params.safetensors d/train.ndjson | mtif-influence ihvp.safetensors | head -1")
        #expect(result.stdout.hasPrefix("{\"type\":\"meta\""), "\(result.dump)")
        #expect(!result.stderr.contains("error"), "\(result.dump)")
    }
}

/// Solves A x = b, (P, P) A, by Gaussian elimination with partial pivoting.
func gaussianSolve(_ a: [Double], _ b: [Double], size p: Int) -> [Double] {
    var a = a, b = b
    for c in 0 ..< p {
        var pivot = c
        for i in c + 1 ..< p where abs(a[i * p + c]) > abs(a[pivot * p + c]) { pivot = i }
        if pivot != c {
            for j in 0 ..< p { a.swapAt(c * p + j, pivot * p + j) }
            b.swapAt(c, pivot)
        }
        for i in c + 1 ..< p {
            let f = a[i * p + c] / a[c * p + c]
            if f == 0 { continue }
            for j in c ..< p { a[i * p + j] -= f * a[c * p + j] }
            b[i] -= f * b[c]
        }
    }
    var x = [Double](repeating: 0, count: p)
    for i in stride(from: p - 1, through: 0, by: -1) {
        var s = b[i]
        for m in i + 1 ..< p { s -= a[i * p + m] * x[m] }
        x[i] = s / a[i * p + i]
    }
    return x
}
