import Foundation
import Testing

/// Scale-out by shards (issue 6): `--shard i/N` outputs, concatenated in shard
/// order, are the unsharded output byte for byte — mtif-grad | mtif-influence,
/// mtif-eval --predictions, and `make shards`.
@Suite(.serialized) struct ShardCLITests {
    static func prepare() throws -> Shell {
        let sh = try Shell()
        try sh.succeed("""
            mkdir -p d
            mtif-data synth -q --seed 4 --tasks 3 --train 25 --val 10 --test 30 | mtif-data split -q --prefix d/
            mtif-train -q --sharing soft --tol 1e-10 d/train.ndjson -o params.safetensors
            mtif-grad -q --mean-by-task params.safetensors d/val.ndjson -o rhs.safetensors
            mtif-ihvp -q params.safetensors d/train.ndjson rhs.safetensors -o ihvp.safetensors
            """)
        return sh
    }

    /// Tasks interleaved (sorted by the first feature), so input order is not
    /// task order; 4 shards run in parallel by xargs; 7 shards of the 90 rows.
    @Test func evalPredictionShardsConcatenateByteForByte() throws {
        let sh = try ShardCLITests.prepare()
        try sh.succeed("""
            LC_ALL=C sort -t, -k3 d/test.ndjson > mixed.ndjson
            test "$(head -3 mixed.ndjson | grep -o '"task":"t0[0-9]"' | sort -u | wc -l)" -gt 1
            mtif-eval -q --predictions params.safetensors mixed.ndjson > all.ndjson
            seq 0 3 | xargs -P 4 -I{} mtif-eval -q --predictions --shard {}/4 params.safetensors mixed.ndjson -o part.{}.ndjson
            cat part.{0..3}.ndjson | cmp - all.ndjson
            for i in $(seq 0 6); do mtif-eval -q --predictions --shard $i/7 --tag run=x params.safetensors mixed.ndjson; done > seven.ndjson
            mtif-eval -q --predictions --tag run=x params.safetensors mixed.ndjson | cmp - seven.ndjson
            """)
        // Predictions follow the input, line for line.
        let ids = try sh.read("mixed.ndjson").split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["id"] as! String
        }
        let predicted = try Shell.records(try sh.read("all.ndjson")).map { $0["id"] as! String }
        #expect(predicted == ids)
        let metrics = try sh.run("mtif-eval --shard 0/2 params.safetensors mixed.ndjson")
        #expect(metrics.status == 2 && metrics.stderr.contains("--shard applies to --predictions only"), "\(metrics.dump)")
        let bad = try sh.run("mtif-eval --predictions --shard 2/2 params.safetensors mixed.ndjson")
        #expect(bad.status == 2 && bad.stderr.contains("hint: shards are 0-based"), "\(bad.dump)")
    }

    /// mtif-grad shards through mtif-influence (which inherits the shard from
    /// the gradient file), in the task-block and dense layouts, as files and pipes.
    @Test func gradientAndScoreShardsConcatenateByteForByte() throws {
        let sh = try ShardCLITests.prepare()
        try sh.succeed("""
            mtif-grad -q params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > scores.ndjson
            mtif-influence -q --by-task ihvp.safetensors <(mtif-grad -q params.safetensors d/train.ndjson) > matrix.ndjson
            for layout in "" --dense; do
              rm -f part.*
              seq 0 4 | xargs -P 5 -I{} sh -c "mtif-grad -q $layout --shard {}/5 params.safetensors d/train.ndjson -o grads.{}.safetensors && mtif-influence -q ihvp.safetensors grads.{}.safetensors > part.{}.ndjson"
              cat part.{0..4}.ndjson | cmp - scores.ndjson
            done
            cat d/train.ndjson | mtif-grad -q --shard 1/2 params.safetensors - | mtif-influence -q ihvp.safetensors > stdin.1.ndjson
            mtif-grad -q --shard 0/2 params.safetensors d/train.ndjson | mtif-influence -q ihvp.safetensors > file.0.ndjson
            cat file.0.ndjson stdin.1.ndjson | cmp - scores.ndjson
            test "$(grep -c '"type":"meta"' part.0.ndjson)" = 1 && test "$(grep -c '"type":"meta"' part.1.ndjson)" = 0
            """)
    }

    /// `make shards`: SHARDS processes under make -j, concatenated into the
    /// scores file that `make scores` writes, byte for byte.
    @Test func makeShardsEqualsMakeScores() throws {
        let sh = try Shell()
        let run = sh.path("run")
        let settings = "RUN=\"\(run)\" JOBS=2 SHARDS=3 SYNTH=\"--tasks 3 --train 20 --val 10 --test 10\" QUIET=-q"
        let sharded = try sh.succeed("\(Shell.make)shards \(settings)")
        #expect(sharded.stdout.contains("--shard 2/3"), "\(sharded.dump)")
        try sh.succeed("""
            \(Shell.make)scores \(settings) > /dev/null
            ls run/shards-cg-3/scores.0.ndjson run/shards-cg-3/scores.1.ndjson run/shards-cg-3/scores.2.ndjson
            cmp run/scores-cg.ndjson run/scores-cg.sharded.ndjson
            """)
    }
}
