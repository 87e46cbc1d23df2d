import Shared
import Testing

@Suite struct TicksTests {
    @Test func coveringWidensToWholeSteps() {
        let ticks = Ticks(covering: 0.013, 0.87)
        #expect(ticks.labels == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(ticks.lower == 0 && ticks.upper == 1)
        #expect(ticks.step == 0.2)
    }

    @Test func withinKeepsTheLimits() {
        let ticks = Ticks(within: -0.37, 0.37)
        #expect(ticks.labels == ["-0.2", "0", "0.2"])
        #expect(ticks.lower == -0.37 && ticks.upper == 0.37)
        // A limit on a tick keeps the tick.
        #expect(Ticks(within: -1, 1, count: 4).labels == ["-1", "-0.5", "0", "0.5", "1"])
    }

    @Test func stepsAreOneTwoFive() {
        #expect(Ticks(covering: 0, 100).labels == ["0", "20", "40", "60", "80", "100"])
        #expect(Ticks(covering: 0, 10, count: 2).labels == ["0", "5", "10"])
        #expect(Ticks(covering: 0, 1, count: 10).step == 0.1)
        #expect(Ticks(covering: -3, 7).labels == ["-4", "-2", "0", "2", "4", "6", "8"])
        for (lo, hi) in [(0.0, 1.0), (-0.0031, 0.0075), (12.0, 340.0), (-2e-7, 9e-7), (1e3, 1e6)] {
            let ticks = Ticks(covering: lo, hi)
            #expect([1, 2, 5].contains(ticks.mantissa))
            #expect(ticks.lower <= lo && ticks.upper >= hi)
            #expect(ticks.values.count >= 3 && ticks.values.count <= 12)
        }
    }

    @Test func labelsAreExactDecimalsOrScientific() {
        // 3 × 0.1 is 0.30000000000000004 in floating point; the label is exact.
        #expect(Ticks(covering: 0, 0.5).labels == ["0", "0.1", "0.2", "0.3", "0.4", "0.5"])
        #expect(Ticks(covering: -0.0031, 0.0075).labels
                    == ["-0.004", "-0.002", "0", "0.002", "0.004", "0.006", "0.008"])
        #expect(Ticks(covering: 0, 4e-6, count: 4).labels == ["0", "1e-6", "2e-6", "3e-6", "4e-6"])
        #expect(Ticks.format(15, -6) == "1.5e-5")
        #expect(Ticks.format(25, 6) == "2.5e7")
        #expect(Ticks.format(-5, -2) == "-0.05")
    }

    @Test func degenerateRanges() {
        #expect(Ticks(covering: 0, 0).labels == ["-1", "-0.5", "0", "0.5", "1"])
        let single = Ticks(covering: 2, 2)
        #expect(single.lower < 2 && single.upper > 2)
    }

    @Test func significantDigits() {
        #expect(Ticks.significant(0.01234) == "0.012")
        #expect(Ticks.significant(-3.2e-7) == "-3.2e-7")
        #expect(Ticks.significant(0.0999) == "0.1")
        #expect(Ticks.significant(0) == "0")
        #expect(Ticks.significant(1234) == "1200")
    }
}
