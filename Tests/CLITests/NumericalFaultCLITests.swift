import Foundation
import Shared
import Testing

/// Numerical faults (issue 6): a solver or trainer that meets NaN or Inf stops
/// with exit 1, a `hint:` line and no output file; training that stops short
/// says so and records it; scores computed far from a stationary point warn.
@Suite(.serialized) struct NumericalFaultCLITests {
    /// Synthetic data in d/, a hard-sharing MLP trained tightly (mlp.safetensors)
    /// and its validation mean gradients (rhs.safetensors).
    static func prepare() throws -> Shell {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 3 --tasks 3 --features 5 --train 30 --val 15 --test 5 | mtif-data split -q --prefix d/
            mtif-train -q --hidden 6 --tol 1e-10 d/train.ndjson -o mlp.safetensors
            mtif-grad -q --mean-by-task mlp.safetensors d/val.ndjson -o rhs.safetensors
            """)
        return sh
    }

    /// Either a clean, finite result, or a non-zero exit with no file (and, for
    /// a computation failure, a hint).
    static func expectFiniteOrNothing(_ sh: Shell, _ result: Shell.Result, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(!sh.exists(name + ".tmp"), "\(result.dump)", sourceLocation: sourceLocation)
        if result.status == 0 {
            let reader = try VectorFileReader(path: sh.path(name))
            let rows = try reader.readAllDense()
            let finite = !rows.isEmpty && rows.allSatisfy { $0.isFinite }
            #expect(finite, "\(name) holds NaN or Inf\n\(result.dump)", sourceLocation: sourceLocation)
        } else {
            #expect(!sh.exists(name), "a failed run left \(name)\n\(result.dump)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains("error:"), "\(result.dump)", sourceLocation: sourceLocation)
            if result.status == 1 { #expect(result.stderr.contains("hint:"), "\(result.dump)", sourceLocation: sourceLocation) }
        }
    }

    /// Scales far too small, about right and absurdly large, against damping
    /// 0, tiny, usual, huge and negative: never a file with NaN or Inf in it.
    @Test func lissaSweepOfScaleAndDampingNeverWritesNonFiniteNumbers() throws {
        let sh = try NumericalFaultCLITests.prepare()
        var outcomes: [String: Int32] = [:]
        for scale in ["1e-9", "0.001", "0.5", "default", "1e12"] {
            for damping in ["0", "1e-12", "0.01", "1e6", "-0.01"] {
                let name = "out-\(scale)-\(damping).safetensors"
                let result = try sh.run("""
                    mtif-ihvp -q --solver lissa --depth 200 \(scale == "default" ? "" : "--scale \(scale)") --damping=\(damping) \
                      mlp.safetensors d/train.ndjson rhs.safetensors -o \(name)
                    """)
                try NumericalFaultCLITests.expectFiniteOrNothing(sh, result, name)
                outcomes["\(scale)/\(damping)"] = result.status
                if damping.hasPrefix("-") {
                    #expect(result.status == 2 && result.stderr.contains("--damping must be ≥ 0"), "\(result.dump)")
                }
            }
        }
        // The sweep exercised both sides: divergence caught (exit 1) and clean results.
        #expect(outcomes["1e-9/0.01"] == 1 && outcomes["0.001/1e6"] == 1, "\(outcomes)")
        #expect(outcomes["default/0.01"] == 0 && outcomes["1e12/0.01"] == 0, "\(outcomes)")
    }

    /// Right-hand sides near the largest Double: every solver either writes
    /// finite numbers or stops with exit 1, a hint, and no file.
    @Test(arguments: ["exact", "cg", "bcg", "lissa"])
    func overflowingRightHandSidesStopTheSolver(solver: String) throws {
        let sh = try NumericalFaultCLITests.prepare()
        let reader = try VectorFileReader(path: sh.path("rhs.safetensors"))
        let rows = try reader.readAllDense().map { $0 * 1e306 }
        var header = reader.header
        header.layout = .dense
        let writer = try VectorFileWriter(path: sh.path("huge.safetensors"), header: header)
        try writer.append(rows)
        try writer.commit()
        let result = try sh.run("mtif-ihvp -q --solver \(solver) mlp.safetensors d/train.ndjson huge.safetensors -o out.safetensors")
        #expect(result.status == 1, "\(result.dump)")
        try NumericalFaultCLITests.expectFiniteOrNothing(sh, result, "out.safetensors")
    }

    /// Regression targets near the largest Double overflow the squared error:
    /// L-BFGS and Adam stop with exit 1 and a hint, and no parameter file is left.
    @Test(arguments: ["lbfgs", "adam"])
    func nonFiniteTrainingStopsWithAHint(optimizer: String) throws {
        let sh = try Shell()
        try sh.write("huge.ndjson", (0 ..< 12).map { i in
            "{\"id\":\"e\(i)\",\"task\":\"t\(i % 2)\",\"x\":[0.5,-1.0,\(i)],\"y\":1.5e308}"
        }.joined(separator: "\n") + "\n")
        let result = try sh.run("mtif-train -q --optimizer \(optimizer) --hidden 4 huge.ndjson -o p.safetensors")
        #expect(result.status == 1, "\(result.dump)")
        #expect(result.stderr.contains("not finite (NaN or Inf)") && result.stderr.contains("hint: "), "\(result.dump)")
        #expect(!sh.exists("p.safetensors") && !sh.exists("p.safetensors.tmp"))
    }

    /// A learning rate that blows Adam up ends the same way, never in a file of NaN.
    @Test func adamWithAHugeStepStopsOrStaysFinite() throws {
        let sh = try Shell()
        try sh.succeed("mkdir -p d && mtif-data synth -q --tasks 2 --train 40 --val 2 --test 2 | mtif-data split -q --prefix d/")
        let result = try sh.run("mtif-train -q --optimizer adam --learning-rate 1e300 --epochs 5 d/train.ndjson -o p.safetensors")
        if result.status == 0 {
            let file = try ParameterFile.read(path: sh.path("p.safetensors"))
            let finite = file.parameters.allSatisfy { $0.isFinite }
            #expect(finite, "\(result.dump)")
        } else {
            #expect(result.status == 1 && result.stderr.contains("hint:"), "\(result.dump)")
            #expect(!sh.exists("p.safetensors") && !sh.exists("p.safetensors.tmp"))
        }
    }

    /// Training cut short says so on stderr and in the parameter metadata; the
    /// tools downstream warn that the scores rest on a non-stationary point,
    /// and stay silent about it for a converged model.
    @Test func unconvergedTrainingIsRecordedAndWarnedAboutDownstream() throws {
        let sh = try NumericalFaultCLITests.prepare()
        let short = try sh.succeed("""
            mtif-train --sharing soft --max-iter 2 --polish none d/train.ndjson -o short.safetensors
            """)
        #expect(short.stderr.contains("warning: training stopped (max_iterations)"), "\(short.dump)")
        let file = try ParameterFile.read(path: sh.path("short.safetensors"))
        let training = try JSONSerialization.jsonObject(with: Data(file.metadata["training"]!.utf8)) as! [String: Any]
        #expect(training["converged"] as? Bool == false)
        #expect(training["stop"] as? String == "max_iterations")
        #expect((training["gradient_norm"] as! Double) > 1e-5)

        let downstream = try sh.succeed("""
            mtif-grad -q --mean-by-task short.safetensors d/val.ndjson -o rhs-short.safetensors
            mtif-ihvp -q short.safetensors d/train.ndjson rhs-short.safetensors -o ihvp-short.safetensors 2> ihvp.log
            mtif-grad -q short.safetensors d/train.ndjson | mtif-influence -q ihvp-short.safetensors > scores.ndjson
            """)
        for (tool, log) in [("mtif-ihvp", try sh.read("ihvp.log")), ("mtif-influence", downstream.stderr)] {
            #expect(log.contains("\(tool): warning: short.safetensors: training did not converge"), "\(tool): \(log)")
            #expect(log.contains("far from a stationary point"), "\(tool): \(log)")
        }
        // The gradient file carries the training record that travels with the fingerprints.
        try sh.succeed("mtif-grad -q short.safetensors d/train.ndjson -o g.safetensors")
        let trained = try #require(try VectorFileReader(path: sh.path("g.safetensors")).header.extra["trained"])
        #expect(trained.contains("\"converged\":false"))

        let converged = try sh.succeed("""
            mtif-ihvp -q --damping 0.1 mlp.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q mlp.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > scores-ok.ndjson
            """)
        #expect(!converged.stderr.contains("stationary"), "\(converged.dump)")
    }
}
