import ArgumentParser
import AuditLog
import ConnectVMMetrics
import Core
import ExporterPull
import FakeExporter
import FileReplay
import Generator
import PostgresSink
import UsageRecords
import XrayPush

/// The one explicit list of built-in plugin factories.
///
/// Swift has no load-time self-registration, so adding a plugin means a new
/// SwiftPM target plus one line here. This is the only file of Host that
/// names a concrete plugin or tool target; everything else asks for
/// capabilities (`Sources/Core/Plugin/Capabilities`).
extension PluginRegistry {
    public static func builtIn() -> PluginRegistry {
        do {
            return try PluginRegistry(
                sources: [
                    FileReplayFactory(),
                    GeneratorFactory(),
                    ExporterPullFactory(),
                    XrayPushFactory(),
                    ConnectVMMetricsFactory(),
                    UsageRecordsFactory(),
                ],
                sinks: [
                    AuditLogFactory(),
                    PostgresSinkFactory(),
                ],
                legacyEnvironment: LegacyEnvironment.Types(
                    pullSource: ExporterPullFactory().type, ledgerSink: PostgresSinkFactory().type))
        } catch {
            // The list above is fixed at compile time; a duplicate is a programming error.
            preconditionFailure("\(error)")
        }
    }

    /// The commands of the built-in dev tools, `billing-service dev <name>`: a
    /// tool (not a plugin) brings its own command, listed here like a plugin.
    static var builtInDevCommands: [any ParsableCommand.Type] {
        [FakeExporterCommand.self]
    }
}
