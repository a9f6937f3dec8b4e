import Core
import WireFormats

/// Writes JSON text the way many different encoders would: random whitespace,
/// random key order, escaped or raw non-ASCII, extra unknown keys with nested values.
struct RandomJSONWriter {
    var rng: SplitMix
    var out: [UInt8] = []

    init(seed: UInt64) { rng = SplitMix(seed: seed) }

    mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

    mutating func space() {
        guard chance(30) else { return }
        let choices: [UInt8] = [0x20, 0x09, 0x0A, 0x0D]
        for _ in 0..<(1 + rng.next() % 3) { out.append(choices[Int(rng.next() % 4)]) }
    }

    mutating func string(_ s: String) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: Array("\\\"".utf8))
            case "\\": out.append(contentsOf: Array("\\\\".utf8))
            case "\n": out.append(contentsOf: Array((chance(50) ? "\\n" : "\\u000a").utf8))
            case "/" where chance(50): out.append(contentsOf: Array("\\/".utf8))
            default:
                if scalar.value < 0x20 || (scalar.value >= 0x80 && chance(40)) || (scalar.isASCII && chance(5)) {
                    if scalar.value >= 0x10000 {
                        let v = scalar.value - 0x10000
                        hex(0xD800 + (v >> 10))
                        hex(0xDC00 + (v & 0x3FF))
                    } else {
                        hex(scalar.value)
                    }
                } else {
                    out.append(contentsOf: Array(String(scalar).utf8))
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    mutating func hex(_ v: UInt32) {
        var digits = String(v, radix: 16, uppercase: chance(50))
        while digits.count < 4 { digits = "0" + digits }
        out.append(contentsOf: Array(("\\u" + digits).utf8))
    }

    mutating func raw(_ text: String) { out.append(contentsOf: Array(text.utf8)) }

    mutating func counter(_ v: UInt64, asString: Bool) {
        if asString { raw("\"\(v)\"") } else { raw("\(v)") }
    }

    /// An object whose members are written by the closures, shuffled, with unknown members mixed in.
    mutating func object(_ members: [(String, (inout RandomJSONWriter) -> Void)]) {
        var all = members
        if chance(30) { all.append(("x_unknown", { $0.junkValue(depth: 0) })) }
        if chance(15) { all.append(("\u{00e9}tag", { $0.junkValue(depth: 0) })) }
        all.shuffle(using: &rng)
        space()
        raw("{")
        for (i, member) in all.enumerated() {
            if i > 0 { space(); raw(",") }
            space()
            string(member.0)
            space()
            raw(":")
            space()
            member.1(&self)
        }
        space()
        raw("}")
        space()
    }

    mutating func array(_ count: Int, _ element: (inout RandomJSONWriter, Int) -> Void) {
        raw("[")
        for i in 0..<count {
            if i > 0 { space(); raw(",") }
            space()
            element(&self, i)
        }
        space()
        raw("]")
    }

    mutating func junkValue(depth: Int) {
        switch rng.next() % (depth > 2 ? 5 : 7) {
        case 0: raw("null")
        case 1: raw(chance(50) ? "true" : "false")
        case 2: raw(["-12.5e+3", "0", "1E9", "-0.0001", "123456789012345678901234567890"][Int(rng.next() % 5)])
        case 3: string(randomText(controls: true))
        case 4: raw("\(rng.next() % 1000)")
        case 5: array(Int(rng.next() % 3)) { w, _ in w.junkValue(depth: depth + 1) }
        default:
            raw("{")
            space()
            string("k")
            raw(":")
            junkValue(depth: depth + 1)
            raw("}")
        }
    }

    /// A random string; a label (the default) has no control characters (`LabelRules`),
    /// a junk value may (`controls`).
    mutating func randomText(maxLength: Int = 12, controls: Bool = false) -> String {
        let labelPool: [String] = [
            "a", "Z", "0", "-", "@", ".", " ", "\"", "\\", "/", "é", "ö", "ß", "€", "日本", "😀", "𝄞", "\u{a0}",
            "\u{ffff}",
        ]
        let pool = controls ? labelPool + ["\n", "\t", "\u{1}", "\u{7f}", "\u{85}"] : labelPool
        var s = ""
        for _ in 0..<Int(rng.next() % UInt64(maxLength + 1)) { s += pool[Int(rng.next() % UInt64(pool.count))] }
        return s
    }

    mutating func nonEmptyText() -> String {
        let s = randomText()
        return s.isEmpty ? "x" : s
    }

    mutating func timestamp() -> Timestamp {
        let seconds = Int64(946_684_800) + Int64(rng.next() % 3_000_000_000)
        let nanos = chance(50) ? 0 : Int64(rng.next() % 1_000_000_000)
        return Timestamp(nanosecondsSinceEpoch: seconds * 1_000_000_000 + nanos)
    }

    mutating func time(_ t: Timestamp) {
        string(t.rfc3339(fractionalDigits: chance(50) ? .nanoseconds : .automatic))
    }

    mutating func counterValue() -> UInt64 {
        switch rng.next() % 4 {
        case 0: return 0
        case 1: return rng.next() % 1000
        case 2: return UInt64(Int64.max)
        default: return rng.next() >> 1
        }
    }
}

/// Random valid documents of each format, with the model they must decode to.
enum RandomDocuments {
    static func xray(seed: UInt64) -> (text: [UInt8], snapshot: XraySnapshot) {
        var w = RandomJSONWriter(seed: seed)
        var samples: [XraySample] = []
        for _ in 0..<Int(w.rng.next() % 5) {
            samples.append(
                XraySample(
                    uuid: w.nonEmptyText(), email: w.randomText(), inboundTag: w.chance(60) ? "" : w.randomText(),
                    uplinkBytesTotal: w.counterValue(), downlinkBytesTotal: w.counterValue()))
        }
        let snapshot = XraySnapshot(
            collectedAt: w.timestamp(), nodeID: w.randomText(), env: w.randomText(), samples: samples)
        w.object([
            ("collected_at", { $0.time(snapshot.collectedAt) }),
            ("node_id", { $0.string(snapshot.nodeID) }),
            ("env", { $0.string(snapshot.env) }),
            (
                "samples",
                { w in
                    w.array(samples.count) { w, i in
                        let s = samples[i]
                        var members: [(String, (inout RandomJSONWriter) -> Void)] = [
                            ("uuid", { $0.string(s.uuid) }),
                            ("uplink_bytes_total", { $0.counter(s.uplinkBytesTotal, asString: false) }),
                            ("downlink_bytes_total", { $0.counter(s.downlinkBytesTotal, asString: false) }),
                        ]
                        if !s.email.isEmpty || w.chance(50) { members.append(("email", { $0.string(s.email) })) }
                        if !s.inboundTag.isEmpty || w.chance(50) {
                            members.append(("inbound_tag", { $0.string(s.inboundTag) }))
                        }
                        w.object(members)
                    }
                }
            ),
        ])
        return (w.out, snapshot)
    }

    static func vm(seed: UInt64) -> (text: [UInt8], batch: VMMetricsBatch) {
        var w = RandomJSONWriter(seed: seed)
        var metrics: [VMMetricsSample] = []
        for _ in 0..<Int(w.rng.next() % 4) {
            metrics.append(
                VMMetricsSample(
                    timestamp: w.timestamp(), cpuTimeNanos: w.counterValue(), memoryUsageBytes: w.counterValue(),
                    diskReadBytes: w.counterValue(), diskWriteBytes: w.counterValue(),
                    networkRxBytes: w.counterValue(), networkTxBytes: w.counterValue()))
        }
        let batch = VMMetricsBatch(vmID: w.nonEmptyText(), customerID: w.nonEmptyText(), metrics: metrics)
        let camel = w.chance(50)
        w.object([
            (camel ? "vmId" : "vm_id", { $0.string(batch.vmID) }),
            (camel ? "customerId" : "customer_id", { $0.string(batch.customerID) }),
            (
                "metrics",
                { w in
                    w.array(metrics.count) { w, i in
                        let m = metrics[i]
                        let fields: [(String, String, UInt64)] = [
                            ("cpu_time_nanos", "cpuTimeNanos", m.cpuTimeNanos),
                            ("memory_usage_bytes", "memoryUsageBytes", m.memoryUsageBytes),
                            ("disk_read_bytes", "diskReadBytes", m.diskReadBytes),
                            ("disk_write_bytes", "diskWriteBytes", m.diskWriteBytes),
                            ("network_rx_bytes", "networkRxBytes", m.networkRxBytes),
                            ("network_tx_bytes", "networkTxBytes", m.networkTxBytes),
                        ]
                        var members: [(String, (inout RandomJSONWriter) -> Void)] = [
                            ("timestamp", { $0.time(m.timestamp) })
                        ]
                        for (snake, camelName, value) in fields where value != 0 || w.chance(50) {
                            let name = w.chance(50) ? snake : camelName
                            let asString = w.chance(50)
                            members.append((name, { $0.counter(value, asString: asString) }))
                        }
                        w.object(members)
                    }
                }
            ),
        ])
        return (w.out, batch)
    }

    static func observation(seed: UInt64, source: String) -> (text: [UInt8], observation: Observation) {
        var w = RandomJSONWriter(seed: seed)
        var dimensions: [Core.Dimension] = []
        for i in 0..<Int(w.rng.next() % 4) {
            dimensions.append(Core.Dimension("k\(i)" + w.randomText(maxLength: 3), w.randomText()))
        }
        let value = w.counterValue()
        let kindValue: ObservationValue
        switch w.rng.next() % 4 {
        case 0: kindValue = .cumulative(value)
        case 1: kindValue = .gauge(value)
        case 2: kindValue = .delta(value, idempotencyKey: nil)
        default: kindValue = .delta(value, idempotencyKey: w.nonEmptyText())
        }
        let observation = Observation(
            series: SeriesKey(
                source: source, subject: w.nonEmptyText(), metric: w.nonEmptyText(), dimensions: dimensions),
            time: w.timestamp(), value: kindValue)
        var members: [(String, (inout RandomJSONWriter) -> Void)] = [
            ("subject", { $0.string(observation.series.subject) }),
            ("metric", { $0.string(observation.series.metric) }),
            ("time", { $0.time(observation.time) }),
            ("kind", { $0.string(kindValue.kindName) }),
        ]
        let asString = w.chance(50)
        members.append(("value", { $0.counter(value, asString: asString) }))
        if case .delta(_, let key?) = kindValue { members.append(("idempotency_key", { $0.string(key) })) }
        if !dimensions.isEmpty || w.chance(50) {
            let shuffled = dimensions.shuffled(using: &w.rng)
            members.append(
                (
                    "dimensions",
                    { w in
                        w.raw("{")
                        for (i, d) in shuffled.enumerated() {
                            if i > 0 { w.raw(",") }
                            w.space()
                            w.string(d.key)
                            w.raw(":")
                            w.space()
                            w.string(d.value)
                        }
                        w.raw("}")
                    }
                ))
        }
        w.object(members)
        return (w.out, observation)
    }
}
