public import Core

/// Makes `generator` sources: deterministic synthetic load in the exact shape of
/// the real exporters, for benchmarks, crash tests and fixtures.
public struct GeneratorFactory: SourceFactory {
    public let type = "generator"
    public let summary = "deterministic synthetic xray/vm counters with resets, duplicates, reordering and gaps"

    public init() {}

    public static let maxSubjects = 10_000_000
    public static let maxNodes = 100_000
    public static let maxVMs = 10_000_000
    static let acceptedYears = "\(Timestamp.acceptedYears.lowerBound)…\(Timestamp.acceptedYears.upperBound)"

    public func makeSource(id: String, config: ConfigMap, context: PluginContext) -> (any ObservationSource)? {
        guard let (settings, metering) = Self.decode(config) else { return nil }
        return GeneratorSource(id: id, settings: settings, metering: metering, clock: context.clock)
    }

    /// Decodes and validates a `generator` config entry, recording every problem in
    /// `config`'s diagnostics; `nil` when there was any.
    public static func decode(_ config: ConfigMap) -> (GeneratorSettings, MeteringOptions)? {
        let problemsBefore = config.diagnostics.problems.count
        config.declare("type")
        var settings = GeneratorSettings()
        if let seed = config.integer("seed", as: UInt64.self) { settings.seed = seed }
        if let subjects = config.integer("subjects", in: 1...maxSubjects) { settings.subjects = subjects }
        if let nodes = config.integer("nodes", in: 1...maxNodes) { settings.nodes = nodes }
        if let families = readFamilies(config) { settings.families = families }
        if let start = config.timestamp("start") {
            if start.isAccepted {
                settings.start = start
            } else {
                config.problem("start", "must be in the accepted years \(acceptedYears) (UTC), found \(start)")
            }
        }
        if let interval = config.duration("interval", minimum: .seconds(1)) {
            if interval > .seconds(86_400) {
                config.problem("interval", "must be at most 1d")
            } else {
                settings.interval = interval
            }
        }
        if let duration = config.duration("duration") {
            if duration < settings.interval {
                config.problem("duration", "must be at least the interval (\(settings.interval)): no tick would run")
            } else if settings.start.adding(duration) >= Timestamp.acceptedRange.upperBound {
                config.problem(
                    "duration",
                    "start + duration must end before \(Timestamp.acceptedRange.upperBound), the accepted years")
            } else {
                settings.duration = duration
            }
        }
        if let vms = config.integer("vms_per_subject", in: 1...1_000) { settings.vmsPerSubject = vms }
        if settings.subjects * settings.vmsPerSubject > maxVMs {
            config.problem("vms_per_subject", "subjects × vms_per_subject must be at most \(maxVMs)")
        }
        if let env = config.string("env") {
            if env.isEmpty {
                config.problem("env", "must not be empty")
            } else if let violation = LabelRules.violation(in: env, field: .dimensionValue) {
                config.problem("env", "\(violation)")
            } else {
                settings.env = env
            }
        }
        if let p = readProbability(config, "counter_reset") { settings.counterReset = p }
        if let p = readProbability(config, "duplicate") { settings.duplicate = p }
        if let p = readProbability(config, "out_of_order") { settings.outOfOrder = p }
        if let p = readProbability(config, "gap") { settings.gap = p }
        if let n = config.integer("max_gap_intervals", in: 1...10_000) { settings.maxGapIntervals = n }
        if let n = config.integer("batch_size", in: 1...10_000_000) { settings.batchSize = n }

        // Unbounded unless configured: the generator's times come from its own
        // validated `start` and `duration`, not from an upstream clock that can be wrong.
        var metering = MeteringOptions.read(from: config, window: .unbounded)
        if !config.has("expected_interval") { metering.expectedInterval = settings.interval }
        config.finish()
        guard config.diagnostics.problems.count == problemsBefore else { return nil }
        return (settings, metering)
    }

    private static func readFamilies(_ config: ConfigMap) -> [GeneratorSettings.Family]? {
        guard let items = config.list("families") else { return nil }
        if items.isEmpty {
            config.problem("families", "must name at least one of: xray, vm")
            return nil
        }
        var families: [GeneratorSettings.Family] = []
        var valid = true
        for (path, node) in items {
            guard let text = node.scalar, let family = GeneratorSettings.Family(rawValue: text) else {
                config.diagnostics.record(
                    path: path, line: node.line,
                    "unknown family \(node.scalar.map { "\"\($0)\"" } ?? node.kindName) (valid: xray, vm)")
                valid = false
                continue
            }
            if families.contains(family) {
                config.diagnostics.record(path: path, line: node.line, "\(text) is listed twice")
                valid = false
            }
            families.append(family)
        }
        return valid ? families : nil
    }

    private static func readProbability(_ config: ConfigMap, _ key: String) -> Probability? {
        guard let text = config.string(key) else { return nil }
        guard let probability = Probability(decimal: text) else {
            config.problem(
                key,
                "expected a probability between 0 and 1 written as a decimal such as \"0.001\" "
                    + "(at most 9 decimals), found \"\(text)\"")
            return nil
        }
        return probability
    }
}
