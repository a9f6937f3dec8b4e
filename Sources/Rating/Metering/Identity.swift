public import Core
import Hashing

/// Computes series digests and fact ids: the byte layouts that make metering replay-safe.
///
/// Exists as one place so the audit documentation can cite the exact bytes, and so
/// the hot path hashes from a reused stack buffer instead of allocating per fact.
///
/// **Series digest** = the first 16 bytes of SHA-256(`SeriesKey.canonicalBytes()`).
///
/// **Fact id** = the first 16 bytes of SHA-256 over one of these messages (all
/// integers big-endian, fixed width; `Int64` as two's complement):
///
/// | kind | bytes |
/// | --- | --- |
/// | interval fact (cumulative increase, gauge integral) | `0x01` · series digest (16) · t_prev ns (Int64, 8) · t ns (Int64, 8) · attribution minute start ns (Int64, 8) — 41 bytes |
/// | delta with idempotency key | `0x02` · series digest (16) · key length (UInt32, 4) · key UTF-8 bytes |
/// | delta without key | `0x03` · series digest (16) · t ns (Int64, 8) — 25 bytes |
///
/// The leading tag byte separates the three kinds, so no delta key can produce
/// the message of an interval fact or of an unkeyed delta. A first value billed
/// from zero (`initial`) has no previous observation: its t_prev is its own t.
public enum FactIdentity {
    /// The digest of a series key, as state and ledger key series.
    public static func seriesDigest(_ series: SeriesKey) -> SeriesDigest {
        var scratch: [UInt8] = []
        return seriesDigest(series, scratch: &scratch)
    }

    /// The same digest, encoding `SeriesKey.canonicalBytes()` into a caller-owned
    /// buffer so metering a batch allocates it once, not once per observation.
    ///
    /// The bytes are copied field by field from each string's UTF-8 storage into the
    /// buffer's memory (the generic `append(contentsOf: String.UTF8View)` walked them
    /// one byte at a time and was 8% of metering); the layout is exactly
    /// `canonicalBytes()` (checked by the tests).
    public static func seriesDigest(_ series: SeriesKey, scratch: inout [UInt8]) -> SeriesDigest {
        var length = 16 + series.source.utf8.count + series.subject.utf8.count + series.metric.utf8.count
        for dimension in series.dimensions {
            length += 8 + dimension.key.utf8.count + dimension.value.utf8.count
        }
        if scratch.count < length {
            scratch = [UInt8](repeating: 0, count: max(length, 2 * scratch.count))
        }
        return scratch.withUnsafeMutableBytes { buffer in
            var writer = CanonicalWriter(buffer: buffer)
            writer.field(series.source)
            writer.field(series.subject)
            writer.field(series.metric)
            writer.length(series.dimensions.count)
            for dimension in series.dimensions {
                writer.field(dimension.key)
                writer.field(dimension.value)
            }
            return digest128(of: UnsafeRawBufferPointer(rebasing: buffer[..<writer.offset]))
        }
    }

    /// The id of an interval fact (cumulative increase or gauge integral part).
    public static func intervalFactID(
        series: SeriesDigest, from: Timestamp, to: Timestamp, minute: Timestamp
    ) -> FactID {
        withUnsafeTemporaryAllocation(byteCount: 41, alignment: 8) { buffer in
            buffer[0] = 1
            buffer.storeBytes(of: series.high.bigEndian, toByteOffset: 1, as: UInt64.self)
            buffer.storeBytes(of: series.low.bigEndian, toByteOffset: 9, as: UInt64.self)
            buffer.storeBytes(of: from.nanosecondsSinceEpoch.bigEndian, toByteOffset: 17, as: Int64.self)
            buffer.storeBytes(of: to.nanosecondsSinceEpoch.bigEndian, toByteOffset: 25, as: Int64.self)
            buffer.storeBytes(of: minute.nanosecondsSinceEpoch.bigEndian, toByteOffset: 33, as: Int64.self)
            return digest128(of: UnsafeRawBufferPointer(buffer))
        }
    }

    /// The id of a delta observation's fact.
    public static func deltaFactID(series: SeriesDigest, time: Timestamp, idempotencyKey: String?) -> FactID {
        var bytes: [UInt8] = []
        if let key = idempotencyKey {
            bytes.reserveCapacity(21 + key.utf8.count)
            bytes.append(2)
            appendBigEndian(series.high, to: &bytes)
            appendBigEndian(series.low, to: &bytes)
            appendBigEndian(UInt32(truncatingIfNeeded: key.utf8.count), to: &bytes)
            bytes.append(contentsOf: key.utf8)
        } else {
            bytes.reserveCapacity(25)
            bytes.append(3)
            appendBigEndian(series.high, to: &bytes)
            appendBigEndian(series.low, to: &bytes)
            appendBigEndian(UInt64(bitPattern: time.nanosecondsSinceEpoch), to: &bytes)
        }
        return bytes.withUnsafeBytes { digest128(of: $0) }
    }

    static func digest128(of bytes: UnsafeRawBufferPointer) -> Digest128 {
        let (high, low) = SHA256Hasher.prefix128(bytes)
        return Digest128(high: high, low: low)
    }

    @inline(__always)
    static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        var v = value.bigEndian
        withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
    }
}

/// Writes `SeriesKey.canonicalBytes()` fields into preallocated memory (the caller
/// sized it from the fields' UTF-8 counts).
private struct CanonicalWriter {
    let buffer: UnsafeMutableRawBufferPointer
    var offset = 0

    init(buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// A 4-byte big-endian length.
    @inline(__always)
    mutating func length(_ n: Int) {
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: n).bigEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
    }

    /// A length-prefixed UTF-8 field: one copy from the string's storage when it is
    /// contiguous (native Swift strings), byte by byte otherwise (bridged strings).
    @inline(__always)
    mutating func field(_ text: String) {
        let utf8 = text.utf8
        length(utf8.count)
        let copied: Int? = utf8.withContiguousStorageIfAvailable { bytes in
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]).copyMemory(from: UnsafeRawBufferPointer(bytes))
            return bytes.count
        }
        if let copied {
            offset += copied
            return
        }
        for byte in utf8 {
            buffer[offset] = byte
            offset += 1
        }
    }
}
