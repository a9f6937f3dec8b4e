import Core
import Foundation
import PropertyBased
import Testing
import WireFormats

/// The fixture encoders write exactly the upstream shapes, and every line parses
/// back with Foundation's JSONSerialization to the same values.
struct EncodingTests {
    static let t0 = Timestamp(secondsSinceEpoch: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func text(_ build: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        build(&out)
        return String(decoding: out, as: UTF8.self)
    }

    static func object(_ text: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [String: Any])
    }

    // MARK: golden lines

    @Test func xraySnapshotLineGolden() {
        var encoder = FixtureLineEncoder()
        let snapshot = XraySnapshot(
            collectedAt: Self.t0.adding(nanoseconds: 5), nodeID: "de-1", env: "prod",
            samples: [
                XraySample(uuid: "u-1", email: "a@x", inboundTag: "", uplinkBytesTotal: 10, downlinkBytesTotal: 0),
                XraySample(
                    uuid: "u-2", email: "b\"c", inboundTag: "vless", uplinkBytesTotal: 9_223_372_036_854_775_807,
                    downlinkBytesTotal: 1234567890),
            ])
        let line = Self.text { encoder.appendLine(snapshot, to: &$0) }
        #expect(
            line
                == #"{"collected_at":"2026-01-01T00:00:00.000000005Z","node_id":"de-1","env":"prod","samples":["#
                + #"{"uuid":"u-1","email":"a@x","inbound_tag":"","uplink_bytes_total":10,"downlink_bytes_total":0},"#
                + #"{"uuid":"u-2","email":"b\"c","inbound_tag":"vless","uplink_bytes_total":9223372036854775807,"#
                + #""downlink_bytes_total":1234567890}]}"# + "\n")
    }

    @Test func emptySnapshotGolden() {
        var encoder = FixtureLineEncoder()
        let line = Self.text {
            encoder.appendLine(XraySnapshot(collectedAt: Self.t0, nodeID: "", env: "", samples: []), to: &$0)
        }
        #expect(line == #"{"collected_at":"2026-01-01T00:00:00Z","node_id":"","env":"","samples":[]}"# + "\n")
    }

    @Test func windowPageGolden() {
        var encoder = FixtureLineEncoder()
        let snapshot = XraySnapshot(collectedAt: Self.t0, nodeID: "n", env: "e", samples: [])
        let more = XrayWindowPage(
            nodeID: "n", env: "e", snapshots: [snapshot, snapshot], hasMore: true,
            nextCursor: "2026-01-01T00:00:00.000000000Z")
        #expect(
            Self.text { encoder.appendObject(more, to: &$0) }
                == #"{"node_id":"n","env":"e","snapshots":[{"collected_at":"2026-01-01T00:00:00Z","node_id":"n","#
                + #""env":"e","samples":[]},{"collected_at":"2026-01-01T00:00:00Z","node_id":"n","env":"e","#
                + #""samples":[]}],"has_more":true,"next_cursor":"2026-01-01T00:00:00.000000000Z"}"#)
        let last = XrayWindowPage(nodeID: "n", env: "e", snapshots: [], hasMore: false, nextCursor: nil)
        #expect(
            Self.text { encoder.appendObject(last, to: &$0) }
                == #"{"node_id":"n","env":"e","snapshots":[],"has_more":false}"#)
    }

    @Test func vmBatchLineGoldenOmitsZeroValuesAndQuotesInt64() {
        var encoder = FixtureLineEncoder()
        let batch = VMMetricsBatch(
            vmID: "vm-1", customerID: "c-1",
            metrics: [
                VMMetricsSample(
                    timestamp: Self.t0, cpuTimeNanos: 1_000_000_000, memoryUsageBytes: 2048, diskReadBytes: 0,
                    diskWriteBytes: 7, networkRxBytes: 8, networkTxBytes: 9),
                VMMetricsSample(timestamp: Self.t0.adding(nanoseconds: 60_000_000_000)),
            ])
        #expect(
            Self.text { encoder.appendLine(batch, to: &$0) }
                == #"{"vm_id":"vm-1","customer_id":"c-1","metrics":[{"timestamp":"2026-01-01T00:00:00Z","#
                + #""cpu_time_nanos":"1000000000","memory_usage_bytes":"2048","disk_write_bytes":"7","#
                + #""network_rx_bytes":"8","network_tx_bytes":"9"},{"timestamp":"2026-01-01T00:01:00Z"}]}"# + "\n")
        #expect(
            Self.text { encoder.appendLine(VMMetricsBatch(vmID: "", customerID: "", metrics: []), to: &$0) }
                == "{}\n")
    }

    @Test func observationLinesGolden() {
        var encoder = FixtureLineEncoder()
        let series = SeriesKey(
            source: "s", subject: "acct", metric: "traffic.uplink_bytes",
            dimensions: [Dimension("node_id", "n1"), Dimension("env", "prod")])
        let lines = Self.text {
            encoder.appendLine(Observation(series: series, time: Self.t0, value: .cumulative(42)), to: &$0)
            encoder.appendLine(Observation(series: series, time: Self.t0, value: .gauge(0)), to: &$0)
            encoder.appendLine(
                Observation(series: series, time: Self.t0, value: .delta(1000, idempotencyKey: "req-1")), to: &$0)
            encoder.appendLine(
                Observation(
                    series: SeriesKey(source: "s", subject: "x", metric: "m"), time: Self.t0,
                    value: .delta(5, idempotencyKey: nil)), to: &$0)
        }
        let dims = #""dimensions":{"env":"prod","node_id":"n1"}"#
        #expect(
            lines == #"{"subject":"acct","metric":"traffic.uplink_bytes","# + dims
                + #","time":"2026-01-01T00:00:00Z","kind":"cumulative","value":42}"# + "\n"
                + #"{"subject":"acct","metric":"traffic.uplink_bytes","# + dims
                + #","time":"2026-01-01T00:00:00Z","kind":"gauge","value":0}"# + "\n"
                + #"{"subject":"acct","metric":"traffic.uplink_bytes","# + dims
                + #","time":"2026-01-01T00:00:00Z","kind":"delta","value":1000,"idempotency_key":"req-1"}"# + "\n"
                + #"{"subject":"x","metric":"m","dimensions":{},"time":"2026-01-01T00:00:00Z","kind":"delta","value":5}"#
                + "\n")
    }

    @Test(arguments: [
        ("plain", #""plain""#), ("q\"b\\s/", #""q\"b\\s/""#), ("\n\t\r", #""\u000a\u0009\u000d""#),
        ("\u{0}\u{1f}\u{7f}", #""\u0000\u001f"# + "\u{7f}\""), ("é€😀", "\"é€😀\""), ("", #""""#),
    ])
    func stringEscaping(input: String, expected: String) {
        #expect(Self.text { JSONText.appendString(input, to: &$0) } == expected)
    }

    @Test(arguments: [0, 1, 9, 10, 99, 100, 12345, Int64.max, -1, -10, Int64.min])
    func integers(value: Int64) {
        #expect(Self.text { JSONText.appendSigned(value, to: &$0) } == String(value))
    }

    @Test func largestUnsignedInteger() {
        #expect(Self.text { JSONText.appendUnsigned(.max, to: &$0) } == "18446744073709551615")
        #expect(Self.text { JSONText.appendQuotedUnsigned(.max, to: &$0) } == "\"18446744073709551615\"")
    }

    // MARK: round trips through JSONSerialization

    /// Strings of ASCII (quotes, backslashes, every control character), Latin-1,
    /// BMP (skipping surrogates) and astral scalars.
    static let awkwardString = Gen<UInt32>.value(in: 0...0x1F_FFFF)
        .map { (seed: UInt32) -> Unicode.Scalar in
            switch seed % 5 {
            case 0: return Unicode.Scalar(UInt8((seed >> 3) & 0x3F))  // controls, quotes, backslash region
            case 1: return Unicode.Scalar(UInt8(0x20 + (seed >> 3) % 0x60))
            case 2: return Unicode.Scalar((seed >> 3) % 0xD800) ?? "x"
            case 3: return Unicode.Scalar(0x1_0000 + (seed >> 3) % 0x1_0000) ?? "y"
            default: return ["\"", "\\", "\u{0}", "\n", "\u{1b}", "é", "😀"][Int(seed >> 3) % 7]
            }
        }
        .array(of: 0...24)
        .map { String(String.UnicodeScalarView($0)) }

    @Test func snapshotLinesRoundTrip() async {
        await propertyCheck(
            count: 300, input: Self.awkwardString, Self.awkwardString, Gen<UInt64>.value(in: 0...UInt64(Int64.max)),
            Gen<Int64>.value(in: 0...4_102_444_800_000_000_000)
        ) { text, other, counter, nanos in
            var encoder = FixtureLineEncoder()
            let time = Timestamp(nanosecondsSinceEpoch: nanos)
            let snapshot = XraySnapshot(
                collectedAt: time, nodeID: text, env: other,
                samples: [
                    XraySample(
                        uuid: other, email: text, inboundTag: text + other, uplinkBytesTotal: counter,
                        downlinkBytesTotal: counter / 3)
                ])
            let line = Self.text { encoder.appendLine(snapshot, to: &$0) }
            #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
            guard let object = try? Self.object(String(line.dropLast())) else {
                Issue.record("does not parse: \(line)")
                return
            }
            #expect(object["node_id"] as? String == text)
            #expect(object["env"] as? String == other)
            #expect((object["collected_at"] as? String).flatMap { Timestamp(rfc3339: $0) } == time)
            let sample = (object["samples"] as? [[String: Any]])?.first
            #expect(sample?["uuid"] as? String == other)
            #expect(sample?["email"] as? String == text)
            #expect(sample?["inbound_tag"] as? String == text + other)
            #expect((sample?["uplink_bytes_total"] as? NSNumber)?.uint64Value == counter)
            #expect((sample?["downlink_bytes_total"] as? NSNumber)?.uint64Value == counter / 3)
        }
    }

    @Test func vmBatchLinesRoundTrip() async {
        await propertyCheck(
            count: 300, input: Self.awkwardString, Self.awkwardString, Gen<UInt64>.value(in: 0...UInt64.max),
            Gen<UInt64>.value(in: 0...3)
        ) { vm, customer, counter, zeroes in
            var encoder = FixtureLineEncoder()
            let sample = VMMetricsSample(
                timestamp: Self.t0, cpuTimeNanos: counter, memoryUsageBytes: zeroes == 0 ? 0 : counter / 2,
                diskReadBytes: zeroes, diskWriteBytes: counter / 7, networkRxBytes: 0, networkTxBytes: 1)
            let line = Self.text {
                encoder.appendLine(VMMetricsBatch(vmID: vm, customerID: customer, metrics: [sample]), to: &$0)
            }
            guard let object = try? Self.object(line) else {
                Issue.record("does not parse: \(line)")
                return
            }
            #expect((object["vm_id"] as? String ?? "") == vm)
            #expect((object["customer_id"] as? String ?? "") == customer)
            let metric = (object["metrics"] as? [[String: Any]])?.first ?? [:]
            func field(_ key: String) -> UInt64? {
                guard let value = metric[key] else { return 0 }
                return (value as? String).flatMap { UInt64($0) }
            }
            #expect(metric["timestamp"] as? String == "2026-01-01T00:00:00Z")
            #expect(field("cpu_time_nanos") == counter)
            #expect(field("memory_usage_bytes") == (zeroes == 0 ? 0 : counter / 2))
            #expect(field("disk_read_bytes") == zeroes)
            #expect(field("disk_write_bytes") == counter / 7)
            #expect(metric["network_rx_bytes"] == nil)
            #expect(field("network_tx_bytes") == 1)
        }
    }

    @Test func observationLinesRoundTrip() async {
        await propertyCheck(
            count: 300, input: Self.awkwardString, Self.awkwardString, Self.awkwardString,
            Gen<UInt64>.value(in: 0...UInt64(Int64.max))
        ) { subject, key, value, amount in
            var encoder = FixtureLineEncoder()
            let series = SeriesKey(
                source: "s", subject: subject, metric: value, dimensions: [Dimension("k" + key, value)])
            let observation = Observation(
                series: series, time: Self.t0, value: .delta(amount, idempotencyKey: key + subject))
            let line = Self.text { encoder.appendLine(observation, to: &$0) }
            guard let object = try? Self.object(line) else {
                Issue.record("does not parse: \(line)")
                return
            }
            #expect(object["subject"] as? String == subject)
            #expect(object["metric"] as? String == value)
            #expect(object["dimensions"] as? [String: String] == ["k" + key: value])
            #expect(object["time"] as? String == "2026-01-01T00:00:00Z")
            #expect(object["kind"] as? String == "delta")
            #expect((object["value"] as? NSNumber)?.uint64Value == amount)
            #expect(object["idempotency_key"] as? String == key + subject)
        }
    }

    @Test func windowPageRoundTrips() async {
        await propertyCheck(count: 100, input: Self.awkwardString, Gen.bool) { text, more in
            var encoder = FixtureLineEncoder()
            let snapshot = XraySnapshot(collectedAt: Self.t0, nodeID: text, env: text, samples: [])
            let page = XrayWindowPage(
                nodeID: text, env: "e", snapshots: [snapshot], hasMore: more, nextCursor: more ? text : nil)
            let body = Self.text { encoder.appendObject(page, to: &$0) }
            guard let object = try? Self.object(body) else {
                Issue.record("does not parse: \(body)")
                return
            }
            #expect(object["node_id"] as? String == text)
            #expect(object["has_more"] as? Bool == more)
            #expect(object["next_cursor"] as? String == (more ? text : nil))
            #expect((object["snapshots"] as? [[String: Any]])?.first?["env"] as? String == text)
        }
    }
}
