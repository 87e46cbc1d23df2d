import Testing
import Shared

extension Formats {
    @Suite struct HARLayoutTests {
        /// A tiny "UCI HAR Dataset" folder: 3 subjects, 4 features, 3 activities.
        static func makeFolder(_ dir: TemporaryDirectory, xTrain: String? = nil, yTest: String? = nil) throws -> String {
            try dir.write("HAR/activity_labels.txt", "1 WALKING\n2 SITTING\n3 LAYING\n")
            try dir.write("HAR/features.txt", "1 f-mean()-X\n2 f-mean()-Y\n3 f-std()-X\n4 f,odd\n")
            try dir.write("HAR/train/X_train.txt", xTrain ?? """
                  2.8858451e-001 -2.0294171e-002 -1.3290514e-001 -9.9527860e-001
                  1.0000000e+000  0.0000000e+000 -1.0000000e+000  5.0000000e-001
                 -1.0 2 3 4

                """)
            try dir.write("HAR/train/y_train.txt", "1\n3\n2\n")
            try dir.write("HAR/train/subject_train.txt", "1\n3\n1\n")
            try dir.write("HAR/test/X_test.txt", "  9 8 7 6\n5 4 3 2\n")
            try dir.write("HAR/test/y_test.txt", yTest ?? "2\n2\n")
            try dir.write("HAR/test/subject_test.txt", "2\n1\n")
            return dir.path + "/HAR"
        }

        @Test func mergesTrainAndTest() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            let examples = try HARLayout.read(folder: try Self.makeFolder(dir))
            let train = [ExtraField(key: "har_split", json: "\"train\"")]
            let test = [ExtraField(key: "har_split", json: "\"test\"")]
            #expect(examples == [
                Example(id: "s01-0000", task: "s01", x: [0.28858451, -0.020294171, -0.13290514, -0.9952786], y: .name("WALKING"), extras: train),
                Example(id: "s03-0000", task: "s03", x: [1, 0, -1, 0.5], y: .name("LAYING"), extras: train),
                Example(id: "s01-0001", task: "s01", x: [-1, 2, 3, 4], y: .name("SITTING"), extras: train),
                Example(id: "s02-0000", task: "s02", x: [9, 8, 7, 6], y: .name("SITTING"), extras: test),
                Example(id: "s01-0002", task: "s01", x: [5, 4, 3, 2], y: .name("SITTING"), extras: test),
            ])
            let line = try encodeExampleLine(examples[3])
            #expect(line == "{\"id\":\"s02-0000\",\"task\":\"s02\",\"x\":[9,8,7,6],\"y\":\"SITTING\",\"har_split\":\"test\"}\n")
        }

        @Test func errorsNameFileAndLine() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanUp() }
            var folder = try Self.makeFolder(dir, xTrain: "1 2 3 4\n1 2 3\n1 2 3 4\n")
            expectInputError(["train/X_train.txt:2:", "3 values, but features.txt lists 4"]) { _ = try HARLayout.read(folder: folder) }
            folder = try Self.makeFolder(dir, yTest: "2\n9\n")
            expectInputError(["test/y_test.txt:2:", "activity 9 out of range"]) { _ = try HARLayout.read(folder: folder) }
            folder = try Self.makeFolder(dir, yTest: "2\n")
            expectInputError(["subject_test.txt", "2 rows", "y_test.txt has 1"]) { _ = try HARLayout.read(folder: folder) }
            folder = try Self.makeFolder(dir, xTrain: "1 2 3 4\n1 2 3 4\n")
            expectInputError(["X_train.txt", "2 rows", "have 3"]) { _ = try HARLayout.read(folder: folder) }
            folder = try Self.makeFolder(dir, xTrain: "1 2 3 4\n1 2 3 4\n1 2 3 4\n1 2 3 4\n")
            expectInputError(["X_train.txt:4:", "more rows"]) { _ = try HARLayout.read(folder: folder) }
            folder = try Self.makeFolder(dir, xTrain: "1 2 3 4\n1 NaN 3 4\n1 2 3 4\n")
            expectInputError(["X_train.txt:2:", "value 2"]) { _ = try HARLayout.read(folder: folder) }
            expectInputError(["nowhere/activity_labels.txt"]) { _ = try HARLayout.read(folder: dir.path + "/nowhere") }
            do {
                _ = try HARLayout.read(folder: dir.path + "/nowhere")
            } catch let error as MTIFError {
                #expect(error.hint?.contains("UCI HAR Dataset layout") == true)
            }
        }
    }
}
