import Foundation
import Shared
import Testing

/// Issue 14: what a hostile user found beyond the corpus — concurrent and
/// planted outputs, failed runs, provenance that went unchecked, ids and
/// labels, extreme numbers and resources. Each test runs the release tools.
@Suite(.serialized) struct HardeningCLITests {
    /// Temporary outputs left in the directory: `.NAME.<pid>.<random>.tmp` or the old `NAME.tmp`.
    static let leftovers = "ls -A | grep -E '(^\\..*\\.tmp$)|(\\.tmp$)' || true"

    static let data = """
        mkdir -p d
        mtif-data synth -q --seed 5 --tasks 3 --features 4 --train 20 --val 8 --test 4 | mtif-data split -q --prefix d/
        mtif-train -q --hidden 3 --max-iter 200 d/train.ndjson -o params.safetensors
        """

    // MARK: output files

    /// Two runs writing the same -o at once, ten times over: each either
    /// succeeds or fails cleanly, and the file left is one run's complete
    /// output, never a mix; no temporary file is left. (Before: both shared
    /// out.tmp, one failed and the survivor was often the failed run's or a mix.)
    @Test func concurrentRunsOnOneOutputLeaveOneCompleteFile() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            \(ArtefactCLITests.generator(20_000, seed: 1)) > a.ndjson
            \(ArtefactCLITests.generator(20_000, seed: 2)) > b.ndjson
            mtif-train -q --sharing soft --max-iter 20 --polish none a.ndjson -o p.safetensors
            mtif-grad -q p.safetensors a.ndjson -o ga.safetensors
            mtif-grad -q p.safetensors b.ndjson -o gb.safetensors
            """)
        let result = try sh.run("""
            for i in $(seq 1 10); do
              sa=0; sb=0
              mtif-grad -q p.safetensors a.ndjson -o out.safetensors 2> ea.txt & pa=$!
              mtif-grad -q p.safetensors b.ndjson -o out.safetensors 2> eb.txt & pb=$!
              wait $pa || sa=$?; wait $pb || sb=$?
              for s in $sa $sb; do if [ $s -ne 0 ] && [ $s -ne 1 ]; then echo "round $i: status $s"; exit 3; fi; done
              if [ $sa -ne 0 ] && [ $sb -ne 0 ]; then echo "round $i: both failed"; cat ea.txt eb.txt; exit 3; fi
              cmp -s out.safetensors ga.safetensors || cmp -s out.safetensors gb.safetensors || { echo "round $i: a mix"; exit 4; }
              left=$(\(HardeningCLITests.leftovers)); [ -z "$left" ] || { echo "round $i: left $left"; exit 5; }
            done
            """)
        #expect(result.status == 0, "\(result.dump)")
    }

    /// A symlink planted at the old temporary name or at the target is never
    /// followed: its target keeps its bytes and -o ends as a regular file.
    @Test func plantedSymlinksAreNotFollowed() throws {
        let sh = try Shell()
        try sh.succeed(HardeningCLITests.data)
        let result = try sh.run("""
            echo precious > victim.txt
            ln -s victim.txt out.safetensors.tmp
            mtif-grad -q params.safetensors d/train.ndjson -o out.safetensors
            test "$(cat victim.txt)" = precious || { echo "victim overwritten through out.safetensors.tmp"; exit 3; }
            test -f out.safetensors && test ! -L out.safetensors
            ln -s victim.txt scores.ndjson
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-influence -q ihvp.safetensors out.safetensors -o scores.ndjson
            test "$(cat victim.txt)" = precious || { echo "victim overwritten through scores.ndjson"; exit 4; }
            test -f scores.ndjson && test ! -L scores.ndjson && grep -q '"type":"score"' scores.ndjson
            # The dangling link of a previous victim is never followed either.
            rm victim.txt; ln -sf /nonexistent/x out2.safetensors.tmp
            mtif-grad -q params.safetensors d/train.ndjson -o out2.safetensors
            test ! -e /nonexistent/x && test -f out2.safetensors
            """)
        #expect(result.status == 0, "\(result.dump)")
    }

    /// A run that fails replaces none of its outputs: mtif-select with
    /// --report naming a directory exits non-zero and k.ndjson keeps its
    /// old bytes (before: k.ndjson was overwritten, then the report failed).
    @Test func failedRunReplacesNoOutput() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > scores.ndjson
            echo old > k.ndjson; echo old > gone.txt; mkdir rep
            """)
        let result = try sh.run("mtif-select --target t01 --fraction 0.5 --dropped-ids gone.txt --report rep scores.ndjson d/train.ndjson -o k.ndjson")
        #expect(result.status == 1 || result.status == 2, "\(result.dump)")
        #expect(result.stderr.contains("rep"), "\(result.dump)")
        #expect(try sh.read("k.ndjson") == "old\n")
        #expect(try sh.read("gone.txt") == "old\n")
        #expect(try sh.run(HardeningCLITests.leftovers).stdout.isEmpty)
        // The same run with a file for --report replaces all three together.
        try sh.succeed("mtif-select -q --target t01 --fraction 0.5 --dropped-ids gone.txt --report rep.ndjson scores.ndjson d/train.ndjson -o k.ndjson")
        #expect(try sh.read("k.ndjson") != "old\n" && sh.exists("rep.ndjson"))
    }

    /// SIGTERM and SIGINT in the middle of -o: the process dies of the signal
    /// (143, 130), its temporary file is removed, the previous output stays.
    @Test func signalsRemoveTheTemporaryFile() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(ArtefactCLITests.generator(300)) > small.ndjson
            \(ArtefactCLITests.generator(300_000)) > big.ndjson
            mtif-train -q --sharing soft --max-iter 50 --polish none small.ndjson -o params.safetensors
            mtif-grad -q params.safetensors small.ndjson -o out.safetensors
            cp out.safetensors good.safetensors
            """)
        for (signal, status) in [("TERM", 143), ("INT", 130)] {
            // set -m: job control, so bash does not start the background job
            // with SIGINT ignored (a tool keeps an ignored SIGINT ignored).
            let result = try sh.run("""
                set -m
                mtif-grad -q params.safetensors big.ndjson -o out.safetensors &
                pid=$!
                for i in $(seq 1 3000); do
                  if ls -A | grep -qE '^\\.out\\.safetensors\\..*\\.tmp$'; then break; fi
                  kill -0 $pid 2> /dev/null || break
                  sleep 0.01
                done
                ls -A | grep -qE '^\\.out\\.safetensors\\..*\\.tmp$' || { echo "no temporary file appeared"; exit 3; }
                kill -\(signal) $pid
                status=0; wait $pid || status=$?
                echo "status $status"
                test $status = \(status)
                left=$(\(HardeningCLITests.leftovers)); [ -z "$left" ] || { echo "left behind: $left"; exit 4; }
                cmp out.safetensors good.safetensors
                """)
            #expect(result.status == 0, "\(signal)\n\(result.dump)")
        }
        try sh.succeed("rm -f big.ndjson")
    }

    // MARK: provenance

    /// DATA rewritten in place while mtif-grad reads it the second time (same
    /// ids and tasks, another feature value on the last line): exit 1 and no
    /// output, never the first read's fingerprint over the new rows.
    @Test func dataChangedBetweenGradientReadsIsRefused() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(ArtefactCLITests.generator(300)) > small.ndjson
            mtif-train -q --sharing soft --max-iter 50 --polish none small.ndjson -o params.safetensors
            { \(ArtefactCLITests.generator(300_000)); echo '{"id":"last","task":"t01","x":[0.5000,0,0,0,0,0,0,0,0,0],"y":1}'; } > big.ndjson
            """)
        let result = try sh.run("""
            size=$(stat -c %s big.ndjson)
            offset=$((size - $(tail -1 big.ndjson | wc -c) + $(tail -1 big.ndjson | grep -bo '0.5000' | cut -d: -f1)))
            mtif-grad -q params.safetensors big.ndjson -o out.safetensors 2> err.txt &
            pid=$!
            for i in $(seq 1 3000); do
              if ls -A | grep -qE '^\\.out\\.safetensors\\..*\\.tmp$'; then break; fi
              kill -0 $pid 2> /dev/null || break
              sleep 0.005
            done
            printf '0.7' | dd of=big.ndjson bs=1 seek=$offset conv=notrunc 2> /dev/null
            tail -1 big.ndjson
            status=0; wait $pid || status=$?
            cat err.txt
            echo "status $status"
            test $status = 1 && test ! -e out.safetensors && grep -q 'changed while it was being read' err.txt
            """)
        #expect(result.status == 0, "\(result.dump)")
        try sh.succeed("rm -f big.ndjson")
    }

    /// Scores carry the data fingerprint; mtif-select refuses them for a
    /// training set with the same ids but other features.
    @Test func selectRefusesScoresOfAnotherDataSet() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > scores.ndjson
            head -1 scores.ndjson | grep -q '"data":"'
            sed '3s/"x":\\[/"x":[1e3,/; 3s/\\[1e3,[^,]*,/[1e3,/' d/train.ndjson > other.ndjson
            ! cmp -s other.ndjson d/train.ndjson
            mtif-select -q --target t01 --fraction 0.1 scores.ndjson d/train.ndjson > /dev/null
            """)
        let result = try sh.run("mtif-select --target t01 --fraction 0.1 scores.ndjson other.ndjson")
        #expect(result.status == 2, "\(result.dump)")
        #expect(result.stderr.contains("scores.ndjson:1: field \"data\": the scores are of training data"), "\(result.dump)")
        #expect(result.stdout.isEmpty)
    }

    /// An edited n_k in a parameter file is refused by grad and ihvp; gradient
    /// and inverse-HVP files that disagree on n_k are refused by mtif-influence.
    @Test func editedTaskCountsAreRefused() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors d/train.ndjson -o grads.safetensors
            n=$(grep -c '"task":"t01"' d/train.ndjson)
            LC_ALL=C sed 's/\\\\"count\\\\":'$n',/\\\\"count\\\\":'$((n + 1))',/' params.safetensors > edited.safetensors
            LC_ALL=C sed 's/\\\\"count\\\\":'$n',/\\\\"count\\\\":'$((n + 1))',/' grads.safetensors > grads-edited.safetensors
            ! cmp -s params.safetensors edited.safetensors && ! cmp -s grads.safetensors grads-edited.safetensors
            """)
        let grad = try sh.run("mtif-grad params.safetensors d/train.ndjson > /dev/null && mtif-grad edited.safetensors d/train.ndjson -o g2.safetensors")
        #expect(grad.status == 2 && grad.stderr.contains("edited.safetensors: metadata \"checksum\" does not match"), "\(grad.dump)")
        let ihvp = try sh.run("mtif-ihvp edited.safetensors d/train.ndjson rhs.safetensors -o i2.safetensors")
        #expect(ihvp.status == 2 && ihvp.stderr.contains("checksum"), "\(ihvp.dump)")
        let influence = try sh.run("mtif-influence ihvp.safetensors grads-edited.safetensors")
        #expect(influence.status == 2 && influence.stderr.contains("disagree on task \"t01\": n_k ="), "\(influence.dump)")
        #expect(influence.stdout.isEmpty)
    }

    /// mtif-eval --baseline refuses a "retrain" of another architecture.
    @Test func effectsRefuseAnotherArchitecture() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            head -1 d/train.ndjson | sed 's/.*"id":"\\([^"]*\\)".*/\\1/' > one.txt
            mtif-train -q --hidden 3 --max-iter 200 --init params.safetensors --exclude one.txt d/train.ndjson -o loo.safetensors
            mtif-train -q --hidden 4 --max-iter 200 --exclude one.txt d/train.ndjson -o wide.safetensors
            mtif-train -q --hidden 3 --lambda 0.5 --max-iter 200 --exclude one.txt d/train.ndjson -o stiff.safetensors
            mtif-eval --baseline params.safetensors loo.safetensors d/val.ndjson > effects.ndjson
            """)
        for (file, fragment) in [("wide", "hidden [3] vs [4]"), ("stiff", "lambda 0.01 vs 0.5")] {
            let result = try sh.run("mtif-eval --baseline params.safetensors \(file).safetensors d/val.ndjson")
            #expect(result.status == 2, "\(result.dump)")
            #expect(result.stderr.contains("\(file).safetensors is not a retrain of params.safetensors's architecture: \(fragment)"), "\(result.dump)")
        }
    }

    // MARK: ids and labels

    /// Awkward ids that are allowed (inner spaces, quotes, backslashes,
    /// non-ASCII) survive --dropped-ids → --exclude exactly: the excluded
    /// examples are the dropped ones, no others.
    @Test func droppedIdsRoundTripIntoExclude() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d; mtif-data synth -q --seed 5 --tasks 3 --features 4 --train 20 --val 8 --test 4 | mtif-data split -q --prefix d/
            """)
        // Every id gets inner spaces, quotes, a backslash and a non-ASCII letter.
        let lines = try sh.read("d/train.ndjson").split(separator: "\n").map { line in
            line.replacingOccurrences(of: #""id":""#, with: #""id":"a b \"q\" \\ é "#)
        }
        try sh.write("train.ndjson", lines.joined(separator: "\n") + "\n")
        try sh.succeed("""
            grep -c 'a b ' train.ndjson
            mtif-train -q --hidden 3 --max-iter 200 train.ndjson -o params.safetensors
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors train.ndjson rhs.safetensors -o ihvp.safetensors
            mtif-grad -q params.safetensors train.ndjson | mtif-influence -q ihvp.safetensors > scores.ndjson
            mtif-select -q --target t01 --candidates all --count 12 --dropped-ids gone.txt scores.ndjson train.ndjson -o kept.ndjson
            mtif-train -q --hidden 3 --max-iter 5 --exclude gone.txt train.ndjson -o loo.safetensors
            """)
        let gone = try sh.read("gone.txt").split(separator: "\n").map(String.init)
        #expect(gone.count >= 1 && gone.count <= 12)
        #expect(gone.allSatisfy { $0.hasPrefix("a b \"q\" \\ é ") }, "\(gone)")
        let loo = try ParameterFile.read(path: sh.path("loo.safetensors"))
        let excluded: [String] = try JSONText.decode(loo.metadata["excluded"], field: "excluded", file: "loo")
        #expect(Set(excluded) == Set(gone))
        let kept = try ExampleReader.readAll(path: sh.path("kept.ndjson")).map(\.id)
        let all = try ExampleReader.readAll(path: sh.path("train.ndjson")).map(\.id)
        #expect(Set(kept).union(gone) == Set(all) && Set(kept).isDisjoint(with: gone))
    }

    /// One label written 0.0 in a classification task keeps every task
    /// classification, and mtif-train says per task what it decided.
    @Test func oneRealWrittenLabelDoesNotMakeRegression() throws {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d; mtif-data synth -q --seed 5 --tasks 3 --features 4 --train 20 --val 8 --test 4 | mtif-data split -q --prefix d/
            awk 'NR == 2 { sub(/"y":[0-9]+/, "\\"y\\":0.0") } { print }' d/train.ndjson > t.ndjson
            grep -q '"y":0.0' t.ndjson
            """)
        let result = try sh.succeed("mtif-train --hidden 3 --max-iter 50 --polish none t.ndjson -o p.safetensors 2> err.txt; cat err.txt")
        #expect(result.stdout.contains("labels: t01 classification (") && result.stdout.contains("t02 classification ("), "\(result.dump)")
        let trained = try ParameterFile.read(path: sh.path("p.safetensors"))
        #expect(trained.architecture.loss == .crossEntropy)
        // The same model as when the label is written 0.
        try sh.succeed("""
            awk 'NR == 2 { sub(/"y":[0-9]+/, "\\"y\\":0") } { print }' d/train.ndjson > u.ndjson
            mtif-train -q --hidden 3 --max-iter 50 --polish none u.ndjson -o q.safetensors
            cmp <(tail -c 256 p.safetensors) <(tail -c 256 q.safetensors)
            """)
    }

    // MARK: numbers and resources

    /// LiSSA's depth estimate saturates instead of overflowing Int.
    @Test func lissaDepthEstimateSaturates() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            """)
        let result = try sh.run("mtif-ihvp --solver lissa --damping 1e-20 --depth 3 params.safetensors d/train.ndjson rhs.safetensors -o i.safetensors")
        #expect(!result.stderr.contains("-9223372036854775808"), "\(result.dump)")
        #expect(result.stderr.contains("a depth of more than 10^"), "\(result.dump)")
        #expect(!CorpusTests.crashStatuses.contains(result.status))
    }

    /// An Inf in a right-hand side is named (file, row) instead of blamed on curvature.
    @Test func infiniteRightHandSideIsNamed() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            h=$(od -An -tu8 -N8 rhs.safetensors | tr -d ' ')
            printf '\\x00\\x00\\x00\\x00\\x00\\x00\\xf0\\x7f' | dd of=rhs.safetensors bs=1 seek=$((8 + h + 16)) conv=notrunc 2> /dev/null
            """)
        for solver in ["cg", "bcg", "exact", "lissa"] {
            let result = try sh.run("mtif-ihvp --solver \(solver) params.safetensors d/train.ndjson rhs.safetensors -o i.safetensors")
            #expect(result.status == 2, "\(result.dump)")
            #expect(result.stderr.contains("rhs.safetensors: right-hand side row 1 (\"t01\") holds inf at column 2"), "\(result.dump)")
            #expect(!result.stderr.contains("curvature") && !result.stderr.contains("damping"), "\(result.dump)")
        }
    }

    /// standardize scales a feature of size 1e159 (its squares overflowed: it only centred it).
    @Test func standardizeScalesHugeFeatures() throws {
        let sh = try Shell()
        let result = try sh.succeed("""
            mkdir -p d; mtif-data synth -q --seed 5 --tasks 2 --features 3 --train 20 --val 8 --test 4 | mtif-data split -q --prefix d/
            awk '{ sub(/"x":\\[[^,]*/, "\\"x\\":[" NR "e158") } { print }' d/train.ndjson > big.ndjson
            grep -q 'e158' big.ndjson
            mtif-data standardize --fit big.ndjson big.ndjson > z.ndjson
            mtif-data stats z.ndjson
            """)
        let examples = try ExampleReader.readAll(path: sh.path("z.ndjson"))
        let column = examples.map { $0.x[0] }
        let mean = column.reduce(0, +) / Double(column.count)
        let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)
        #expect(abs(mean) < 1e-12 && abs(variance - 1) < 1e-12, "mean \(mean), variance \(variance)\n\(result.dump)")
    }

    /// A huge --batch-size on a small data set needs no huge buffer (it asked
    /// for 80 GB and died of SIGABRT), and a model whose vectors exceed an
    /// address-space limit is refused with the estimate and the limit.
    @Test func memoryIsEstimatedBeforeAllocating() throws {
        let sh = try Shell()
        try sh.succeed("""
            \(HardeningCLITests.data)
            mtif-grad -q params.safetensors d/train.ndjson -o a.safetensors
            mtif-grad -q --batch-size 1000000000 params.safetensors d/train.ndjson -o b.safetensors
            cmp <(tail -c +200 a.safetensors | tail -c 4096) <(tail -c +200 b.safetensors | tail -c 4096)
            mtif-grad -q --mean-by-task --batch-size 1000000000 params.safetensors d/val.ndjson > /dev/null
            """)
        let result = try sh.run("ulimit -v 3000000; mtif-train --hidden 4000,4000 d/train.ndjson -o big.safetensors")
        #expect(result.status == 2, "\(result.dump)")
        #expect(result.stderr.contains("needs about") && result.stderr.contains("address-space limit (ulimit -v)"), "\(result.dump)")
        #expect(result.stderr.contains("hint: use smaller --hidden"), "\(result.dump)")
        #expect(!sh.exists("big.safetensors"))
    }

    /// An example line with 100,000 keys parses in linear time (19 s before).
    @Test func manyKeysParseInLinearTime() throws {
        let sh = try Shell()
        try sh.succeed("""
            awk 'BEGIN { printf "{\\"id\\":\\"a\\",\\"task\\":\\"t\\",\\"x\\":[1],\\"y\\":0"; for (i = 0; i < 100000; i++) printf ",\\"k%d\\":%d", i, i; print "}" }' > wide.ndjson
            """)
        let start = Date()
        let result = try sh.run("mtif-data stats wide.ndjson > /dev/null")
        let seconds = Date().timeIntervalSince(start)
        #expect(result.status == 0, "\(result.dump)")
        #expect(seconds < 3, "100k keys took \(seconds) s")
        // A duplicate key among them is still found.
        try sh.succeed("sed 's/}$/,\"k99999\":1}/' wide.ndjson > dup.ndjson")
        let dup = try sh.run("mtif-data stats dup.ndjson")
        #expect(dup.status == 2 && dup.stderr.contains("field \"k99999\": duplicate key"), "\(dup.dump)")
    }

    /// make install PREFIX=… copies every release tool into PREFIX/bin.
    @Test func makeInstallCopiesTheTools() throws {
        let sh = try Shell()
        let result = try sh.run("\(Shell.make)install PREFIX=\"$PWD/prefix\" && ls prefix/bin && prefix/bin/mtif-select --help | head -1")
        #expect(result.status == 0, "\(result.dump)")
        for tool in Shell.tools {
            #expect(FileManager.default.isExecutableFile(atPath: sh.path("prefix/bin/\(tool)")), "\(tool)\n\(result.dump)")
        }
        #expect(result.stdout.contains("usage: mtif-select"))
    }
}
