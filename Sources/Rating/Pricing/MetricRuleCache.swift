/// The rules of the last few metrics the rater saw, for one price book version.
///
/// Exists for the per-fact path: a linear scan of a handful of entries compares
/// metric names (usually the very same string storage, which `==` answers without
/// reading bytes) instead of hashing the name into the version's dictionary for
/// every fact, and a metric whose first rule has no `match` and no `plan` is
/// resolved without looking at the fact's labels at all.
struct MetricRuleCache {
    /// How a metric's facts find their rule.
    enum Resolution {
        /// The first rule applies to every fact (no `match`, no `plan`).
        case always(CompiledRule)
        /// The first of these whose `match` and `plan` fit.
        case firstMatch([CompiledRule])
        /// The version prices nothing for this metric.
        case unpriced
    }

    /// The version's rules by metric.
    private let byMetric: [String: [CompiledRule]]
    private var metrics: [String] = []
    private var resolutions: [Resolution] = []
    private var next = 0
    private static let size = 8

    init(rules: [String: [CompiledRule]]) {
        byMetric = rules
    }

    @inline(__always)
    mutating func rules(for metric: String) -> Resolution {
        for i in metrics.indices where metrics[i] == metric { return resolutions[i] }
        let resolution = Self.resolution(byMetric[metric])
        if metrics.count < Self.size {
            metrics.append(metric)
            resolutions.append(resolution)
        } else {
            metrics[next] = metric
            resolutions[next] = resolution
            next = (next + 1) % Self.size
        }
        return resolution
    }

    static func resolution(_ candidates: [CompiledRule]?) -> Resolution {
        guard let candidates, let first = candidates.first else { return .unpriced }
        if first.matchKeys.isEmpty && first.rule.plan == nil { return .always(first) }
        return .firstMatch(candidates)
    }
}
