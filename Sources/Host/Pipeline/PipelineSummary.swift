/// What one pipeline run did, for the run summary and tests.
public struct PipelineSummary: Sendable, Equatable {
    public var pipeline: String
    public var batches: Int = 0
    public var observations: Int = 0
    public var facts: Int = 0
    public var resets: Int = 0
    public var gaps: Int = 0
    public var duplicates: Int = 0
    public var late: Int = 0
    public var baselined: Int = 0
    public var quarantined: Int = 0
    /// Facts whose metric has no price, per metric (rated 0, never dropped).
    public var unpriced: [String: Int] = [:]
    public var lastPosition: String = ""
    /// Sources that stopped with an error, with the error (their cursors did not move past it).
    public var failures: [String: String] = [:]

    public init(pipeline: String) { self.pipeline = pipeline }

    /// A few lines for humans.
    public var text: String {
        var lines = [
            "pipeline \(pipeline): \(batches) batches, \(observations) observations -> \(facts) facts",
            "  resets \(resets), gaps \(gaps), duplicates \(duplicates), late \(late), baselined \(baselined), "
                + "quarantined \(quarantined)",
        ]
        if !unpriced.isEmpty {
            let list = unpriced.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
            lines.append("  unpriced metrics, rated 0: \(list)")
        }
        if !lastPosition.isEmpty { lines.append("  position \(lastPosition)") }
        for (source, message) in failures.sorted(by: { $0.key < $1.key }) {
            lines.append("  source \(source) FAILED: \(message)")
        }
        return lines.joined(separator: "\n")
    }
}
