import Foundation
import Shared
import Testing

/// Artefact integrity (issue 6): an interrupted write never replaces a good
/// file, and every tool that combines artefacts refuses a mismatch, saying
/// what to re-run.
@Suite(.serialized) struct ArtefactCLITests {
    /// `awk` writing `n` examples of tasks t01…t03 with `d` features and
    /// labels 0…2, deterministic: a large input made on the fly, never committed.
    static func generator(_ n: Int, features d: Int = 10, seed: Int = 1) -> String {
        """
        awk -v n=\(n) -v d=\(d) 'BEGIN { srand(\(seed)); for (i = 0; i < n; i++) { printf "{\\"id\\":\\"e%d\\",\\"task\\":\\"t0%d\\",\\"x\\":[", i, i % 3 + 1; for (j = 0; j < d; j++) printf "%s%.4f", (j ? "," : ""), rand() * 2 - 1; printf "],\\"y\\":%d}\\n", int(rand() * 3) } }'
        """
    }

    /// kill -9 in the middle of `mtif-grad -o out.safetensors`: the previous,
    /// complete out.safetensors is still there, byte for byte. (The killed
    /// process cannot remove its .out.safetensors.<pid>.<random>.tmp; it is
    /// never reused, since every run creates its own.)
    @Test func killedGradientRunLeavesThePreviousFileIntact() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(ArtefactCLITests.generator(300)) > small.ndjson
            \(ArtefactCLITests.generator(400_000)) > big.ndjson
            mtif-train -q --sharing soft --max-iter 50 --polish none small.ndjson -o params.safetensors
            mtif-grad -q params.safetensors small.ndjson -o out.safetensors
            cp out.safetensors good.safetensors
            """)
        let result = try sh.run("""
            mtif-grad -q params.safetensors big.ndjson -o out.safetensors &
            pid=$!
            for i in $(seq 1 3000); do
              tmp=$(ls -A | grep -E '^\\.out\\.safetensors\\..*\\.tmp$' | head -1 || true)
              if [ -n "$tmp" ] && [ -s "$tmp" ]; then break; fi
              kill -0 $pid 2> /dev/null || break
              sleep 0.01
            done
            test -n "$tmp" && test -s "$tmp" || { echo "no temporary file appeared"; exit 3; }
            kill -9 $pid
            status=0; wait $pid || status=$?
            echo "status $status, partial $(stat -c %s "$tmp") bytes"
            test $status = 137
            cmp out.safetensors good.safetensors
            """)
        #expect(result.status == 0, "\(result.dump)")
        // The survivor is the complete file: it still reads, every row.
        let reader = try VectorFileReader(path: sh.path("out.safetensors"))
        #expect(reader.header.rows.count == 300)
        #expect(try reader.readAllDense().count == 300 * (try reader.header.model().layout.count))
        // A rerun completes and replaces it, with a temporary file of its own
        // (the killed run's is the only one left).
        try sh.succeed("mtif-grad -q params.safetensors small.ndjson -o out.safetensors && cmp out.safetensors good.safetensors && test $(ls -A | grep -cE '^\\.out\\.safetensors\\..*\\.tmp$') = 1")
        try sh.succeed("rm -f big.ndjson")
    }

    /// Every tool that combines artefacts refuses ones that do not belong
    /// together, exit 2, naming the files and what to re-run.
    @Test func mismatchedArtefactsAreRefusedWithWhatToReRun() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 5 --tasks 3 --train 30 --val 12 --test 5 | mtif-data split -q --prefix d/
            mtif-train -q --sharing soft --tol 1e-10 d/train.ndjson -o params.safetensors
            mtif-train -q --sharing soft --tol 1e-10 --lambda 0.02 d/train.ndjson -o other.safetensors
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-grad -q --mean-by-task other.safetensors d/val.ndjson -o rhs-other.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors d/train.ndjson -o grads.safetensors
            mtif-grad -q other.safetensors d/train.ndjson -o grads-other.safetensors
            mtif-influence -q ihvp.safetensors grads.safetensors > scores.ndjson
            """)
        func refused(_ command: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try sh.run(command)
            #expect(result.status == 2, "\(result.dump)", sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(result.stderr.contains(fragment), "missing \(fragment)\n\(result.dump)", sourceLocation: sourceLocation)
            }
        }
        // mtif-influence: gradients at other parameters than the inverse-HVPs.
        try refused("mtif-influence ihvp.safetensors grads-other.safetensors", [
            "grads-other.safetensors was computed at parameters", "ihvp.safetensors at",
            "hint: re-run mtif-grad with params.safetensors",
        ])
        try refused("mtif-grad -q other.safetensors d/train.ndjson | mtif-influence ihvp.safetensors", [
            "standard input was computed at parameters", "hint: re-run mtif-grad with params.safetensors",
        ])
        // mtif-influence: gradients of other data than the Hessian's training set.
        try refused("mtif-grad -q params.safetensors d/val.ndjson | mtif-influence ihvp.safetensors", [
            "not of the training set the Hessian was built on", "hint: re-run mtif-grad on the training file",
        ])
        // mtif-influence: files swapped or of the wrong kind.
        try refused("mtif-influence grads.safetensors ihvp.safetensors", ["grads.safetensors: holds gradients, not inverse_hvp", "hint:"])
        try refused("mtif-influence ihvp.safetensors rhs.safetensors", ["not per-example gradients", "hint: mean gradients are the right-hand sides"])
        // mtif-ihvp: right-hand sides at other parameters; another training set.
        try refused("mtif-ihvp params.safetensors d/train.ndjson rhs-other.safetensors -o x.safetensors", [
            "rhs-other.safetensors was computed at parameters", "hint: re-run mtif-grad --mean-by-task with params.safetensors",
        ])
        try refused("mtif-ihvp params.safetensors d/val.ndjson rhs.safetensors -o x.safetensors", [
            "d/val.ndjson is not the training set of params.safetensors", "hint: the parameters were trained on other data",
        ])
        try refused("mtif-ihvp params.safetensors d/train.ndjson ihvp.safetensors -o x.safetensors", [
            "already holds inverse-HVPs", "hint: give the mean gradients",
        ])
        // mtif-select: scores of another data set.
        try refused("mtif-select --target t01 --fraction 0.1 scores.ndjson d/val.ndjson", [
            "has no score in scores.ndjson", "hint: re-run mtif-grad PARAMS TRAIN | mtif-influence IHVP on this training set",
        ])
        try refused("head -20 d/train.ndjson | mtif-select --target t01 --fraction 0.1 scores.ndjson -", [
            "are not in standard input", "hint: re-run mtif-grad",
        ])
        // mtif-eval compare: effects measured against other parameters than the scores'.
        let excluded = try sh.read("d/train.ndjson").split(separator: "\n")[3]
        let id = try #require((try JSONSerialization.jsonObject(with: Data(excluded.utf8)) as? [String: Any])?["id"] as? String)
        try sh.succeed("""
            echo \(id) > one.txt
            mtif-train -q --sharing soft --tol 1e-10 --lambda 0.02 --init other.safetensors --exclude one.txt d/train.ndjson -o loo-other.safetensors
            mtif-eval --baseline other.safetensors loo-other.safetensors d/val.ndjson > effects-other.ndjson
            mtif-train -q --sharing soft --tol 1e-10 --init params.safetensors --exclude one.txt d/train.ndjson -o loo.safetensors
            mtif-eval --baseline params.safetensors loo.safetensors d/val.ndjson > effects.ndjson
            mtif-eval compare scores.ndjson effects.ndjson > agreement.ndjson
            """)
        try refused("mtif-eval compare scores.ndjson effects-other.ndjson", [
            "effects-other.ndjson:1: field \"baseline\"", "but scores.ndjson was computed at", "hint: re-run mtif-eval --baseline",
        ])
        // Every refusal leaves no output behind.
        #expect(!sh.exists("x.safetensors") && !sh.exists("x.safetensors.tmp"))
    }
}
