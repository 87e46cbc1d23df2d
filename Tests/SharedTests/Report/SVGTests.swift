import Foundation
import Shared
import Testing

@Suite struct SVGTests {
    @Test func escapesMarkupAndForbiddenCharacters() {
        #expect(SVG.escape(#"a<b&"c"'d>"#) == "a&lt;b&amp;&quot;c&quot;&apos;d&gt;")
        #expect(SVG.escape("bell\u{07}") == "bell\u{FFFD}")
        #expect(SVG.escape("ρ → k") == "ρ → k")
    }

    @Test func numbersAreCompact() {
        #expect(SVG.number(12.5) == "12.5")
        #expect(SVG.number(3) == "3")
        #expect(SVG.number(-0.25) == "-0.25")
        #expect(SVG.number(-0.004) == "0")
        #expect(SVG.number(0.1 + 0.2) == "0.3")
        #expect(SVG.number(7.25) == "7.25")
        #expect(SVG.number(7.1) == "7.1")
    }

    @Test func documentIsWellFormed() throws {
        var svg = SVG(width: 100, height: 50)
        svg.title("a & b")
        svg.hatchPattern(id: "h")
        svg.rect(x: 1, y: 2, width: 3, height: 4, fill: "url(#h)", tooltip: "<cell>")
        svg.beginGroup([("class", "g1"), ("fill", "#000000")])
        svg.circle(cx: 5, cy: 5, r: 1)
        svg.endGroup()
        svg.line(x1: 0, y1: 0, x2: 10, y2: 10, stroke: "#333333", dash: "5 4")
        svg.text(#"x<"y">"#, x: 5, y: 5, size: 10, anchor: .middle, rotate: -90)
        let doc = try ParsedSVG(svg.document)
        #expect(doc.elements.first?.name == "svg")
        #expect(doc.elements.first?.attributes["viewBox"] == "0 0 100 50")
        #expect(doc.all("circle", inGroup: "g1").count == 1)
        #expect(doc.texts == [#"x<"y">"#])
        #expect(doc.all("pattern").count == 1)
    }
}
