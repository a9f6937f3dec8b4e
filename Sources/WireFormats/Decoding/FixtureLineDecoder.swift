public import Core

/// Decodes one line of any `FixtureFormat` into observations: the single entry
/// point adapters use, so every source of a format maps it identically.
public struct FixtureLineDecoder: Sendable {
    public let format: FixtureFormat
    /// The source id every series gets (`sources.<id>`).
    public let source: String

    public init(format: FixtureFormat, source: String) {
        self.format = format
        self.source = source
    }

    /// Decodes `line` (one JSON document, no newline needed) and appends its
    /// observations to `observations`. On error nothing is appended and the error
    /// says what is wrong and where (byte column within `line`, field path).
    public func decode(_ line: UnsafeRawBufferPointer, into observations: inout [Observation]) throws(WireFormatError) {
        switch format {
        case .xraySnapshots:
            try XraySnapshotDecoder.appendObservations(of: line, source: source, to: &observations)
        case .vmMetrics:
            try VMMetricsBatchDecoder.appendObservations(of: line, source: source, to: &observations)
        case .observations:
            observations.append(try ObservationLineDecoder.decode(line, source: source))
        }
    }

    /// Decodes a line given as text.
    public func decode(_ line: String, into observations: inout [Observation]) throws(WireFormatError) {
        try withUTF8Bytes(of: line) { bytes throws(WireFormatError) in try decode(bytes, into: &observations) }
    }
}
