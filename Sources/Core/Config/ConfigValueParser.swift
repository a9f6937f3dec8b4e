/// Parses the human-written value forms of configs: durations and sizes.
public enum ConfigValueParser {
    /// `90s`, `2m`, `6h`, `1d`, `500ms`, `1h30m`; no bare numbers (the unit must be explicit).
    public static func duration(_ text: String) -> Duration? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var totalNanos: Int64 = 0
        while index < bytes.count {
            var number: Int64 = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let (m, o1) = number.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[index] - 0x30))
                guard !o1, !o2 else { return nil }
                number = a
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            var unitEnd = index
            while unitEnd < bytes.count, !(bytes[unitEnd] >= 0x30 && bytes[unitEnd] <= 0x39) { unitEnd += 1 }
            let unit = String(decoding: bytes[index..<unitEnd], as: UTF8.self)
            index = unitEnd
            let factor: Int64
            switch unit {
            case "ns": factor = 1
            case "us", "µs": factor = 1_000
            case "ms": factor = 1_000_000
            case "s": factor = 1_000_000_000
            case "m": factor = 60_000_000_000
            case "h": factor = 3_600_000_000_000
            case "d": factor = 86_400_000_000_000
            default: return nil
            }
            let (part, o3) = number.multipliedReportingOverflow(by: factor)
            let (sum, o4) = totalNanos.addingReportingOverflow(part)
            guard !o3, !o4 else { return nil }
            totalNanos = sum
        }
        return .nanoseconds(totalNanos)
    }

    /// `32MiB`, `512KiB`, `1GiB`, `10MB`, `100B`, or a plain byte count.
    public static func size(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        var number: Int64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (m, o1) = number.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !o1, !o2 else { return nil }
            number = a
            index += 1
        }
        guard index > 0 else { return nil }
        let unit = String(decoding: bytes[index...], as: UTF8.self).trimmingSpaces()
        let factor: Int64
        switch unit {
        case "", "B": factor = 1
        case "KiB": factor = 1 << 10
        case "MiB": factor = 1 << 20
        case "GiB": factor = 1 << 30
        case "KB", "kB": factor = 1_000
        case "MB": factor = 1_000_000
        case "GB": factor = 1_000_000_000
        default: return nil
        }
        let (value, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : value
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
