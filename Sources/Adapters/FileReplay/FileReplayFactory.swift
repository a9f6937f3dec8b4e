public import Core
public import WireFormats

/// Builds `file_replay` sources: the adapter developers and tests use to feed
/// fixture files through the same metering, rating and sinks as production.
public struct FileReplayFactory: SourceFactory {
    public init() {}

    public var type: String { "file_replay" }

    public var summary: String {
        "Replays JSON-lines files (xray snapshots, VM metrics batches or observation lines) from a file or directory"
    }

    public static let defaultBatchSize = 20_000

    public func makeSource(id: String, config: ConfigMap, context: PluginContext) -> (any ObservationSource)? {
        let problemsBefore = config.diagnostics.problems.count
        let path = config.string("path", required: true)
        let format = config.enumeration("format", of: FixtureFormat.self, required: true)
        let onError = config.enumeration("on_error", of: FileReplayErrorPolicy.self) ?? .fail
        let deadLetter = config.string("dead_letter")
        if let deadLetter, deadLetter.isEmpty { config.problem("dead_letter", "must not be empty") }
        let batchSize = config.integer("batch_size", in: 1...10_000_000) ?? Self.defaultBatchSize
        let metering = MeteringOptions.read(from: config, window: FileReplaySettings.defaultWindow)
        config.finish()
        guard config.diagnostics.problems.count == problemsBefore, let path, let format else { return nil }

        let resolved = context.resolve(path: path)
        let deadLetterPath = deadLetter.map { context.resolve(path: $0) } ?? Self.defaultDeadLetterPath(for: resolved)
        let settings = FileReplaySettings(
            path: resolved, format: format, onError: onError, deadLetterPath: deadLetterPath, batchSize: batchSize)
        return FileReplaySource(id: id, metering: metering, settings: settings, clock: context.clock)
    }

    /// `<path>.dead-letter.jsonl` beside the input (a trailing `/` of a directory dropped).
    public static func defaultDeadLetterPath(for path: String) -> String {
        var base = path
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        return base + ".dead-letter.jsonl"
    }
}

/// What `file_replay` does with a line it cannot decode.
public enum FileReplayErrorPolicy: String, Hashable, Sendable, CaseIterable {
    /// Stop with a permanent error naming `file:line`; nothing of that line is emitted.
    case fail
    /// Append the line to the dead-letter file, count it, and go on.
    case quarantine
}

/// A validated `file_replay` configuration, paths already resolved.
public struct FileReplaySettings: Hashable, Sendable {
    /// A file, or a directory whose `*.jsonl` files are read in name order.
    public var path: String
    public var format: FixtureFormat
    public var onError: FileReplayErrorPolicy
    public var deadLetterPath: String
    /// Observations per batch (a batch ends on a line boundary, so it may hold a few more).
    public var batchSize: Int

    /// The clock window unless `max_future_skew`/`max_age` say otherwise. Fixtures
    /// are replayed long after they were recorded (the shipped ones are from
    /// November 2026), so the age limit is ten years: wide enough for any fixture
    /// kept in a repository, narrow enough to refuse a year like 1678. A fixture
    /// line a day ahead of the clock is a typo or a wrong clock, not a recording.
    public static let defaultWindow = ObservationWindow(
        maxFutureSkew: .seconds(86_400), maxAge: .seconds(3650 * 86_400))

    public init(
        path: String, format: FixtureFormat, onError: FileReplayErrorPolicy = .fail, deadLetterPath: String? = nil,
        batchSize: Int = FileReplayFactory.defaultBatchSize
    ) {
        self.path = path
        self.format = format
        self.onError = onError
        self.deadLetterPath = deadLetterPath ?? FileReplayFactory.defaultDeadLetterPath(for: path)
        self.batchSize = batchSize
    }
}

/// A `file_replay` source: opens its files only when a reader is made.
public struct FileReplaySource: ObservationSource {
    public let id: String
    public let metering: MeteringOptions
    public let settings: FileReplaySettings
    /// What `metering.window` is checked against; `nil`: no window check.
    public let clock: (any WallClock)?

    public init(
        id: String, metering: MeteringOptions = MeteringOptions(), settings: FileReplaySettings,
        clock: (any WallClock)? = nil
    ) {
        self.id = id
        self.metering = metering
        self.settings = settings
        self.clock = clock
    }

    public func makeReader(from cursor: SourceCursor?) async throws -> any ObservationReader {
        let window = clock.map { LineWindow(window: metering.window, clock: $0) }
        return try FileReplayReader(sourceID: id, settings: settings, cursor: cursor, window: window)
    }
}
