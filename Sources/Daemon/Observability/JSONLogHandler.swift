import Core
import Foundation
public import Logging

/// Writes each log record as one JSON line (to stderr by default): `time`,
/// `level`, `label`, `message`, then the metadata (source, pipeline, batch, job…).
///
/// The daemon's default log format, so log shippers need no parsing rules.
/// The handler is a value handed to the logger, never bootstrapped globally.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    @Sendable public static func standardError(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line =
            "{\"time\":" + JSONString.quoted(Self.now()) + ",\"level\":" + JSONString.quoted(event.level.rawValue)
        line += ",\"label\":" + JSONString.quoted(label) + ",\"message\":" + JSONString.quoted("\(event.message)")
        for key in merged.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            line += "," + JSONString.quoted(key) + ":" + JSONString.quoted(merged[key].map { "\($0)" } ?? "")
        }
        write(line + "}\n")
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

}
