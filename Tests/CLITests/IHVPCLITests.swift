import Foundation
import Shared
import Testing

/// mtif-ihvp end to end: data and parameters from the built tools, the
/// right-hand sides ∇V_k written here (mtif-grad's format), every solver
/// against the exact one, and the refusals.
@Suite(.serialized) struct IHVPCLITests {
    /// Synthetic data split into d/, a strictly convex model (params.safetensors)
    /// and a hard-sharing MLP (mlp.safetensors), both trained tightly.
    static func prepare() throws -> Shell {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth --seed 3 --tasks 3 --features 5 --train 30 --val 15 --test 5 | mtif-data split --prefix d/ -q
            mtif-train -q --sharing soft --tol 1e-10 d/train.ndjson -o params.safetensors
            mtif-train -q --hidden 6 --tol 1e-10 d/train.ndjson -o mlp.safetensors
            """)
        return sh
    }

    /// Writes the per-task validation mean gradients ∇V_k at `parameters` (no Ω).
    static func writeMeanGradients(
        _ sh: Shell, parameters: String, validation: String, to name: String, layout: RowLayout = .dense
    ) throws {
        let file = try ParameterFile.read(path: sh.path(parameters))
        let model = try makeModel(file.architecture)
        let examples = try ExampleReader.readAll(path: sh.path(validation))
        let batch = try TaskBatch(examples, schema: file.schema, file: validation)
        let tasks = file.architecture.tasks
        let header = VectorFileHeader(
            kind: .meanGradients, layout: layout, rows: tasks.map { RowIdentity(id: $0, task: $0) }, at: file,
            dataFingerprint: Fingerprint.of(examples))
        let writer = try VectorFileWriter(path: sh.path(name), header: header)
        let blocks = TaskBlockLayout(architecture: file.architecture, layout: model.layout)
        for (k, range) in batch.taskRanges.enumerated() {
            var g = [Double](repeating: 0, count: model.layout.count)
            _ = model.objective(file.parameters, batch.subset(Array(range)), regularized: false, gradient: &g)
            if layout == .dense {
                try writer.append(g)
            } else {
                var compact = [Double](repeating: 0, count: blocks.width)
                g.withUnsafeBufferPointer { g in
                    compact.withUnsafeMutableBufferPointer { blocks.compact(g.baseAddress!, task: k, into: $0.baseAddress!) }
                }
                try writer.append(compact)
            }
        }
        try writer.commit()
    }

    static func read(_ sh: Shell, _ name: String) throws -> (header: VectorFileHeader, rows: [Double]) {
        let reader = try VectorFileReader(path: sh.path(name))
        return (reader.header, try reader.readAllDense())
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        var d = 0.0, n = 0.0
        for (x, y) in zip(a, b) { d += (x - y) * (x - y); n += y * y }
        return (d / max(n, 1e-300)).squareRoot()
    }

    static func solverMetadata(_ header: VectorFileHeader) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(header.extra["solver"]!.utf8)) as! [String: Any]
    }

    @Test(arguments: ["params.safetensors", "mlp.safetensors"])
    func everySolverAgreesWithExact(parameters: String) throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: parameters, validation: "d/val.ndjson", to: "rhs.safetensors")
        try sh.succeed("""
            mtif-ihvp -q --solver exact \(parameters) d/train.ndjson rhs.safetensors -o exact.safetensors
            mtif-ihvp -q --solver cg \(parameters) d/train.ndjson rhs.safetensors -o cg.safetensors
            mtif-ihvp -q --solver bcg \(parameters) d/train.ndjson rhs.safetensors -o bcg.safetensors
            mtif-ihvp --solver lissa \(parameters) d/train.ndjson - -o lissa.safetensors < rhs.safetensors 2> lissa.log
            mtif-ihvp -q --solver auto \(parameters) d/train.ndjson rhs.safetensors -o auto.safetensors
            mtif-ihvp -q --solver auto --accuracy 1e-6 \(parameters) d/train.ndjson rhs.safetensors -o auto6.safetensors
            mtif-ihvp -q --solver cg --products f32 \(parameters) d/train.ndjson rhs.safetensors -o cg32.safetensors
            mtif-ihvp -q --solver auto --products f64 \(parameters) d/train.ndjson rhs.safetensors -o auto64.safetensors
            """)
        let exact = try IHVPCLITests.read(sh, "exact.safetensors")
        let cg = try IHVPCLITests.read(sh, "cg.safetensors")
        let lissa = try IHVPCLITests.read(sh, "lissa.safetensors")
        let rhs = try VectorFileReader(path: sh.path("rhs.safetensors")).header
        for output in [exact, cg, lissa] {
            #expect(output.header.kind == .inverseHVP)
            #expect(output.header.layout == .dense)
            #expect(output.header.rows == rhs.rows)
            #expect(output.header.dataFingerprint == rhs.dataFingerprint)
            #expect(output.header.parametersFingerprint == rhs.parametersFingerprint)
            #expect(output.header.extra["tool"] == "mtif-ihvp")
            #expect(output.header.extra["training"] != nil)
            #expect(output.header.extra["arguments"]?.contains("--solver") == true)
        }
        let cgError = IHVPCLITests.relativeError(cg.rows, exact.rows)
        let bcg = try IHVPCLITests.read(sh, "bcg.safetensors")
        let bcgError = IHVPCLITests.relativeError(bcg.rows, exact.rows)
        print("measured: mtif-ihvp on \(parameters): bcg vs exact \(bcgError)")
        #expect(bcgError <= 1e-6)
        let bcgMeta = try IHVPCLITests.solverMetadata(bcg.header)
        #expect(bcgMeta["name"] as? String == "bcg" && (bcgMeta["block_sizes"] as? [Int])?.first == 3)
        #expect((bcgMeta["residuals"] as? [Double])?.allSatisfy { $0 <= 1e-7 } == true)
        let lissaError = IHVPCLITests.relativeError(lissa.rows, exact.rows)
        print("measured: mtif-ihvp on \(parameters): cg vs exact \(cgError), lissa (defaults) vs exact \(lissaError)")
        #expect(cgError <= 1e-6)
        #expect(lissaError <= 1e-3)
        let meta = try IHVPCLITests.solverMetadata(lissa.header)
        #expect(meta["name"] as? String == "lissa")
        #expect(meta["depth_rule"] as? String == "auto")
        #expect(meta["accuracy"] as? Double == 1e-3)
        #expect((meta["depth"] as? Int ?? 0) > 0)
        #expect(meta["accuracy_met"] as? Bool != nil)
        #expect((meta["error_bounds"] as? [Any])?.count == 3)
        #expect((meta["scale"] as? Double ?? 0) > 0)
        #expect((meta["lambda_max"] as? Double ?? 0) > 0)
        #expect(meta["damping"] as? Double == (parameters == "mlp.safetensors" ? 0.01 : 0))
        #expect((meta["wall_seconds"] as? Double) != nil)
        let cgMeta = try IHVPCLITests.solverMetadata(cg.header)
        #expect((cgMeta["iterations"] as? [Int])?.count == 3)
        #expect((cgMeta["residuals"] as? [Double])?.allSatisfy { $0 <= 1e-8 } == true)
        #expect(try sh.read("lissa.log").contains("lissa done"))

        // --solver auto: bcg to --accuracy/4, within the accuracy of exact; the report says auto chose it.
        for (file, accuracy) in [("auto.safetensors", 1e-3), ("auto6.safetensors", 1e-6)] {
            let auto = try IHVPCLITests.read(sh, file)
            let error = IHVPCLITests.relativeError(auto.rows, exact.rows)
            print("measured: mtif-ihvp --solver auto --accuracy \(accuracy) on \(parameters): error \(error) against exact")
            #expect(error <= accuracy, "\(file)")
            let meta = try IHVPCLITests.solverMetadata(auto.header)
            #expect(meta["name"] as? String == "bcg" && meta["selected_by"] as? String == "auto")
            #expect(meta["accuracy"] as? Double == accuracy && meta["tolerance"] as? Double == accuracy / 4)
        }
        // Float32 products: the solutions move by Float rounding (not zero, far below the accuracies).
        // auto takes f32 products at 1e-3 (not at 1e-6, nor when told f64).
        let cg32 = try IHVPCLITests.read(sh, "cg32.safetensors")
        let cg32Error = IHVPCLITests.relativeError(cg32.rows, exact.rows)
        print("measured: mtif-ihvp --products f32 on \(parameters): cg \(cg32Error) against exact")
        #expect(cg32Error <= 1e-5 && cg32.rows != cg.rows, "cg f32: \(cg32Error)")
        let products = try ["cg32", "cg", "auto", "auto6", "auto64"].map {
            try IHVPCLITests.solverMetadata(IHVPCLITests.read(sh, "\($0).safetensors").header)["products"] as? String
        }
        #expect(products == ["f32", nil, "f32", nil, nil])
        let half = try sh.run("mtif-ihvp --products f16 \(parameters) d/train.ndjson rhs.safetensors -o x.safetensors")
        #expect(half.status == 2 && half.stderr.contains("--products") && half.stderr.contains("f16"), "\(half.dump)")
        let both = try sh.run("mtif-ihvp --solver auto --tol 1e-3 \(parameters) d/train.ndjson rhs.safetensors -o x.safetensors")
        #expect(both.status == 2 && both.stderr.contains("--solver auto sets its tolerance from --accuracy"), "\(both.dump)")
    }

    @Test func taskBlockRightHandSidesGiveTheSameSolutions() throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: "mlp.safetensors", validation: "d/val.ndjson", to: "dense.safetensors")
        try IHVPCLITests.writeMeanGradients(
            sh, parameters: "mlp.safetensors", validation: "d/val.ndjson", to: "blocks.safetensors", layout: .taskBlock)
        try sh.succeed("""
            mtif-ihvp -q mlp.safetensors d/train.ndjson dense.safetensors -o a.safetensors
            mtif-ihvp -q mlp.safetensors d/train.ndjson blocks.safetensors -o b.safetensors
            """)
        #expect(try IHVPCLITests.read(sh, "a.safetensors").rows == IHVPCLITests.read(sh, "b.safetensors").rows)
    }

    /// pcg reaches the exact answer; ekfac reuses the factors pcg wrote; factors
    /// fitted at another model, or a damaged file, are refused naming the file.
    @Test func ekfacFactorsAreKeptAndPcgMatchesExact() throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: "mlp.safetensors", validation: "d/val.ndjson", to: "rhs.safetensors")
        try sh.succeed("""
            mtif-ihvp -q --solver exact mlp.safetensors d/train.ndjson rhs.safetensors -o exact.safetensors
            mtif-ihvp -q --solver pcg --tol 1e-12 --factors f.safetensors mlp.safetensors d/train.ndjson rhs.safetensors -o pcg.safetensors
            """)
        #expect(sh.exists("f.safetensors"))
        let exact = try IHVPCLITests.read(sh, "exact.safetensors").rows
        let pcg = try IHVPCLITests.read(sh, "pcg.safetensors")
        #expect(pcg.header.rows.count == 3)
        #expect(IHVPCLITests.relativeError(pcg.rows, exact) <= 1e-8)
        let reused = try sh.succeed("mtif-ihvp --solver ekfac --factors f.safetensors mlp.safetensors d/train.ndjson rhs.safetensors -o ekfac.safetensors")
        #expect(reused.stderr.contains("ekfac: factors read from f.safetensors"), "\(reused.dump)")
        let ekfac = try IHVPCLITests.read(sh, "ekfac.safetensors").rows
        let error = IHVPCLITests.relativeError(ekfac, exact)
        #expect(ekfac.count == exact.count && error.isFinite && error > 1e-6, "ekfac vs exact \(error)")
        try IHVPCLITests.writeMeanGradients(sh, parameters: "params.safetensors", validation: "d/val.ndjson", to: "rhs-soft.safetensors")
        let other = try sh.run("mtif-ihvp --solver ekfac --factors f.safetensors params.safetensors d/train.ndjson rhs-soft.safetensors -o other.safetensors")
        #expect(other.status == 2 && other.stderr.contains("f.safetensors"), "\(other.dump)")
        #expect(!sh.exists("other.safetensors"))
        try sh.write("bad.safetensors", "garbage\n")
        let bad = try sh.run("mtif-ihvp --solver pcg --factors bad.safetensors mlp.safetensors d/train.ndjson rhs.safetensors -o bad-out.safetensors")
        #expect(bad.status == 2 && bad.stderr.contains("mtif-ihvp: error: bad.safetensors"), "\(bad.dump)")
        #expect(!sh.exists("bad-out.safetensors"))
    }

    @Test func rightHandSidesFromOtherParametersAreRefused() throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: "mlp.safetensors", validation: "d/val.ndjson", to: "rhs.safetensors")
        let result = try sh.run("mtif-ihvp params.safetensors d/train.ndjson rhs.safetensors -o out.safetensors")
        #expect(result.status == 2, "\(result.dump)")
        #expect(result.stderr.contains("mtif-ihvp: error: rhs.safetensors was computed at parameters"), "\(result.dump)")
        #expect(result.stderr.contains("hint: re-run mtif-grad --mean-by-task with params.safetensors"), "\(result.dump)")
        #expect(!sh.exists("out.safetensors"))
    }

    @Test func anotherTrainingSetIsRefused() throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: "params.safetensors", validation: "d/val.ndjson", to: "rhs.safetensors")
        try sh.succeed("sed '$d' d/train.ndjson > short.ndjson")
        let result = try sh.run("mtif-ihvp params.safetensors short.ndjson rhs.safetensors -o out.safetensors")
        #expect(result.status == 2, "\(result.dump)")
        #expect(result.stderr.contains("short.ndjson is not the training set of params.safetensors"), "\(result.dump)")
        #expect(result.stderr.contains("hint: the parameters were trained on other data"), "\(result.dump)")
        #expect(!sh.exists("out.safetensors"))
    }

    @Test func exactAboveTheSizeLimitIsRefused() throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: "mlp.safetensors", validation: "d/val.ndjson", to: "rhs.safetensors")
        let result = try sh.run(
            "mtif-ihvp --solver exact --max-params 50 mlp.safetensors d/train.ndjson rhs.safetensors -o out.safetensors")
        #expect(result.status == 2, "\(result.dump)")
        #expect(result.stderr.contains("above the limit of 50"), "\(result.dump)")
        #expect(result.stderr.contains("hint: use --solver cg"), "\(result.dump)")
    }

    @Test func lissaDivergenceExitsOneAndWritesNothing() throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: "params.safetensors", validation: "d/val.ndjson", to: "rhs.safetensors")
        let result = try sh.run(
            "mtif-ihvp --solver lissa --scale 0.001 params.safetensors d/train.ndjson rhs.safetensors -o out.safetensors")
        #expect(result.status == 1, "\(result.dump)")
        #expect(result.stderr.contains("lissa diverged"), "\(result.dump)")
        #expect(result.stderr.contains("hint: raise --scale to at least"), "\(result.dump)")
        #expect(!sh.exists("out.safetensors"))
        #expect(!sh.exists("out.safetensors.tmp"))
    }

    @Test func lissaRepeatsRecordTheSpread() throws {
        let sh = try IHVPCLITests.prepare()
        try IHVPCLITests.writeMeanGradients(sh, parameters: "mlp.safetensors", validation: "d/val.ndjson", to: "rhs.safetensors")
        try sh.succeed("""
            mtif-ihvp -q --solver lissa --repeats 3 --batch-size 30 --depth 300 --seed 4 mlp.safetensors d/train.ndjson rhs.safetensors -o a.safetensors 2> warn.log
            mtif-ihvp -q --solver lissa --repeats 3 --batch-size 30 --depth 300 --seed 4 mlp.safetensors d/train.ndjson rhs.safetensors -o b.safetensors 2> /dev/null
            """)
        let a = try IHVPCLITests.read(sh, "a.safetensors"), b = try IHVPCLITests.read(sh, "b.safetensors")
        #expect(a.rows == b.rows)
        let meta = try IHVPCLITests.solverMetadata(a.header)
        let spread = try #require(meta["spread"] as? [Double])
        #expect(spread.count == 3 && spread.allSatisfy { $0 > 0 })
        #expect(meta["seed"] as? Int == 4)
        #expect(meta["batch_size"] as? Int == 30)
        // Depth 300 against s/δ in the hundreds: the tool says how much error remains.
        #expect(try sh.read("warn.log").contains("warning: lissa: --depth 300 is short for s/μ"))
    }
}
