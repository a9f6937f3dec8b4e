public import Core

/// Formats timestamps as quoted RFC 3339 strings, remembering the last one.
///
/// Exists because a fixture writes the same instant many times in a row (every
/// sample of a snapshot, every observation of a tick): formatting once with
/// `Timestamp.rfc3339` and copying the bytes afterwards keeps the encoders fast.
public struct TimestampText: Sendable {
    private var lastTime: Timestamp?
    private var lastBytes: [UInt8] = []

    public init() {}

    /// Appends `"<rfc3339>"` (whole seconds without a fraction, otherwise nine digits).
    public mutating func appendQuoted(_ time: Timestamp, to out: inout [UInt8]) {
        if lastTime != time {
            lastBytes = Array(time.rfc3339(fractionalDigits: .automatic).utf8)
            lastTime = time
        }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: lastBytes)
        out.append(UInt8(ascii: "\""))
    }
}
