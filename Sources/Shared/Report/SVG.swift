/// A small SVG document builder: shapes and text appended in drawing order,
/// written as text by hand (no XML library). Coordinates are user units of a
/// `0 0 width height` viewBox; numbers are written with at most two decimals
/// and no trailing zeros (`12.5`, `3`, `-0.25`), text and attribute values are
/// XML-escaped. The same calls give the same bytes.
///
///     var svg = SVG(width: 400, height: 300)
///     svg.rect(x: 10, y: 10, width: 20, height: 20, fill: "#b2182b")
///     svg.text("t01 <draft>", x: 20, y: 50, size: 11, anchor: .middle)
///     let text = svg.document
package struct SVG {
    package let width: Double
    package let height: Double
    private var defs = ""
    private var body = ""

    package enum Anchor: String { case start, middle, end }

    /// An empty drawing with a white background.
    package init(width: Double, height: Double) {
        self.width = width
        self.height = height
        rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
    }

    /// The complete SVG text, ending with a newline.
    package var document: String {
        let size = "width=\"\(SVG.number(width))\" height=\"\(SVG.number(height))\""
        var text = "<svg xmlns=\"http://www.w3.org/2000/svg\" \(size) "
        text += "viewBox=\"0 0 \(SVG.number(width)) \(SVG.number(height))\" "
        text += "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        if !defs.isEmpty { text += "<defs>\n" + defs + "</defs>\n" }
        return text + body + "</svg>\n"
    }

    /// Draws `other` (without its background) with its origin at (x, y). Its
    /// definitions join this drawing's, each distinct one once, so drawings
    /// that define the same gradient or pattern can sit side by side.
    package mutating func place(_ other: SVG, x: Double, y: Double) {
        for definition in other.defs.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = definition + "\n"
            if !defs.contains(line) { defs += line }
        }
        body += "<g transform=\"translate(\(SVG.number(x)),\(SVG.number(y)))\">\n" + other.body + "</g>\n"
    }

    // MARK: Elements

    /// `<title>`: the accessible name of the drawing (or of the enclosing group).
    package mutating func title(_ text: String) {
        body += "<title>\(SVG.escape(text))</title>\n"
    }

    /// A rectangle; `tooltip` becomes its `<title>` (shown on hover by browsers).
    package mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String,
        stroke: String? = nil, strokeWidth: Double? = nil, tooltip: String? = nil
    ) {
        var attributes = [("x", SVG.number(x)), ("y", SVG.number(y)),
                          ("width", SVG.number(width)), ("height", SVG.number(height)), ("fill", fill)]
        if let stroke { attributes.append(("stroke", stroke)) }
        if let strokeWidth { attributes.append(("stroke-width", SVG.number(strokeWidth))) }
        if let tooltip {
            body += "<rect" + SVG.attributes(attributes) + "><title>" + SVG.escape(tooltip) + "</title></rect>\n"
        } else {
            element("rect", attributes)
        }
    }

    package mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil
    ) {
        var attributes = [("x1", SVG.number(x1)), ("y1", SVG.number(y1)), ("x2", SVG.number(x2)),
                          ("y2", SVG.number(y2)), ("stroke", stroke), ("stroke-width", SVG.number(width))]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        element("line", attributes)
    }

    /// A circle; fill and opacity may come from an enclosing `group`.
    package mutating func circle(cx: Double, cy: Double, r: Double, fill: String? = nil) {
        var attributes = [("cx", SVG.number(cx)), ("cy", SVG.number(cy)), ("r", SVG.number(r))]
        if let fill { attributes.append(("fill", fill)) }
        element("circle", attributes)
    }

    /// Text at (x, y) (the baseline), optionally rotated by `rotate` degrees about that point.
    package mutating func text(
        _ string: String, x: Double, y: Double, size: Double, anchor: Anchor = .start,
        rotate: Double? = nil, bold: Bool = false, fill: String? = nil
    ) {
        var attributes = [("x", SVG.number(x)), ("y", SVG.number(y)), ("font-size", SVG.number(size))]
        if anchor != .start { attributes.append(("text-anchor", anchor.rawValue)) }
        if bold { attributes.append(("font-weight", "bold")) }
        if let fill { attributes.append(("fill", fill)) }
        if let rotate {
            attributes.append(("transform", "rotate(\(SVG.number(rotate)) \(SVG.number(x)) \(SVG.number(y)))"))
        }
        body += "<text" + SVG.attributes(attributes) + ">" + SVG.escape(string) + "</text>\n"
    }

    /// Opens a `<g>` whose attributes (fill, opacity, class, …) its children inherit.
    package mutating func beginGroup(_ attributes: [(String, String)]) {
        body += "<g" + SVG.attributes(attributes) + ">\n"
    }

    package mutating func endGroup() {
        body += "</g>\n"
    }

    /// A diagonal hatch usable as `fill="url(#id)"`: grey stripes on light grey.
    package mutating func hatchPattern(id: String) {
        defs += "<pattern id=\"\(SVG.escape(id))\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\">"
        defs += "<rect width=\"6\" height=\"6\" fill=\"#e0e0e0\"/>"
        defs += "<path d=\"M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5\" stroke=\"#8c8c8c\" stroke-width=\"1\"/></pattern>\n"
    }

    /// A vertical gradient usable as `fill="url(#id)"`, `stops` from the top
    /// (offset 0) to the bottom (offset 1).
    package mutating func verticalGradient(id: String, stops: [(offset: Double, color: String)]) {
        defs += "<linearGradient id=\"\(SVG.escape(id))\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
        for stop in stops {
            defs += "<stop offset=\"\(SVG.number(stop.offset))\" stop-color=\"\(SVG.escape(stop.color))\"/>"
        }
        defs += "</linearGradient>\n"
    }

    private mutating func element(_ name: String, _ attributes: [(String, String)]) {
        body += "<" + name + SVG.attributes(attributes) + "/>\n"
    }

    private static func attributes(_ list: [(String, String)]) -> String {
        var text = ""
        for (name, value) in list { text += " \(name)=\"\(escape(value))\"" }
        return text
    }

    // MARK: Text and numbers

    /// `text` safe inside XML character data and double-quoted attributes:
    /// `& < > " '` as entities; characters XML 1.0 forbids (C0 controls other
    /// than tab, newline, carriage return) as U+FFFD.
    package static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// `value` rounded to two decimals, without trailing zeros or a negative zero:
    /// 12.5 → "12.5", 3.0 → "3", -0.004 → "0". Integer arithmetic, so the text
    /// does not depend on the platform's float formatting.
    package static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = Int64((value * 100).rounded())
        if hundredths == 0 { return "0" }
        let magnitude = hundredths.magnitude
        var text = hundredths < 0 ? "-" : ""
        text += String(magnitude / 100)
        let fraction = magnitude % 100
        if fraction != 0 {
            text += fraction % 10 == 0 ? ".\(fraction / 10)" : (fraction < 10 ? ".0\(fraction)" : ".\(fraction)")
        }
        return text
    }

    /// An estimate of the width of `text` at font size `size` (sans-serif,
    /// average glyph about 0.6 em), for layout.
    package static func textWidth(_ text: String, size: Double) -> Double {
        Double(text.count) * size * 0.6
    }
}
