/// VMTL's learned relatedness: the weight α_{k←l} that task k's prior puts
/// on task l's posterior (`VariationalModel`), read from a parameter file of
/// `mtif-train --sharing vmtl`. raw(l→k) = α_{k←l}, a probability over the
/// K − 1 sources of each target; no diagonal (a task's prior never uses its
/// own posterior). A weight above the uniform 1/(K − 1) says the ELBO found
/// task l's head close to task k's; below it, far. The cost is the VMTL
/// training run (its steps of S samples over the batch).
package func mixtureWeightMatrix(_ trained: ParameterFile, name: String) throws -> (raw: [[Double?]], cost: RelatednessCost) {
    guard let json = trained.metadata["vmtl"] else {
        throw MTIFError.input(
            "\(name) has no \"vmtl\" metadata: it is not a VMTL model",
            hint: "train one with mtif-train --sharing vmtl TRAIN -o vmtl.safetensors and give that file")
    }
    let report: VariationalReport = try JSONText.decode(json, field: "vmtl", file: name)
    let tasks = trained.architecture.tasks
    guard report.tasks == tasks, report.alpha.count == tasks.count, report.alpha.allSatisfy({ $0.count == tasks.count }) else {
        throw MTIFError.input("\(name): metadata \"vmtl\" does not match the model's tasks", hint: "the file is damaged; retrain it")
    }
    var raw = [[Double?]](repeating: [Double?](repeating: nil, count: tasks.count), count: tasks.count)
    for k in tasks.indices {
        for l in tasks.indices where l != k { raw[l][k] = report.alpha[k][l] }
    }
    var cost = RelatednessCost()
    cost.retrainings = 1
    cost.iterations = report.steps
    cost.gradientEvaluations = report.steps
    cost.gradientRows = report.steps * report.batchSize * report.samples
    cost.note = "the VMTL training run (mtif-train --sharing vmtl): \(report.steps) Adam steps of \(report.samples) samples over \(report.batchSize) rows"
    return (raw, cost)
}
