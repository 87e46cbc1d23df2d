import Foundation
import Testing

/// `mtif-bench` on a miniature HAR-shaped workload: every kernel and stage
/// is recorded, and the recorded FLOPs follow from the shapes and from the
/// counts the tools wrote into their outputs. (Rates are not asserted: tests
/// stay untimed.)
@Suite(.serialized) struct BenchCLITests {
    @Test func benchRecordsEveryStageWithFlopsFromTheShapes() throws {
        let sh = try Shell()
        let result = try sh.succeed(
            "mtif-bench --dir bench --base 1800 --scales 1 --iterations 20 --depth 4 --damping 1 --cg-damping 1 --cg-tol 1e-3 --kernel-seconds 0.01 -q > bench.ndjson")
        let records = try Shell.records(try sh.read("bench.ndjson"))
        let kernels = records.filter { $0["type"] as? String == "kernel" }
        #expect(kernels.filter { $0["kernel"] as? String == "fma_peak" }.count == 2)
        #expect(kernels.filter { $0["kernel"] as? String == "gemm" }.count == 12)
        #expect(kernels.filter { $0["kernel"] as? String == "gemm" && $0["precision"] as? String == "float32" }.count == 4)
        for kernel in kernels { #expect((kernel["gflops"] as? Double ?? 0) > 0, "\(kernel)") }

        var stages: [String: [String: Any]] = [:]
        for record in records where record["type"] as? String == "stage" {
            #expect(record["error"] == nil, "\(record) \(result.dump)")
            stages[record["stage"] as! String] = record
        }
        #expect(Set(stages.keys) == [
            "data", "ingest", "train", "targets", "gradients", "ihvp_lissa", "ihvp_cg", "join", "join_fused", "select",
            "mtif_total", "mtif_fast",
        ])
        for (name, stage) in stages {
            let seconds = stage["seconds"] as! Double, flops = stage["flops"] as! Double, rate = stage["gflops"] as! Double
            #expect(seconds > 0 && abs(rate - flops / seconds / 1e9) <= 1e-9 * max(rate, 1), "\(name)")
            #expect((stage["peak_rss_mb"] as! Int) >= (stage["largest_process_rss_mb"] as! Int), "\(name)")
            #expect((stage["largest_process_rss_mb"] as! Int) > 0 || name == "data", "\(name)")
        }

        // Per row: objective 4DH + 6HC, one HVP direction 4DH + 10HC, with D = 561, H = 64, C = 6.
        let (dh, hc) = (561.0 * 64, 64.0 * 6)
        let training = try metadataJSON(sh.path("bench/synthetic-1x/params.safetensors"), "training")
        let evaluations = training["evaluations"] as! Double
        #expect(stages["train"]!["flops"] as! Double == evaluations * 1800 * (4 * dh + 6 * hc))
        let solver = try metadataJSON(sh.path("bench/synthetic-1x/ihvp-lissa.safetensors"), "solver")
        let directions = solver["row_directions"] as! Double, passes = solver["row_passes"] as! Double
        #expect(directions >= 4 * 256 * 30, "every LiSSA step takes 30 directions through a minibatch of 256")
        #expect(stages["ihvp_lissa"]!["flops"] as! Double == passes * (2 * dh + 4 * hc) + directions * (4 * dh + 10 * hc))
        let total = ["targets", "ihvp_lissa", "join"].reduce(0.0) { $0 + (stages[$1]!["seconds"] as! Double) }
        #expect(abs((stages["mtif_total"]!["seconds"] as! Double) - total) < 1e-9)
        // The join wrote a score line per training example after the meta line;
        // the fused join the same lines.
        let piped = try sh.read("bench/synthetic-1x/scores.ndjson")
        #expect(piped.split(separator: "\n").count == 1801)
        #expect(try sh.read("bench/synthetic-1x/scores-fused.ndjson").split(separator: "\n").count == 1801)

        // The frontier: every setting measured against the reference solve.
        let frontier = records.filter { $0["type"] as? String == "frontier" }
        #expect(frontier.map { $0["setting"] as! String } == [
            "cg tol 1e-3", "cg tol 5e-4", "cg tol 1e-4", "cg tol 1e-6", "cg tol 1e-3 f32", "cg tol 5e-4 f32", "cg tol 1e-4 f32",
            "bcg tol 1e-3", "bcg tol 5e-4", "bcg tol 1e-6", "bcg tol 5e-4 f32", "bcg tol 2.5e-4 f32",
            "pcg tol 1e-3", "pcg tol 1e-4", "ekfac", "lissa auto 1e-3", "lissa depth 4",
        ], "\(records.filter { $0["error"] != nil })")
        var errors: [String: Double] = [:]
        for row in frontier {
            let setting = row["setting"] as! String
            errors[setting] = row["ihvp_error"] as? Double
            #expect((row["seconds"] as! Double) > 0 && (row["peak_rss_mb"] as! Int) > 0, "\(setting)")
            #expect(row["damping"] as? Double == 1)
            #expect(row["products"] as? String == (setting.hasSuffix("f32") ? "f32" : "f64"), "\(setting)")
        }
        // δ = 1 makes H + δI well conditioned: CG to 1e-6 is close to the 1e-10
        // reference, and tightening the tolerance never loosens the answer.
        #expect(errors["cg tol 1e-6"]! <= 1e-5)
        #expect(errors["cg tol 1e-6"]! <= errors["cg tol 1e-4"]! && errors["cg tol 1e-4"]! <= errors["cg tol 1e-3"]!)
        #expect(errors["pcg tol 1e-4"]! <= 1e-3)
        #expect(errors["bcg tol 1e-6"]! <= 1e-5 && errors["bcg tol 1e-6"]! <= errors["bcg tol 1e-3"]!)
        // Float32 products move the answer by far less than the tolerance.
        #expect(errors["cg tol 1e-4 f32"]! <= 2e-4 && errors["cg tol 1e-3 f32"]! <= 2e-3)
        // LiSSA's depth rule leaves out the minibatch noise (256 of 1,800 rows):
        // it either meets 1e-3 or says, from its residual bound, that it did not.
        let lissaAuto = try #require(frontier.first { $0["setting"] as? String == "lissa auto 1e-3" })
        #expect(errors["lissa auto 1e-3"]! <= 1e-3 || lissaAuto["accuracy_met"] as? Bool == false, "\(lissaAuto)")
        let cg6 = try #require(frontier.first { $0["setting"] as? String == "cg tol 1e-6" })
        #expect((cg6["score_pearson"] as! Double) >= 0.999999)
        #expect((stages["mtif_fast"]!["note"] as? String)?.contains("join_fused") == true)
    }

    /// The JSON object stored as text under `key` in a safetensors file's metadata.
    private func metadataJSON(_ path: String, _ key: String) throws -> [String: Any] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8 ..< 8 + length)) as! [String: Any]
        let metadata = header["__metadata__"] as! [String: String]
        return try JSONSerialization.jsonObject(with: Data(metadata[key]!.utf8)) as! [String: Any]
    }
}
