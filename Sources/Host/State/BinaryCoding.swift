import Core

/// Little-endian fixed-width writer for the state store's binary records.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(bytes other: [UInt8]) {
        append(UInt32(other.count))
        bytes.append(contentsOf: other)
    }

    mutating func append(_ digest: SeriesDigest, _ baseline: Baseline) {
        append(digest.high)
        append(digest.low)
        append(baseline.time.nanosecondsSinceEpoch)
        append(baseline.value)
    }

    /// Appends the FNV-1a 64 checksum of everything written so far.
    mutating func seal() {
        append(Self.checksum(bytes[...]))
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Reader matching `BinaryWriter`; returns nil past the end instead of trapping.
struct BinaryReader {
    let bytes: [UInt8]
    var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            for i in 0..<size { target[i] = bytes[offset + i] }
        }
        offset += size
        return T(littleEndian: value)
    }

    mutating func readBytes() -> [UInt8]? {
        guard let count = read(UInt32.self), remaining >= Int(count) else { return nil }
        defer { offset += Int(count) }
        return Array(bytes[offset..<(offset + Int(count))])
    }

    mutating func readBaseline() -> (SeriesDigest, Baseline)? {
        guard let high = read(UInt64.self), let low = read(UInt64.self), let time = read(Int64.self),
            let value = read(UInt64.self)
        else { return nil }
        return (
            SeriesDigest(high: high, low: low), Baseline(time: Timestamp(nanosecondsSinceEpoch: time), value: value)
        )
    }

    /// Checks the FNV-1a checksum that follows `start..<offset`.
    mutating func verifySeal(from start: Int) -> Bool {
        let end = offset
        guard let stored = read(UInt64.self) else { return false }
        return stored == BinaryWriter.checksum(bytes[start..<end])
    }
}
