internal import Core

/// Remembers `MetricUnit.of(metric:)` for the few metrics of a batch, so the
/// encoder does not run its String suffix checks once per fact. The unit is a
/// pure function of the metric name, so a cached answer is the same answer.
struct MetricUnitCache {
    private var metrics: [String] = []
    private var units: [String] = []

    /// Metrics beyond this many are looked up each time (a batch rarely has more).
    static let limit = 16

    mutating func unit(of metric: String) -> String {
        for index in metrics.indices where metrics[index] == metric { return units[index] }
        let unit = MetricUnit.of(metric: metric)
        if metrics.count < Self.limit {
            metrics.append(metric)
            units.append(unit)
        }
        return unit
    }
}
