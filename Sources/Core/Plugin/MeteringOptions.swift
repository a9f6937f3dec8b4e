/// Per-source metering policy, read from the source's own config entry
/// (`initial_sync`, `expected_interval`, `attribute`, and the clock window
/// `max_future_skew`, `max_age`).
public struct MeteringOptions: Hashable, Sendable {
    /// What the first observation of a series means.
    public enum InitialSync: String, Sendable, CaseIterable {
        /// A series first seen in the same UTC minute as the earliest observation the
        /// source ever delivered only sets its baseline (usage from before billing began
        /// is not billed); a series first seen later starts from zero.
        case baseline
        /// Every first value is billed (the counter is taken to have started at zero).
        case billFromZero = "bill_from_zero"
    }

    /// Where a gap's increase goes.
    public enum GapAttribution: String, Sendable, CaseIterable {
        /// The whole increase to the minute of the later observation.
        case end
        /// Spread over the covered minutes in proportion to time, exact integer parts.
        case spread
    }

    public var initialSync: InitialSync
    /// The interval the upstream reports at; a longer step between two observations is a gap.
    public var expectedInterval: Duration
    public var gapAttribution: GapAttribution
    /// Observations outside it are refused by the source (see `ObservationWindow`).
    public var window: ObservationWindow

    public init(
        initialSync: InitialSync = .baseline, expectedInterval: Duration = .seconds(60),
        gapAttribution: GapAttribution = .end, window: ObservationWindow = .unbounded
    ) {
        self.initialSync = initialSync
        self.expectedInterval = expectedInterval
        self.gapAttribution = gapAttribution
        self.window = window
    }

    /// The option keys every source accepts besides its own.
    public static let configKeys = ["initial_sync", "expected_interval", "attribute"] + ObservationWindow.configKeys

    /// Reads the common metering keys of a source's config map; `window` is the
    /// source type's default clock window, which `max_future_skew`/`max_age` override.
    public static func read(from map: ConfigMap, window: ObservationWindow = .unbounded) -> MeteringOptions {
        var options = MeteringOptions()
        if let sync = map.enumeration("initial_sync", of: InitialSync.self) { options.initialSync = sync }
        if let interval = map.duration("expected_interval") { options.expectedInterval = interval }
        if let attribution = map.enumeration("attribute", of: GapAttribution.self) {
            options.gapAttribution = attribution
        }
        options.window = ObservationWindow.read(from: map, defaults: window)
        return options
    }
}
