import Core
import Foundation
import TestKit

/// One Telegraf-style golden case: `Sources/Adapters/<Adapter>/testcases/<case>/`
/// holds `config.yaml` (the `sources.<id>` entry, `type:` included), any
/// `input.*` files it reads (relative paths resolve in the case's folder), and
/// `expected.jsonl`: every observation the source emits, one a line in
/// docs/observations-format.md, in order.
struct GoldenCase: Sendable, CustomStringConvertible {
    /// `<Adapter>/<case>`.
    let name: String
    let path: String

    var description: String { name }
    var config: String { path + "/config.yaml" }
    var expected: String { path + "/expected.jsonl" }

    static let root = Repository.path("Sources/Adapters")

    /// Every `testcases/*/` folder of every adapter, sorted.
    static let all: [GoldenCase] = {
        let manager = FileManager.default
        var cases: [GoldenCase] = []
        for adapter in ((try? manager.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            let testcases = root + "/" + adapter + "/testcases"
            for name in ((try? manager.contentsOfDirectory(atPath: testcases)) ?? []).sorted() {
                var isDirectory: ObjCBool = false
                let path = testcases + "/" + name
                if manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    cases.append(GoldenCase(name: adapter + "/" + name, path: path))
                }
            }
        }
        return cases
    }()

    /// Copies the case's files into `directory`, so whatever the source writes
    /// (a dead-letter file) stays out of the source tree.
    func copyFiles(to directory: TemporaryDirectory) throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: path) {
            try FileManager.default.copyItem(atPath: path + "/" + file, toPath: directory.file(file))
        }
    }
}
