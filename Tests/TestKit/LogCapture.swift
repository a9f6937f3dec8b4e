public import InMemoryLogging
public import Logging

/// A logger whose every line is kept (level, message, metadata), so a test can
/// assert what a plugin or the host told the operator. Safe to log into from
/// any task; built on swift-log's `InMemoryLogHandler`.
public struct LogCapture: Sendable {
    /// One kept line.
    public struct Record: Sendable, Equatable {
        public var level: Logger.Level
        public var message: String
        /// The logger's metadata merged with the line's, rendered as text.
        public var metadata: [String: String]
    }

    private let handler: InMemoryLogHandler
    /// Hand this to the code under test.
    public let logger: Logger

    /// Keeps lines at `level` and above.
    public init(label: String = "test", level: Logger.Level = .trace) {
        var handler = InMemoryLogHandler()
        handler.logLevel = level
        self.handler = handler
        var logger = Logger(label: label) { _ in handler }
        logger.logLevel = level
        self.logger = logger
    }

    /// Every line so far, in the order they were logged.
    public var records: [Record] {
        handler.entries.map { entry in
            Record(
                level: entry.level, message: entry.message.description,
                metadata: entry.metadata.mapValues { $0.description })
        }
    }

    /// The messages logged at exactly `level`.
    public func messages(at level: Logger.Level) -> [String] {
        records.filter { $0.level == level }.map(\.message)
    }

    /// Forgets every line kept so far.
    public func clear() { handler.clear() }
}
