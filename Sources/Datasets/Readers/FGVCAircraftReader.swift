import Foundation

/// FGVC-Aircraft as CoOp's `FGVCAircraft` reads it (no split_zhou file):
///
///     fgvc_aircraft/variants.txt                 one class name per line; label = line index
///     fgvc_aircraft/images_variant_train.txt     "<image id> <class name with spaces>"
///     fgvc_aircraft/images_variant_val.txt
///     fgvc_aircraft/images_variant_test.txt
///     fgvc_aircraft/images/<image id>.jpg
enum FGVCAircraftReader {
    /// Reads the three splits; class names come from variants.txt.
    static func read(datasetDirectory dir: URL, name: String) throws -> DatasetSplits {
        let imageRoot = dir.appendingPathComponent("images")
        let variantsFile = dir.appendingPathComponent("variants.txt")
        let classnames = try FileListing.strippedLines(of: variantsFile, what: "FGVCAircraft class list").map(\.text)
        var labelOf: [String: Int] = [:]
        for (i, c) in classnames.enumerated() where labelOf[c] == nil { labelOf[c] = i }

        func split(_ file: String) throws -> [Datum] {
            let url = dir.appendingPathComponent(file)
            return try FileListing.strippedLines(of: url, what: "FGVCAircraft split list").map { line in
                let parts = FileListing.splitOnSpace(line.text)
                guard parts.count >= 2, !parts[0].isEmpty else {
                    throw DatasetError.badLine(path: url.path, line: line.number,
                                               reason: "expected '<image id> <class name>', found '\(line.text)'")
                }
                let classname = parts[1...].joined(separator: " ")
                guard let label = labelOf[classname] else {
                    throw DatasetError.badLine(path: url.path, line: line.number,
                                               reason: "class '\(classname)' is not listed in \(variantsFile.path)")
                }
                return Datum(imagePath: imageRoot.appendingPathComponent(parts[0] + ".jpg").path,
                             label: label, classname: classname)
            }
        }
        return DatasetSplits(name: name, datasetDirectory: dir, imageRoot: imageRoot,
                             train: try split("images_variant_train.txt"),
                             val: try split("images_variant_val.txt"),
                             test: try split("images_variant_test.txt"),
                             classnames: classnames)
    }
}
