import Core
import Foundation
import Host
import Logging
import TestKit
import Testing
import YAMLConfig

/// What every built-in source and sink must hold, checked for each factory of
/// `PluginRegistry.builtIn()`: a plugin added later is covered with no edit here.
@Suite struct PluginConformanceTests {
    /// The clock every plugin sees: the morning of the shipped fixtures' day.
    static let clock = FixedClock("2026-11-01T12:00:00Z")

    /// A context whose environment answers every `<name>_env` variable the
    /// sample names (DATABASE_URL with `databaseURL`), so credentials resolve.
    static func context(
        folder: PluginFolder, base: String, databaseURL: String? = nil, logger: Logger? = nil
    ) -> PluginContext {
        var environment: [String: String] = [:]
        if case .mapping(let entries) = folder.entry.value {
            for entry in entries where entry.key.hasSuffix("_env") {
                guard let name = entry.value.scalar else { continue }
                environment[name] = name == "DATABASE_URL" ? databaseURL ?? "" : "conformance-\(name.lowercased())"
            }
        }
        if let logger {
            return .testing(clock: clock, baseDirectory: base, environment: environment, logger: logger)
        }
        return .testing(clock: clock, baseDirectory: base, environment: environment)
    }

    @Test("the registry lists every plugin folder, and every registered plugin has one", arguments: PluginCase.all)
    func hasAFolderWithReadmeAndSample(_ plugin: PluginCase) throws {
        let folder = try PluginFolder.find(type: plugin.type)
        #expect(FileManager.default.fileExists(atPath: folder.readme), "\(folder.path) has no README.md")
        #expect(FileManager.default.fileExists(atPath: folder.sample), "\(folder.path) has no sample.yaml")
    }

    @Test("every folder with a sample.yaml is a registered plugin")
    func everyFolderIsRegistered() throws {
        let registered = Set(PluginCase.all.map(\.type))
        for folder in try PluginFolder.candidates()
        where FileManager.default.fileExists(atPath: folder + "/sample.yaml") {
            let root = try YAMLDocument.load(path: folder + "/sample.yaml")
            let type = try #require(
                PluginFolder.entry(in: root)?.1["type"]?.scalar, "\(folder)/sample.yaml has no type")
            #expect(registered.contains(type), "\(folder) declares type \(type), which PluginRegistry.builtIn() lacks")
        }
        #expect(registered.count == PluginCase.all.count, "a type is registered twice")
    }

    @Test("sample.yaml decodes through the factory with no problem", arguments: PluginCase.all)
    func sampleDecodes(_ plugin: PluginCase) throws {
        let folder = try PluginFolder.find(type: plugin.type)
        let diagnostics = ConfigDiagnostics()
        let entry = ConfigMap(folder.entry, path: "\(plugin.section).\(folder.id)", diagnostics: diagnostics)
        let made = try plugin.make(
            id: folder.id, entry: entry, context: Self.context(folder: folder, base: "/etc/billing"))
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        #expect(made != nil)
        switch made {
        case .source(let source): #expect(source.id == folder.id)
        case .sink(let sink): #expect(sink.id == folder.id)
        case nil: break
        }
    }

    @Test("the README's option table lists exactly the keys the factory accepts", arguments: PluginCase.all)
    func readmeListsTheAcceptedKeys(_ plugin: PluginCase) throws {
        let folder = try PluginFolder.find(type: plugin.type)
        let accepted = try AcceptedKeys.of(
            plugin, folder: folder, context: Self.context(folder: folder, base: "/etc/billing"))
        // A README may show the `type:` line too; it is the host's key, not an option.
        let documented = try OptionTable.keys(readme: folder.readme).subtracting(["type"])
        #expect(accepted.count >= 3, "implausibly few keys learnt from the factory: \(accepted.sorted())")
        let undocumented = accepted.subtracting(documented).sorted()
        let unknown = documented.subtracting(accepted).sorted()
        #expect(undocumented.isEmpty, "\(folder.readme) does not document \(undocumented)")
        #expect(unknown.isEmpty, "\(folder.readme) documents keys the factory refuses: \(unknown)")
    }

    @Test("the plugin made from its sample opens and closes", arguments: PluginCase.all)
    func opensAndCloses(_ plugin: PluginCase) async throws {
        let folder = try PluginFolder.find(type: plugin.type)
        // Relative paths resolve here: `examples/` reads the shipped fixtures,
        // anything else a plugin writes stays in the temporary directory.
        let base = try TemporaryDirectory("conformance-\(plugin.type)")
        defer { base.remove() }
        try FileManager.default.createSymbolicLink(
            atPath: base.file("examples"), withDestinationPath: Repository.path("examples"))
        try await TestDatabase.with("conformance") { db in
            // The database as `billing-service migrate` prepares a deployment's.
            let migrated = await BillingServiceMain.run(arguments: ["migrate", "--database-url", db.url])
            try #require(migrated == 0, "billing-service migrate exited \(migrated)")
            let logs = LogCapture(level: .warning)
            let context = Self.context(folder: folder, base: base.path, databaseURL: db.url, logger: logs.logger)
            let diagnostics = ConfigDiagnostics()
            let entry = ConfigMap(folder.entry, path: "\(plugin.section).\(folder.id)", diagnostics: diagnostics)
            let made = try #require(
                try plugin.make(id: folder.id, entry: entry, context: context), "\(diagnostics.problems)")
            switch made {
            case .source(let source):
                try await Self.open(source, folder: folder)
            case .sink(let sink):
                try await sink.open(pipeline: "conformance", lastCommittedSequence: 0)
                try await sink.close()
            }
            #expect(logs.messages(at: .error).isEmpty, "\(logs.records)")
            #expect(logs.messages(at: .critical).isEmpty, "\(logs.records)")
        }
    }

    /// Makes a reader from the beginning; reads up to three batches unless the
    /// sample names an http(s) endpoint: reading would then contact that
    /// address, and tests reach nothing but this machine (such a source is
    /// read against a local fake in its own tests).
    static func open(_ source: any ObservationSource, folder: PluginFolder) async throws {
        var reader = try await source.makeReader(from: nil)
        let sample = try String(contentsOfFile: folder.sample, encoding: .utf8)
        guard !sample.contains("http://"), !sample.contains("https://") else { return }
        for _ in 0..<3 {
            guard let batch = try await reader.next() else { return }
            #expect(batch.failure == nil, "\(batch.failure ?? "")")
            #expect(!batch.position.isEmpty)
        }
    }
}
