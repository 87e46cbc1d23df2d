import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG document parsed with Foundation's XMLParser: every element with its
/// attributes, the attributes inherited from enclosing groups, and its text.
final class ParsedSVG: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        /// The `class` attributes of the enclosing `<g>` elements, outermost first.
        var groupClasses: [String]
        /// The attributes of the nearest enclosing `<g>`.
        var groupAttributes: [String: String]
        var text = ""
    }

    private(set) var elements: [Element] = []
    private var stack: [Int] = []
    private var parseError: Error?

    /// Parses `text`, throwing when it is not well-formed XML.
    init(_ text: String) throws {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw parseError ?? parser.parserError ?? NSError(domain: "ParsedSVG", code: 1)
        }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        let groups = stack.map { elements[$0] }.filter { $0.name == "g" }
        elements.append(Element(
            name: name, attributes: attributes, groupClasses: groups.compactMap { $0.attributes["class"] },
            groupAttributes: groups.last?.attributes ?? [:]))
        stack.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = stack.last { elements[last].text += string }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred error: Error) { parseError = error }

    func all(_ name: String, inGroup groupClass: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (groupClass == nil || $0.groupClasses.contains(groupClass!)) }
    }

    /// The text of every `<text>` element.
    var texts: [String] { all("text").map(\.text) }
}

/// (r, g, b) of a `#rrggbb` colour.
func rgb(_ hex: String) -> (Int, Int, Int)? {
    guard hex.count == 7, hex.first == "#", let v = Int(hex.dropFirst(), radix: 16) else { return nil }
    return (v >> 16, (v >> 8) & 255, v & 255)
}

/// Writes `lines` to a fresh temporary file and returns its path.
func temporaryFile(_ lines: [String], name: String = "input") throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(name)-\(UUID().uuidString).ndjson").path
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
