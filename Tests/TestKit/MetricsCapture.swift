public import CoreMetrics
import MetricsTestKit

/// A metrics factory that keeps every counter, gauge, meter and timer a plugin
/// or the host makes, so a test reads them back by label and dimensions.
/// Safe to record into from any task; built on swift-metrics' `TestMetrics`.
public final class MetricsCapture: Sendable {
    private let metrics = TestMetrics()

    public init() {}

    /// Hand this to the code under test (`PluginContext.metrics`).
    public var factory: any MetricsFactory { metrics }

    /// The sum of every increment of the counter, `nil` when it was never made.
    public func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64? {
        let found = metrics.counters(label: label, dimensions: dimensions)
        return found.isEmpty ? nil : found.reduce(0) { $0 + $1.totalValue }
    }

    /// The last value a gauge (a non-aggregating recorder) or a meter was set to.
    public func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Double? {
        if let recorder = metrics.recorders(label: label, dimensions: dimensions).last, let value = recorder.lastValue {
            return value
        }
        return metrics.meters(label: label, dimensions: dimensions).last?.lastValue
    }

    /// Every duration a timer recorded, in nanoseconds, in order.
    public func timer(_ label: String, _ dimensions: [(String, String)] = []) -> [Int64] {
        metrics.timers(label: label, dimensions: dimensions).flatMap(\.values)
    }

    /// The labels of every metric made so far (sorted, each once).
    public var labels: [String] {
        let all =
            metrics.counters.map(\.label) + metrics.recorders.map(\.label) + metrics.meters.map(\.label)
            + metrics.timers.map(\.label)
        return Array(Set(all)).sorted()
    }
}
