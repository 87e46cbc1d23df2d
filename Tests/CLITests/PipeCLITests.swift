import Foundation
import Testing

/// Pipes (issue 6): every tool that writes to stdout ends quietly (exit 0, no
/// stderr) when the reader goes away, fails with exit 1 and a message when the
/// disk is full, and refuses (exit 2, a hint) to wait for data from a terminal.
@Suite(.serialized) struct PipeCLITests {
    /// Enough data that each output is larger than a pipe's buffer, so the
    /// writer really meets EPIPE; and one artefact of every kind.
    static func prepare() throws -> Shell {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 2 --tasks 3 --train 1500 --val 100 --test 1500 | mtif-data split -q --prefix d/
            mtif-train -q --sharing soft d/train.ndjson -o params.safetensors
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors d/train.ndjson -o grads.safetensors
            mtif-influence -q --matrix matrix.ndjson ihvp.safetensors grads.safetensors -o scores.ndjson
            """)
        return sh
    }

    /// One command per tool (and form) that writes data to stdout, each with `-q`.
    static let writers = [
        "mtif-data synth -q --tasks 3 --train 2000",
        "mtif-data sample -q --fraction 0.9 d/train.ndjson",
        "mtif-data standardize -q --fit d/train.ndjson d/train.ndjson",
        "mtif-data stats -q d/train.ndjson",
        "mtif-train -q --sharing soft d/train.ndjson",
        "mtif-eval -q --predictions params.safetensors d/train.ndjson",
        "mtif-eval -q params.safetensors d/test.ndjson",
        "mtif-eval plot heatmap -q matrix.ndjson",
        "mtif-grad -q params.safetensors d/train.ndjson",
        "mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors",
        "mtif-influence -q ihvp.safetensors grads.safetensors",
        "mtif-select -q --target t01 --fraction 0.1 scores.ndjson d/train.ndjson",
    ]

    @Test func closedPipeEndsEveryToolQuietly() throws {
        let sh = try PipeCLITests.prepare()
        for command in PipeCLITests.writers {
            let result = try sh.run("\(command) | head -1 > /dev/null")
            #expect(result.status == 0, "\(result.dump)")
            #expect(result.stderr.isEmpty, "stderr noise\n\(result.dump)")
        }
    }

    @Test func fullDiskIsAnErrorWithAMessage() throws {
        let sh = try PipeCLITests.prepare()
        for command in PipeCLITests.writers {
            let redirected = try sh.run("\(command) > /dev/full")
            #expect(redirected.status == 1, "\(redirected.dump)")
            #expect(redirected.stderr.contains("error: cannot write standard output: No space left on device"), "\(redirected.dump)")
            // -o to a device writes to it directly (no .tmp renamed over /dev/full).
            let named = try sh.run("\(command) -o /dev/full")
            #expect(named.status == 1, "\(named.dump)")
            #expect(named.stderr.contains("error: cannot write /dev/full: No space left on device"), "\(named.dump)")
        }
        // The devices are still devices: nothing was renamed over them.
        try sh.succeed("""
            mtif-eval -q params.safetensors d/test.ndjson -o /dev/null
            test -c /dev/null && test -c /dev/full && test ! -e /dev/full.tmp && test ! -e /dev/null.tmp
            mtif-eval -q params.safetensors d/test.ndjson -o /dev/stdout > via-link.ndjson
            test -L /dev/stdout && test ! -e /dev/stdout.tmp
            mtif-eval -q params.safetensors d/test.ndjson | cmp - via-link.ndjson
            """)
    }

    /// Standard input attached to a terminal (a pty from `script`): a usage
    /// error with a hint, exit 2, at once, instead of waiting for typing.
    @Test func terminalOnStdinIsAUsageErrorNotAHang() throws {
        let sh = try PipeCLITests.prepare()
        guard try sh.run("command -v script && command -v timeout").status == 0 else {
            Issue.record("util-linux 'script' or coreutils 'timeout' is missing: cannot give the tools a terminal")
            return
        }
        let readers = [
            "mtif-data stats", "mtif-data split --prefix out/", "mtif-data sample --count 3",
            "mtif-train -", "mtif-eval params.safetensors -", "mtif-grad params.safetensors -",
            "mtif-ihvp params.safetensors d/train.ndjson - -o x.safetensors", "mtif-influence ihvp.safetensors",
            "mtif-select --target t01 scores.ndjson -",
        ]
        for command in readers {
            // script runs the command on a new pseudo-terminal; -e returns its status.
            let result = try sh.run("timeout 20 script -qec '\(command)' /dev/null < /dev/null")
            #expect(result.status == 2, "\(result.dump)")
            #expect(result.stdout.contains("terminal") && result.stdout.contains("hint:"), "\(result.dump)")
        }
    }
}
