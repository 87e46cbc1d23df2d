import Testing
import Shared

@Suite struct DatasetStatsTests {
    @Test func classificationRecordsAreExact() throws {
        let examples = [
            Example(id: "1", task: "b", x: [1, 2], y: .index(2)),
            Example(id: "2", task: "a", x: [0, 0], y: .index(0)),
            Example(id: "3", task: "a", x: [0, 1], y: .index(10)),
            Example(id: "4", task: "a", x: [0, 1], y: .index(2)),
            Example(id: "5", task: "b", x: [3, 1], y: .index(2)),
        ]
        let stats = try DatasetStats(examples)
        #expect(stats.features == 2)
        #expect(stats.tasks.map(\.task) == ["a", "b"])
        #expect(stats.tasks.map(\.count) == [3, 2])
        #expect(try stats.records() == [
            #"{"type":"task","task":"a","count":3,"features":2,"classes":{"0":1,"2":1,"10":1}}"#,
            #"{"type":"task","task":"b","count":2,"features":2,"classes":{"2":2}}"#,
            #"{"type":"total","tasks":2,"count":5,"features":2,"classes":{"0":1,"2":3,"10":1}}"#,
        ])
    }

    @Test func regressionRecordsGiveMeanAndPopulationStd() throws {
        let examples = [
            Example(id: "1", task: "r", x: [1], y: .value(1)),
            Example(id: "2", task: "r", x: [1], y: .value(2)),
            Example(id: "3", task: "s", x: [1], y: .value(0.5)),
            Example(id: "4", task: "r", x: [1], y: .value(3)),
            Example(id: "5", task: "r", x: [1], y: .value(4)),
            Example(id: "6", task: "s", x: [1], y: .index(3)),  // an integer literal is a value here
        ]
        #expect(try DatasetStats(examples).records() == [
            #"{"type":"task","task":"r","count":4,"features":1,"mean":2.5,"std":1.118033988749895}"#,
            #"{"type":"task","task":"s","count":2,"features":1,"mean":1.75,"std":1.25}"#,
            #"{"type":"total","tasks":2,"count":6,"features":1,"mean":2.25,"std":1.2162099599438687}"#,
        ])
    }

    @Test func namesAreSortedEscapedAndSplitsCounted() throws {
        let split = { (value: String) in [ExtraField(key: "split", json: "\"\(value)\"")] }
        let examples = [
            Example(id: "1", task: "q\"\n\u{1}", x: [], y: .name("WALK"), extras: split("train")),
            Example(id: "2", task: "q\"\n\u{1}", x: [], y: .name("RUN"), extras: split("test")),
            Example(id: "3", task: "q\"\n\u{1}", x: [], y: .name("WALK"), extras: split("train")),
        ]
        #expect(try DatasetStats(examples).records() == [
            #"{"type":"task","task":"q\"\n\u0001","count":3,"features":0,"classes":{"RUN":1,"WALK":2},"splits":{"train":2,"val":0,"test":1}}"#,
            #"{"type":"total","tasks":1,"count":3,"features":0,"classes":{"RUN":1,"WALK":2},"splits":{"train":2,"val":0,"test":1}}"#,
        ])
    }

    @Test func syntheticDefaultsAreBalancedEnough() throws {
        let stats = try DatasetStats(makeSyntheticData(SyntheticSpec()))
        #expect(stats.tasks.count == 6 && stats.total.count == 1800 && stats.features == 10)
        #expect(stats.total.splits == [360, 240, 1200])
        for task in stats.tasks {
            guard case .classes(let counts) = task.labels else { Issue.record("not classes"); continue }
            #expect(counts.map(\.label) == ["0", "1", "2"])
            #expect(counts.allSatisfy { $0.count >= 45 }, "\(task.task): \(counts)")
        }
    }

    @Test func overflowingStatisticsAreAComputationError() throws {
        // Finite labels whose squared deviations overflow: the std is +∞, which JSON cannot hold.
        let stats = try DatasetStats([Example(id: "1", task: "r", x: [1], y: .value(1e200)),
                                      Example(id: "2", task: "r", x: [1], y: .value(-1e200))])
        guard case .regression(let mean, let std) = stats.total.labels else { Issue.record("not regression"); return }
        #expect(mean == 0 && std == .infinity)
        expectMTIFError(.computation, containing: ["task \"r\"", "standard deviation of y overflows"]) { _ = try stats.records() }
    }

    @Test func emptyAndInconsistentInputs() throws {
        #expect(try DatasetStats([]).records() == [#"{"type":"total","tasks":0,"count":0,"features":0,"classes":{}}"#])
        expectMTIFError(.input, containing: ["\"b\"", "3 features"]) {
            _ = try DatasetStats([Example(id: "a", task: "t", x: [1, 2], y: .index(0)),
                                  Example(id: "b", task: "t", x: [1, 2, 3], y: .index(0))])
        }
        expectMTIFError(.input, containing: ["mix"]) {
            _ = try DatasetStats([Example(id: "a", task: "t", x: [1], y: .index(0)),
                                  Example(id: "b", task: "t", x: [1], y: .name("x"))])
        }
    }
}

@Suite struct DataStandardizerTests {
    private let examples = [
        Example(id: "e0", task: "t", x: [1, 5, -2], y: .index(0)),
        Example(id: "e1", task: "t", x: [3, 5, 0], y: .index(1)),
        Example(id: "e2", task: "u", x: [5, 5, 8], y: .index(0), extras: [ExtraField(key: "k", json: "1")]),
    ]

    @Test func fitsMeanAndStdWithConstantFeatureStdOne() throws {
        let s = try Standardizer(fitting: examples)
        #expect(s.features == 3)
        #expect(s.mean == [3, 5, 2])
        #expect(s.std == [1.632993161855452, 1, 4.320493798938574])
        let out = try s.apply(examples)
        #expect(out[0].x == [-1.224744871391589, 0, -0.9258200997725514])
        #expect(out[2].x[2] == 1.3887301496588271)
        #expect(out[2].extras == examples[2].extras && out[2].id == "e2" && out[2].y == .index(0))
        // Standardized training features have mean 0 and std 1 (constant ones 0).
        let refit = try Standardizer(fitting: out)
        for j in 0 ..< 3 { #expect(abs(refit.mean[j]) < 1e-15) }
        #expect(abs(refit.std[0] - 1) < 1e-15 && abs(refit.std[2] - 1) < 1e-15 && refit.std[1] == 1)
        var x = out[1].x
        s.invert(&x)
        #expect(zip(x, examples[1].x).allSatisfy { abs($0 - $1) < 1e-15 })
    }

    @Test func jsonIsExactAndRoundTrips() throws {
        let s = try Standardizer(fitting: examples)
        #expect(s.json == #"{"type":"standardizer","features":3,"mean":[3,5,2],"std":[1.632993161855452,1,4.320493798938574]}"#)
        #expect(try Standardizer(json: s.json) == s)
        let awkward = try Standardizer(mean: [0.1, -1e-300, 123456789.125], std: [3e-7, 1e20, 0.30000000000000004])
        #expect(try Standardizer(json: awkward.json) == awkward)
        let spaced = try Standardizer(json: " { \"std\" : [ 2 , 4 ] , \"note\": \"x\", \"mean\":[1e0,-2.5] }\n")
        #expect(spaced.mean == [1, -2.5] && spaced.std == [2, 4])
    }

    @Test func errors() throws {
        let s = try Standardizer(fitting: examples)
        expectMTIFError(.input, containing: ["\"bad\"", "2 features", "fitted on 3"]) {
            _ = try s.apply([Example(id: "bad", task: "t", x: [1, 2], y: .index(0))])
        }
        expectMTIFError(.input, containing: ["no examples"]) { _ = try Standardizer(fitting: []) }
        expectMTIFError(.input, containing: ["\"e1\"", "2 features"]) {
            _ = try Standardizer(fitting: [examples[0], Example(id: "e1", task: "t", x: [1, 2], y: .index(0))])
        }
        expectMTIFError(.input, containing: ["standardizer"]) { _ = try Standardizer(json: #"{"mean":[1],"std":[0]}"#) }
        expectMTIFError(.input, containing: ["standardizer"]) { _ = try Standardizer(json: #"{"mean":[1,2],"std":[1]}"#) }
        expectMTIFError(.input, containing: ["features"]) {
            _ = try Standardizer(json: #"{"features":3,"mean":[1],"std":[1]}"#)
        }
        expectMTIFError(.input, containing: ["standardizer"]) { _ = try Standardizer(json: #"{"mean":[1],"std":[1]} x"#) }
        expectMTIFError(.input, containing: ["standardizer"]) { _ = try Standardizer(json: #"{"mean":[nan],"std":[1]}"#) }
    }
}
