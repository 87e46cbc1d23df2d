/// Per-task quality of a model on a data set: mean loss, and accuracy
/// (classification) or RMSE (regression).
package struct TaskMetrics: Equatable, Sendable {
    package var task: String
    package var count: Int
    /// Mean ℓ over the task's examples (the spec's V_k when the data are validation data).
    package var loss: Double
    package var accuracy: Double?
    package var rmse: Double?
}

/// One example's prediction, in the order of the input file.
package struct Prediction: Sendable {
    package var exampleIndex: Int
    package var loss: Double
    /// Predicted class index (classification) or value (regression).
    package var predictedClass: Int?
    package var predictedValue: Double?
    /// (C_k) softmax probabilities, classification only.
    package var probabilities: [Double]
}

package struct Evaluation: Sendable {
    package var tasks: [TaskMetrics]
    package var overall: TaskMetrics
    /// Mean over tasks of each task's mean loss.
    package var meanTaskLoss: Double
    package var predictions: [Prediction]

    /// Evaluates `parameters` on `batch`; tasks without rows in the batch are left out.
    package init(model: any MultitaskModel, parameters: [Double], batch: TaskBatch) {
        let architecture = model.architecture
        // One forward pass: the losses come from the same outputs.
        let outputs = model.outputs(parameters, batch)
        let stride = architecture.maxOutputs
        var losses = [Double](repeating: 0, count: batch.count)  // (N)
        outputs.withUnsafeBufferPointer { o in
            for (k, range) in batch.taskRanges.enumerated() {
                for i in range {
                    losses[i] = architecture.loss.evaluate(
                        o.baseAddress! + i * stride, outputs: architecture.outputs[k], target: batch.targets[i])
                }
            }
        }
        let classification = architecture.loss == .crossEntropy
        var tasks: [TaskMetrics] = []
        var predictions: [Prediction] = []
        predictions.reserveCapacity(batch.count)
        var totalLoss = 0.0, totalCorrect = 0, totalSquared = 0.0
        for (k, range) in batch.taskRanges.enumerated() where !range.isEmpty {
            let classes = architecture.outputs[k]
            var lossSum = 0.0, correct = 0, squared = 0.0
            for i in range {
                lossSum += losses[i]
                let row = Array(outputs[i * stride ..< i * stride + classes])
                if classification {
                    let probabilities = softmax(row)
                    let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                    if predicted == Int(batch.targets[i]) { correct += 1 }
                    predictions.append(Prediction(
                        exampleIndex: batch.sourceIndex[i], loss: losses[i], predictedClass: predicted,
                        predictedValue: nil, probabilities: probabilities))
                } else {
                    squared += losses[i]
                    predictions.append(Prediction(
                        exampleIndex: batch.sourceIndex[i], loss: losses[i], predictedClass: nil,
                        predictedValue: row[0], probabilities: []))
                }
            }
            let n = Double(range.count)
            tasks.append(TaskMetrics(
                task: architecture.tasks[k], count: range.count, loss: lossSum / n,
                accuracy: classification ? Double(correct) / n : nil,
                rmse: classification ? nil : (squared / n).squareRoot()))
            totalLoss += lossSum; totalCorrect += correct; totalSquared += squared
        }
        let n = Double(max(batch.count, 1))
        self.tasks = tasks
        self.overall = TaskMetrics(
            task: "all", count: batch.count, loss: totalLoss / n,
            accuracy: classification ? Double(totalCorrect) / n : nil,
            rmse: classification ? nil : (totalSquared / n).squareRoot())
        self.meanTaskLoss = tasks.isEmpty ? 0 : tasks.map(\.loss).reduce(0, +) / Double(tasks.count)
        self.predictions = predictions.sorted { $0.exampleIndex < $1.exampleIndex }
    }
}

/// Numerically stable softmax.
package func softmax(_ logits: [Double]) -> [Double] {
    let largest = logits.max() ?? 0
    var result = logits.map { expDouble($0 - largest) }
    let total = result.reduce(0, +)
    for i in result.indices { result[i] /= total }
    return result
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func expDouble(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
@inline(__always) private func expDouble(_ x: Double) -> Double { Darwin.exp(x) }
#endif
