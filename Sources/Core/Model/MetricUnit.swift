/// Names the base unit of a metric, so every output says what its integers count.
///
/// The unit follows from the metric's name by convention (`*_bytes` counts
/// bytes, `*_ns` nanoseconds, `*_byte_seconds` byte-seconds, `*tokens`
/// tokens); anything else counts plain units.
public enum MetricUnit {
    public static func of(metric: String) -> String {
        if metric.hasSuffix("_byte_seconds") { return "byte_second" }
        if metric.hasSuffix("_bytes") { return "byte" }
        if metric.hasSuffix("_ns") { return "nanosecond" }
        if metric.hasSuffix("_seconds") { return "second" }
        if metric.hasSuffix("tokens") { return "token" }
        return "unit"
    }
}
