import AuditLog
import ConnectVMMetrics
import Core
import ExporterPull
import FileReplay
import Generator
import PostgresSink
import UsageRecords
import XrayPush

/// The one explicit list of built-in plugin factories.
///
/// Swift has no load-time self-registration, so adding a plugin means a new
/// SwiftPM target plus one line here.
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
                ])
        } catch {
            // The list above is fixed at compile time; a duplicate is a programming error.
            preconditionFailure("\(error)")
        }
    }
}
