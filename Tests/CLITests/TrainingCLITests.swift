import Foundation
import Shared
import Testing

/// mtif-train's options, mtif-eval's predictions and mtif-data's commands,
/// run through the built binaries on small data sets.
@Suite(.serialized) struct TrainingCLITests {
    /// 3 tasks × (30 train, 10 val, 30 test), 5 features, 3 classes, in d/.
    /// Regression: no corrupted labels, so the test RMSE approaches the noise (0.25).
    private func data(_ sh: Shell, regression: Bool = false) throws {
        try sh.succeed("""
            mkdir -p d
            mtif-data synth --seed 2 --tasks 3 --features 5 --train 30 --val 10 --test 30 \(regression ? "--regression --corrupt 0" : "") \
              | mtif-data split --prefix d/ -q
            """)
    }

    private func parameters(_ sh: Shell, _ name: String) throws -> ParameterFile {
        try ParameterFile.read(path: sh.path(name))
    }

    /// The "training" metadata as a dictionary.
    private func training(_ file: ParameterFile) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(file.metadata["training"]!.utf8)) as! [String: Any]
    }

    private func examples(_ sh: Shell, _ name: String) throws -> [Example] {
        try ExampleReader.readAll(path: sh.path(name))
    }

    @Test func excludeDropsTheExamplesFromTheirTasks() throws {
        let sh = try Shell()
        try data(sh)
        let train = try examples(sh, "d/train.ndjson")
        let t01 = train.filter { $0.task == "t01" }, t03 = train.filter { $0.task == "t03" }
        let excluded = [t01[3].id, t03[0].id, t01[17].id]
        try sh.write("exclude.txt", excluded.joined(separator: "\n") + "\n")
        try sh.succeed("""
            mtif-train -q --sharing soft --seed 1 d/train.ndjson -o all.safetensors
            mtif-train -q --sharing soft --seed 1 --exclude exclude.txt d/train.ndjson -o loo.safetensors
            """)
        let all = try parameters(sh, "all.safetensors"), loo = try parameters(sh, "loo.safetensors")
        #expect(all.schema.tasks.map(\.count) == [30, 30, 30])
        #expect(loo.schema.tasks.map(\.name) == ["t01", "t02", "t03"])
        #expect(loo.schema.tasks.map(\.count) == [28, 30, 29])
        #expect(loo.schema.tasks.map(\.outputs) == all.schema.tasks.map(\.outputs))
        #expect(loo.parameters.count == all.parameters.count)
        let largest = zip(loo.parameters, all.parameters).map { abs($0 - $1) }.max()!
        #expect(largest > 1e-4, "leaving 3 examples out moved no parameter: \(largest)")
        // The excluded ids are recorded in training-file order (effects and agreement read them).
        let recorded = try JSONSerialization.jsonObject(with: Data(loo.metadata["excluded"]!.utf8)) as! [String]
        #expect(recorded == [t01[3].id, t01[17].id, t03[0].id])
        #expect(try training(loo)["converged"] as? Bool == true)
    }

    @Test func warmStartFromAConvergedModelNeedsFewIterations() throws {
        let sh = try Shell()
        try data(sh)
        try sh.succeed("""
            mtif-train -q --sharing soft --seed 1 d/train.ndjson -o p.safetensors
            mtif-train -q --sharing soft --seed 1 --init p.safetensors d/train.ndjson -o warm.safetensors
            """)
        let cold = try training(try parameters(sh, "p.safetensors"))
        let warmFile = try parameters(sh, "warm.safetensors")
        let warm = try training(warmFile)
        let coldIterations = cold["iterations"] as! Int, warmIterations = warm["iterations"] as! Int
        #expect(coldIterations >= 20, "from scratch: \(coldIterations)")
        #expect(warmIterations <= 2, "warm: \(warmIterations), cold: \(coldIterations)")
        #expect(warm["converged"] as? Bool == true)
        let inputs = try JSONSerialization.jsonObject(with: Data(warmFile.metadata["inputs"]!.utf8)) as! [String: String]
        #expect(inputs["init"] == (try parameters(sh, "p.safetensors")).fingerprint)
    }

    /// A selection can remove every example of a class from some task; warm
    /// starting from the full model keeps that task's head and its classes,
    /// for class names and for class indices.
    @Test func warmStartKeepsTheModelsClasses() throws {
        let sh = try Shell()
        try data(sh)
        try sh.succeed("""
            sed -E 's/"y":0/"y":"zero"/; s/"y":1/"y":"one"/; s/"y":2/"y":"two"/' d/train.ndjson > named.ndjson
            sed -E 's/"y":0/"y":"zero"/; s/"y":1/"y":"one"/; s/"y":2/"y":"two"/' d/test.ndjson > named-test.ndjson
            grep -v -E '"task":"t02".*"y":"two"' named.ndjson > named-without.ndjson
            grep -v -E '"task":"t02".*"y":2[,}]' d/train.ndjson > without.ndjson
            mtif-train -q --hidden 4 --seed 1 named.ndjson -o named.safetensors
            mtif-train -q --hidden 4 --seed 1 d/train.ndjson -o index.safetensors
            """)
        #expect(try examples(sh, "named-without.ndjson").count < 90)
        let log = try sh.succeed("mtif-train --hidden 4 --seed 1 --init named.safetensors named-without.ndjson -o named-warm.safetensors").stderr
        #expect(log.contains("warm start: task \"t02\" keeps the model's 3 classes (its training labels alone give 2)"), "\(log)")
        let warm = try parameters(sh, "named-warm.safetensors")
        #expect(warm.schema.tasks.map(\.labels) == (try parameters(sh, "named.safetensors")).schema.tasks.map(\.labels))
        #expect(try training(warm)["converged"] as? Bool == true)
        // The test split's class "two" of t02 is still a class of the model.
        let eval = try sh.succeed("mtif-eval -q --tasks t02 named-warm.safetensors named-test.ndjson").stdout
        #expect(eval.contains("\"task\":\"t02\""), "\(eval)")
        // Class indices: the head keeps its 3 outputs, so every tensor is copied.
        let indexLog = try sh.succeed("mtif-train --hidden 4 --seed 1 --init index.safetensors without.ndjson -o index-warm.safetensors").stderr
        #expect(!indexLog.contains("warning"), "\(indexLog)")
        #expect((try parameters(sh, "index-warm.safetensors")).schema.tasks.map(\.outputs) == [3, 3, 3])
        // Without --init the smaller training set has its own classes.
        try sh.succeed("mtif-train -q --hidden 4 --seed 1 named-without.ndjson -o named-cold.safetensors")
        #expect((try parameters(sh, "named-cold.safetensors")).schema.tasks[1].labels == ["one", "zero"])
    }

    @Test func tasksOptionTrainsOnlyThoseTasks() throws {
        let sh = try Shell()
        try data(sh)
        try sh.succeed("mtif-train -q --sharing soft --tasks t01,t03 d/train.ndjson -o p.safetensors")
        let file = try parameters(sh, "p.safetensors")
        #expect(file.architecture.tasks == ["t01", "t03"])
        #expect(file.schema.taskNames == ["t01", "t03"])
        #expect(file.schema.tasks.map(\.count) == [30, 30])
        #expect(file.parameters.count == 3 * (3 * 5 + 3))  // centre + 2 tasks, linear 5 → 3
        // Evaluating on a task the model was not trained on is an input error.
        let result = try sh.run("mtif-eval p.safetensors d/test.ndjson")
        #expect(result.status == 2 && result.stderr.contains("\"t02\""), "\(result.dump)")
    }

    @Test func regressionTrainsWithSquaredErrorAndLowersRMSE() throws {
        let sh = try Shell()
        try data(sh, regression: true)
        try sh.succeed("""
            mtif-train -q --sharing soft d/train.ndjson -o p.safetensors
            mtif-train -q --sharing soft --max-iter 0 --polish none d/train.ndjson -o p0.safetensors
            mtif-eval p.safetensors d/test.ndjson > trained.ndjson
            mtif-eval p0.safetensors d/test.ndjson > untrained.ndjson
            """)
        let file = try parameters(sh, "p.safetensors")
        #expect(file.architecture.loss == .squaredError && file.architecture.outputs == [1, 1, 1])
        let trained = try Shell.records(try sh.read("trained.ndjson"))
        let untrained = try Shell.records(try sh.read("untrained.ndjson"))
        #expect(trained.count == 4 && untrained.count == 4)
        for (a, b) in zip(trained, untrained) {
            let rmse = try #require(a["rmse"] as? Double), before = try #require(b["rmse"] as? Double)
            #expect(a["accuracy"] == nil)
            #expect(rmse < 0.5 * before && rmse < 0.5, "\(a["type"]!) \(a["task"] ?? ""): rmse \(rmse) vs untrained \(before)")
            // Squared error is not halved: the mean loss is the mean squared error.
            #expect(abs((a["loss"] as! Double) - rmse * rmse) <= 1e-12 * rmse * rmse)
        }
    }

    @Test func predictionsFollowTheInputWithNormalisedProbabilities() throws {
        let sh = try Shell()
        try data(sh)
        try sh.succeed("""
            mtif-train -q --sharing soft d/train.ndjson -o p.safetensors
            mtif-eval --predictions p.safetensors d/test.ndjson > predictions.ndjson
            mtif-eval p.safetensors d/test.ndjson > metrics.ndjson
            """)
        let input = try examples(sh, "d/test.ndjson")
        let records = try Shell.records(try sh.read("predictions.ndjson"))
        #expect(records.count == input.count && input.count == 90)
        var lossOfTask: [String: Double] = [:]
        for (record, example) in zip(records, input) {
            #expect(record["type"] as? String == "prediction")
            #expect(record["id"] as? String == example.id && record["task"] as? String == example.task)
            guard case .index(let y) = example.y else { Issue.record("label \(example.y)"); continue }
            #expect(record["y"] as? Int == y)
            let p = record["probabilities"] as! [Double]
            #expect(p.count == 3)
            #expect(abs(p.reduce(0, +) - 1) <= 1e-12)
            let loss = record["loss"] as! Double
            #expect(abs(loss - -log(p[y])) <= 1e-12 * max(1, loss), "\(example.id): loss \(loss), p \(p)")
            #expect(record["prediction"] as? Int == p.indices.max { p[$0] < p[$1] })
            lossOfTask[example.task, default: 0] += loss / 30
        }
        // The per-task means are what the metrics records report.
        for metrics in try Shell.records(try sh.read("metrics.ndjson")) where metrics["type"] as? String == "task" {
            let task = metrics["task"] as! String
            #expect(abs((metrics["loss"] as! Double) - lossOfTask[task]!) <= 1e-12, "task \(task)")
        }
    }

    @Test func standardizeByTheTrainingSplit() throws {
        let sh = try Shell()
        try data(sh)
        try sh.succeed("""
            mkdir -p s
            mtif-data standardize -q --fit d/train.ndjson d/train.ndjson -o s/train.ndjson
            mtif-data standardize -q --fit d/train.ndjson < d/test.ndjson > s/test.ndjson
            """)
        let before = try examples(sh, "d/train.ndjson"), after = try examples(sh, "s/train.ndjson")
        #expect(after.count == before.count && after.count == 90)
        for j in 0 ..< 5 {
            let column = after.map { $0.x[j] }
            let mean = column.reduce(0, +) / 90
            let std = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 90).squareRoot()
            #expect(abs(mean) <= 1e-12 && abs(std - 1) <= 1e-12, "feature \(j): mean \(mean), std \(std)")
        }
        for (a, b) in zip(after, before) {
            #expect(a.id == b.id && a.task == b.task && a.y == b.y && a.extras == b.extras)
            #expect(a.extras.map(\.key) == ["split", "corrupted", "unrelated"])
        }
        // Test data: the training split's mean and std, not its own.
        let test = try examples(sh, "d/test.ndjson"), scaled = try examples(sh, "s/test.ndjson")
        let mean0 = before.map { $0.x[0] }.reduce(0, +) / 90
        let std0 = (before.map { ($0.x[0] - mean0) * ($0.x[0] - mean0) }.reduce(0, +) / 90).squareRoot()
        for (a, b) in zip(scaled, test) {
            #expect(abs(a.x[0] - (b.x[0] - mean0) / std0) <= 1e-12)
            #expect(a.id == b.id && a.extras == b.extras)
        }
    }

    /// Regression targets 10y + 30 and features × 3 (the stress case that
    /// neither optimizer trains): the log names the worst column up front and
    /// again when training stops short, with what to do; the unscaled data
    /// raise neither, and features × 30 are named as features.
    /// One NDJSON example line with the given features and regression target.
    private func exampleLine(_ e: Example, x: [Double], y: Double) -> String {
        "{\"id\":\"\(e.id)\",\"task\":\"\(e.task)\",\"x\":[\(x.map { "\($0)" }.joined(separator: ","))],\"y\":\(y)}\n"
    }

    @Test func badlyScaledDataAreNamed() throws {
        let sh = try Shell()
        try data(sh, regression: true)
        let train = try examples(sh, "d/train.ndjson").map { e -> Example in
            var e = e
            e.x = e.x.map { 3 * $0 }
            e.y = .value(10 * e.y.numericValue! + 30)
            return e
        }
        try sh.write("bad.ndjson", train.map { exampleLine($0, x: $0.x, y: $0.y.numericValue!) }.joined())
        let worst = ["t01", "t02", "t03"].map { task -> (String, Double, Double) in
            let y = train.filter { $0.task == task }.map { $0.y.numericValue! }
            let mean = y.reduce(0, +) / Double(y.count)
            let std = (y.reduce(0) { $0 + $1 * $1 } / Double(y.count) - mean * mean).squareRoot()
            return (task, mean, max(abs(mean), std))
        }.max { $0.2 < $1.2 }!
        let short = try sh.run("mtif-train --sharing hard --hidden 8 --max-iter 3 --newton-iter 0 bad.ndjson -o bad.safetensors")
        #expect(short.status == 0, "\(short.dump)")
        let lines = short.stderr.split(separator: "\n")
        let upFront = lines.first { $0.contains("scale: the targets of task \(worst.0) has mean \(String(format: "%.4g", worst.1))") }
        #expect(upFront != nil && upFront!.contains("centre and scale the targets"), "\(short.stderr)")
        let stopped = lines.first { $0.contains("training stopped") }
        #expect(stopped != nil && stopped!.contains("has mean") && stopped!.contains("(y − mean)/std per task"), "\(short.stderr)")
        let fine = try sh.succeed("mtif-train --sharing hard --hidden 8 d/train.ndjson -o fine.safetensors")
        #expect(!fine.stderr.contains("scale:") && !fine.stderr.contains("training stopped"), "\(fine.stderr)")
        try sh.write("wide.ndjson", train.map { e in exampleLine(e, x: e.x.indices.map { $0 == 2 ? 10 * e.x[$0] : e.x[$0] }, y: 0.5) }.joined())
        let wide = try sh.succeed("mtif-train --sharing soft wide.ndjson -o wide.safetensors")
        #expect(wide.stderr.contains("scale: feature 2 has mean") && wide.stderr.contains("mtif-data standardize --fit TRAIN"), "\(wide.stderr)")
    }

    @Test func splitByFractionsWithoutASplitField() throws {
        let sh = try Shell()
        // Task "a" 20 examples, task "b" 7, interleaved; an extra field kept as is.
        var lines: [String] = []
        for i in 0 ..< 20 {
            lines.append(#"{"id":"a\#(i)","task":"a","x":[\#(i),1],"y":\#(i % 2),"note":{"k":[1,2]}}"#)
            if i < 7 { lines.append(#"{"id":"b\#(i)","task":"b","x":[\#(i),2],"y":\#(i % 3)}"#) }
        }
        try sh.write("all.ndjson", lines.joined(separator: "\n") + "\n")
        try sh.succeed("mtif-data split -q --fractions 0.5,0.25,0.25 --seed 3 --prefix out. all.ndjson")
        let parts = try ["train", "val", "test"].map { try examples(sh, "out.\($0).ndjson") }
        func count(_ part: [Example], _ task: String) -> Int { part.filter { $0.task == task }.count }
        // a: val round(5) = 5, test 5, train 10; b: val round(1.75) = 2, test 2, train 3.
        #expect(parts.map { count($0, "a") } == [10, 5, 5])
        #expect(parts.map { count($0, "b") } == [3, 2, 2])
        let ids = parts.flatMap { $0.map(\.id) }
        #expect(ids.count == 27 && Set(ids).count == 27)
        // Each file keeps the input order, and the lines are unchanged.
        let input = try examples(sh, "all.ndjson")
        for part in parts {
            let positions = part.map { e in input.firstIndex { $0.id == e.id }! }
            #expect(positions == positions.sorted())
            for e in part { #expect(e == input[input.firstIndex { $0.id == e.id }!]) }
        }
        #expect(parts[0].first { $0.task == "a" }?.extra("note") == #"{"k":[1,2]}"#)
        // Another seed, another split; the same seed, the same files.
        try sh.succeed("""
            mtif-data split -q --fractions 0.5,0.25,0.25 --seed 3 --prefix again. all.ndjson
            mtif-data split -q --fractions 0.5,0.25,0.25 --seed 4 --prefix other. all.ndjson
            cmp out.val.ndjson again.val.ndjson
            ! cmp -s out.val.ndjson other.val.ndjson
            """)
    }

    @Test func statsOnAHandWrittenFile() throws {
        let sh = try Shell()
        try sh.write("c.ndjson", """
            {"id":"1","task":"b","x":[1,2],"y":1,"split":"train"}
            {"id":"2","task":"a","x":[0,1],"y":0,"split":"train"}
            {"id":"3","task":"a","x":[2,2],"y":2,"split":"test"}
            {"id":"4","task":"a","x":[1,1],"y":0,"split":"val"}

            """)
        try sh.write("r.ndjson", """
            {"task":"r","x":[1],"y":0.5}
            {"task":"r","x":[2],"y":1.5}
            {"task":"r","x":[3],"y":2.5}
            {"task":"s","x":[4],"y":-1}

            """)
        try sh.write("n.ndjson", """
            {"task":"h","x":[0],"y":"WALK"}
            {"task":"h","x":[0],"y":"RUN"}
            {"task":"h","x":[0],"y":"WALK"}

            """)
        let classes = try sh.succeed("mtif-data stats c.ndjson").stdout
        #expect(classes == """
            {"type":"task","task":"a","count":3,"features":2,"classes":{"0":2,"2":1},"splits":{"train":1,"val":1,"test":1}}
            {"type":"task","task":"b","count":1,"features":2,"classes":{"1":1},"splits":{"train":1,"val":0,"test":0}}
            {"type":"total","tasks":2,"count":4,"features":2,"classes":{"0":2,"1":1,"2":1},"splits":{"train":2,"val":1,"test":1}}

            """)
        // Population std: √(2/3) for r; the total over 0.5, 1.5, 2.5, −1: mean 0.875.
        let regression = try sh.succeed("mtif-data stats < r.ndjson").stdout
        #expect(regression == """
            {"type":"task","task":"r","count":3,"features":1,"mean":1.5,"std":\((2.0 / 3).squareRoot())}
            {"type":"task","task":"s","count":1,"features":1,"mean":-1,"std":0}
            {"type":"total","tasks":2,"count":4,"features":1,"mean":0.875,"std":\((6.6875 / 4).squareRoot())}

            """)
        try sh.succeed("mtif-data stats -o names.ndjson n.ndjson")
        #expect(try sh.read("names.ndjson") == """
            {"type":"task","task":"h","count":3,"features":1,"classes":{"RUN":1,"WALK":2}}
            {"type":"total","tasks":1,"count":3,"features":1,"classes":{"RUN":1,"WALK":2}}

            """)
    }

    @Test func adamRunsAndIsRecorded() throws {
        let sh = try Shell()
        try data(sh)
        let result = try sh.succeed("""
            mtif-train -q --sharing soft --optimizer adam --polish none --epochs 5 --batch-size 16 --learning-rate 0.01 d/train.ndjson -o p.safetensors
            mtif-train -q --sharing soft --max-iter 0 --polish none d/train.ndjson -o p0.safetensors
            mtif-train -q --sharing soft --optimizer adam --epochs 5 --batch-size 16 --learning-rate 0.01 d/train.ndjson -o polished.safetensors
            """)
        let file = try parameters(sh, "p.safetensors")
        let report = try training(file)
        #expect(report["optimizer"] as? String == "adam")
        #expect(report["iterations"] as? Int == 5 * 6)  // 90 rows in minibatches of 16
        #expect(report["stop"] as? String == "epochs")
        #expect(report["converged"] as? Bool == false)
        let untrained = try training(try parameters(sh, "p0.safetensors"))
        #expect((report["objective"] as! Double) < (untrained["objective"] as! Double))
        // Not a stationary point: -q keeps the warning.
        #expect(result.stderr.contains("mtif-train: warning: training stopped (epochs)"), "\(result.dump)")
        // By default Newton finishes what Adam started.
        let polished = try training(try parameters(sh, "polished.safetensors"))
        #expect(polished["optimizer"] as? String == "adam+newton")
        #expect(polished["converged"] as? Bool == true)
        #expect((polished["gradient_norm"] as! Double) <= 1e-10 * max(1, polished["initial_gradient_norm"] as! Double))
    }
}
