import Foundation
import Testing
import Shared

/// Timings at a realistic size (7352 rows × 561 features, like UCI HAR).
/// Runs only with MTIF_BENCH=1 and prints seconds per call.
@Suite struct ModelBenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MTIF_BENCH"] != nil))
    func hardSharingAtHARSize() throws {
        let rows = [1226, 1073, 986, 1286, 1374, 1407]
        var c = ModelCase.hard(.tanh, hidden: [64], loss: .crossEntropy, rows: rows)
        c.architecture.inputs = 561
        c.architecture.tasks = rows.indices.map { "t\($0)" }
        c.architecture.outputs = rows.map { _ in 6 }
        let model = try makeModel(c.architecture)
        let batch = c.batch()
        let w = model.initialParameters(seed: 1)
        let v = randomVector(model.layout.count, seed: 2)
        var gradient: [Double] = [], hv: [Double] = []
        func time(_ label: String, _ body: () -> Void) {
            body()
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0 ..< 5 { body() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / 5
            print("\(label): \(String(format: "%.4f", seconds)) s")
        }
        time("objective+gradient N=7352 D=561 H=64 K=6") {
            _ = model.objective(w, batch, regularized: true, gradient: &gradient)
        }
        time("HVP N=7352 D=561 H=64 K=6") {
            model.hessianVectorProduct(w, batch, regularized: true, v, into: &hv)
        }
        let small = batch.subset(Array(0 ..< 1000))
        var rowsOut: [Double] = []
        time("per-example gradients N=1000 P=\(model.layout.count)") {
            model.perExampleGradients(w, small, into: &rowsOut)
        }
    }
}
