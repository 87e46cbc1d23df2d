/// The "UCI HAR Dataset" folder layout, read from any path:
///
///     activity_labels.txt        "1 WALKING" … "6 LAYING"
///     features.txt               "1 tBodyAcc-mean()-X" … (D lines)
///     train/X_train.txt          (N_train, D) whitespace-separated numbers
///     train/y_train.txt          activity index per row (1-based)
///     train/subject_train.txt    subject per row
///     test/…_test.txt            the same for the test split
///
/// Train and test are merged into one list of examples in file order (train
/// first): task `s01`…`s30` (the subject, zero-padded to at least 2 digits), `y`
/// the activity name, id `s07-0042` numbered from 0 within each subject, and an
/// extra field `"har_split":"train"|"test"` recording the original split.
package enum HARLayout {
    package static func read(folder: String) throws -> [Example] {
        let root = folder.hasSuffix("/") ? folder : folder + "/"
        let layoutHint = "expected the UCI HAR Dataset layout: activity_labels.txt, features.txt, train/X_train.txt, train/y_train.txt, train/subject_train.txt and the same under test/"
        func path(_ name: String) -> String { root + name }

        var activities: [Int: String] = [:]
        try forEachLine(path("activity_labels.txt"), hint: layoutHint) { line, fields in
            guard fields.count == 2, let k = Int(fields[0]), k >= 1 else {
                throw LineProblem(message: "expected \"<index> <name>\", found \(JSONValue.quoted(line))")
            }
            if let previous = activities.updateValue(fields[1], forKey: k) {
                throw LineProblem(message: "activity \(k) is listed twice (\(JSONValue.quoted(previous)) and \(JSONValue.quoted(fields[1])))")
            }
        }
        guard !activities.isEmpty else { throw MTIFError.input("no activities listed", file: path("activity_labels.txt")) }
        var features = 0
        try forEachLine(path("features.txt"), hint: layoutHint) { _, _ in features += 1 }
        guard features > 0 else { throw MTIFError.input("no features listed", file: path("features.txt")) }

        struct Row { var subject: Int; var activity: String; var x: [Double]; var split: String }
        var rows: [Row] = []
        for split in ["train", "test"] {
            let subjectsFile = path("\(split)/subject_\(split).txt")
            let labelsFile = path("\(split)/y_\(split).txt")
            let featuresFile = path("\(split)/X_\(split).txt")
            var subjects: [Int] = []
            try forEachLine(subjectsFile, hint: layoutHint) { line, fields in
                guard fields.count == 1, let s = Int(fields[0]), s >= 0 else {
                    throw LineProblem(message: "expected a subject number, found \(JSONValue.quoted(line))")
                }
                subjects.append(s)
            }
            var labels: [String] = []
            let known = activities.keys.sorted()
            try forEachLine(labelsFile, hint: layoutHint) { line, fields in
                guard fields.count == 1, let k = Int(fields[0]) else {
                    throw LineProblem(message: "expected an activity index, found \(JSONValue.quoted(line))")
                }
                guard let name = activities[k] else {
                    throw LineProblem(message: "activity \(k) out of range (activity_labels.txt lists \(known.first!)..\(known.last!))")
                }
                labels.append(name)
            }
            guard subjects.count == labels.count else {
                throw MTIFError.input("\(subjects.count) rows, but \(labelsFile) has \(labels.count)", file: subjectsFile,
                                      hint: "the subject, y and X files of a split must have one line per example")
            }
            let lines = try openLines(featuresFile, hint: layoutHint)
            var row = 0
            while let line = try lines.next() {
                var x: [Double] = []
                x.reserveCapacity(features)
                var tokens = WhitespaceTokens(line)
                while let token = tokens.next() {
                    do throws(NumberSyntaxError) { x.append(try NumberParsing.parseLenient(token)) } catch {
                        throw MTIFError.input("value \(x.count + 1): \(error.message), found \(JSONValue.quoted(String(decoding: token, as: UTF8.self)))",
                                              file: featuresFile, line: lines.lineNumber)
                    }
                }
                if x.isEmpty { throw MTIFError.input("blank line", file: featuresFile, line: lines.lineNumber) }
                guard x.count == features else {
                    throw MTIFError.input("\(x.count) values, but features.txt lists \(features)", file: featuresFile, line: lines.lineNumber)
                }
                guard row < subjects.count else {
                    throw MTIFError.input("more rows than the \(subjects.count) of \(subjectsFile) and \(labelsFile)",
                                          file: featuresFile, line: lines.lineNumber,
                                          hint: "the subject, y and X files of a split must have one line per example")
                }
                rows.append(Row(subject: subjects[row], activity: labels[row], x: x, split: split))
                row += 1
            }
            guard row == subjects.count else {
                throw MTIFError.input("\(row) rows, but \(subjectsFile) and \(labelsFile) have \(subjects.count)", file: featuresFile,
                                      hint: "the subject, y and X files of a split must have one line per example")
            }
        }
        let width = max(2, String(rows.map(\.subject).max() ?? 0).count)
        var perSubject: [Int: Int] = [:]
        return rows.map { row in
            let task = "s" + zeroPadded(row.subject, width: width)
            let n = perSubject[row.subject, default: 0]
            perSubject[row.subject] = n + 1
            return Example(id: task + "-" + zeroPadded(n, width: 4), task: task, x: row.x, y: .name(row.activity),
                           extras: [ExtraField(key: "har_split", json: "\"\(row.split)\"")])
        }
    }

    private static func openLines(_ path: String, hint: String) throws -> LineReader {
        do { return try LineReader(path: path) } catch let error as MTIFError {
            throw MTIFError(error.kind, error.message, hint: hint)
        }
    }

    private struct LineProblem: Error { var message: String }

    /// Calls `body` with each non-blank line of a small text file, its
    /// whitespace-separated fields, and the file name.
    private static func forEachLine(
        _ path: String, hint: String, _ body: (String, [String]) throws -> Void
    ) throws {
        // Blank lines are skipped, so the line number comes from the reader, not a count.
        let lines = try openLines(path, hint: hint)
        while let line = try lines.next() {
            var tokens = WhitespaceTokens(line)
            var fields: [String] = []
            while let token = tokens.next() {
                // Names become class labels in JSON: refuse bytes that are not UTF-8
                // rather than turning them into replacement characters.
                guard let field = String(validating: token, as: UTF8.self) else {
                    throw MTIFError.input("invalid UTF-8", file: lines.displayName, line: lines.lineNumber,
                                          hint: "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)")
                }
                fields.append(field)
            }
            if fields.isEmpty { continue }
            do {
                try body(String(decoding: line, as: UTF8.self), fields)
            } catch let problem as LineProblem {
                throw MTIFError.input(problem.message, file: lines.displayName, line: lines.lineNumber)
            }
        }
    }
}

/// The space- or tab-separated tokens of a line.
struct WhitespaceTokens {
    let line: UnsafeRawBufferPointer
    var position = 0

    init(_ line: UnsafeRawBufferPointer) { self.line = line }

    mutating func next() -> UnsafeRawBufferPointer? {
        while position < line.count && (line[position] == 0x20 || line[position] == 0x09) { position += 1 }
        guard position < line.count else { return nil }
        let start = position
        while position < line.count && line[position] != 0x20 && line[position] != 0x09 { position += 1 }
        return UnsafeRawBufferPointer(rebasing: line[start..<position])
    }
}
