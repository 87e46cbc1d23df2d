import Foundation
import Shared
import Testing

@Suite struct ScatterTests {
    /// Deterministic pairs in every group; actual = predicted plus a pattern of noise.
    private func pairs(_ count: Int) -> [EffectPair] {
        var generator = SplitMix64(seed: 11)
        func noise() -> Double { Double(generator.next() % 1000) / 1000 - 0.5 }
        let groups = EffectPair.Group.allCases
        return (0 ..< count).map { i in
            let group = groups[i % groups.count]
            let predicted = noise() * (group == .loto ? 10 : 1)
            return EffectPair(group: group, target: "t0\((i / groups.count) % 3)", predicted: predicted, actual: predicted + 0.3 * noise())
        }
    }

    @Test func oneCirclePerPairAndTheIdentityLine() throws {
        let input = pairs(2000)
        let doc = try ParsedSVG(Scatter(pairs: input).render())
        #expect(doc.all("circle", inGroup: "points").count == 2000)
        for group in EffectPair.Group.allCases {
            let circles = doc.all("circle", inGroup: "points").filter { $0.groupAttributes["data-group"] == group.rawValue }
            #expect(circles.count == input.filter { $0.group == group }.count)
            #expect(circles.first?.groupAttributes["fill"] == Scatter.color(group))
        }
        // One panel per experiment, each with its dashed y = x line from the bottom-left corner to the top-right.
        let identities = doc.all("line", inGroup: "identity")
        #expect(identities.count == 4)
        for line in identities {
            let x1 = Double(line.attributes["x1"]!)!, y1 = Double(line.attributes["y1"]!)!
            let x2 = Double(line.attributes["x2"]!)!, y2 = Double(line.attributes["y2"]!)!
            #expect(x2 > x1 && y2 < y1 && abs((x2 - x1) - (y1 - y2)) < 0.02)
        }
        #expect(doc.texts.contains(Scatter.defaultTitle))
    }

    @Test func legendGivesEachGroupsCorrelations() throws {
        let input = pairs(400)
        let doc = try ParsedSVG(Scatter(pairs: input, title: "t").render())
        let legend = doc.all("text", inGroup: "legend").map(\.text)
        #expect(legend.count == EffectPair.Group.allCases.count)
        for (group, line) in zip(EffectPair.Group.allCases, legend) {
            let members = input.filter { $0.group == group }
            let r = try #require(pearson(members.map(\.predicted), members.map(\.actual)))
            let rho = try #require(spearman(members.map(\.predicted), members.map(\.actual)))
            #expect(line.hasPrefix(group.label))
            #expect(line.contains("n = \(members.count)"))
            #expect(line.contains("r = \(Scatter.fixed(r))"), "\(line)")
            #expect(line.contains("ρ = \(Scatter.fixed(rho))"), "\(line)")
        }
        #expect(legend.last!.contains("LDS (mean ρ over 3 targets)"))
        #expect(Scatter.fixed(0.93149) == "0.931" && Scatter.fixed(-0.05) == "-0.050" && Scatter.fixed(nil) == "n/a")
    }

    @Test func onlyThePanelsOfPresentExperiments() throws {
        let loo = pairs(100).filter { $0.group == .withinTask || $0.group == .betweenTask }
        let scatter = Scatter(pairs: loo)
        #expect(scatter.panels.map(\.groups) == [[.withinTask, .betweenTask]])
        let doc = try ParsedSVG(scatter.render())
        #expect(doc.all("line", inGroup: "identity").count == 1)
        #expect(doc.all("circle", inGroup: "points").count == loo.count)
    }

    @Test func sameInputSameBytes() {
        #expect(Scatter(pairs: pairs(300)).render() == Scatter(pairs: pairs(300)).render())
    }
}

@Suite struct EffectPairReadingTests {
    private let lines = [
        #"{"type":"pair","experiment":"loo","scope":"within_task","removed":"t01-0003","source":"t01","target":"t01","predicted":0.1,"predicted_uncorrected":0.2,"actual":0.15}"#,
        #"{"type":"agreement","experiment":"loo"}"#,
        #"{"type":"pair","experiment":"loto","scope":"between_task","removed":"t02","source":"t02","target":"t01","predicted":-0.3,"predicted_uncorrected":-0.3,"actual":-0.2}"#,
        #"{"type":"pair","experiment":"lds","scope":"all","removed":"30 examples","source":"*","target":"t02","predicted":0.05,"predicted_uncorrected":0.07,"actual":0.01}"#,
    ]

    @Test func readsGroupsAndTheChosenPrediction() throws {
        let path = try temporaryFile(lines)
        let all = try EffectPair.read(path: path)
        #expect(all.map(\.group) == [.withinTask, .loto, .lds])
        #expect(all.map(\.predicted) == [0.1, -0.3, 0.05])
        let uncorrected = try EffectPair.read(path: path, experiment: "lds", truth: .uncorrected)
        #expect(uncorrected == [EffectPair(group: .lds, target: "t02", predicted: 0.07, actual: 0.01, source: "*")])
        #expect(all[0].source == "t01" && all[0].targetTask == nil && all[0].actualError == nil)
        let point = try temporaryFile([#"{"type":"pair","experiment":"loo","scope":"between_task","removed":"t01-0003","source":"t01","target":"t02-0007","target_task":"t02","predicted":0.1,"predicted_uncorrected":0.2,"actual":0.15,"actual_error":1e-9}"#])
        let read = try EffectPair.read(path: point)
        #expect(read == [EffectPair(group: .betweenTask, target: "t02-0007", predicted: 0.1, actual: 0.15,
                                    targetTask: "t02", source: "t01", actualError: 1e-9)])
        // make linearity's part-of-a-task pairs, by scope; any other scope is refused.
        let part = try temporaryFile([
            #"{"type":"pair","experiment":"group","scope":"within_task","removed":"6 examples","source":"t01","target":"t01","predicted":0.2,"predicted_uncorrected":0.2,"actual":0.3}"#,
            #"{"type":"pair","experiment":"group","scope":"between_task","removed":"6 examples","source":"t01","target":"t02","predicted":0.1,"predicted_uncorrected":0.1,"actual":0.1}"#,
        ])
        #expect(try EffectPair.read(path: part, experiment: "group").map(\.group) == [.partWithinTask, .partBetweenTask])
        let badScope = try temporaryFile([#"{"type":"pair","experiment":"group","scope":"all","target":"t01","predicted":1,"actual":1}"#])
        let error = try #require(throws: MTIFError.self) { try EffectPair.read(path: badScope) }
        #expect(error.message.hasPrefix("\(badScope):1: field \"scope\""))
    }

    @Test func errorsNameFileLineAndField() throws {
        let path = try temporaryFile(lines + [#"{"type":"pair","experiment":"loo","scope":"all","target":"t01","predicted":1,"actual":1}"#])
        let scope = try #require(throws: MTIFError.self) { try EffectPair.read(path: path) }
        #expect(scope.kind == .input && scope.message.hasPrefix("\(path):5: field \"scope\""))

        let noActual = try temporaryFile([#"{"type":"pair","experiment":"lds","scope":"all","target":"t01","predicted":1}"#])
        let actual = try #require(throws: MTIFError.self) { try EffectPair.read(path: noActual) }
        #expect(actual.message.hasPrefix("\(noActual):1: field \"actual\""))

        let onlyLoo = try temporaryFile([lines[0]])
        let none = try #require(throws: MTIFError.self) { try EffectPair.read(path: onlyLoo, experiment: "loto") }
        #expect(none.message.contains("no pair records of experiment loto"))
        let empty = try temporaryFile([""])
        #expect(throws: MTIFError.self) { try EffectPair.read(path: empty) }
    }
}
