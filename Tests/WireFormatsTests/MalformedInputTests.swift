import Core
import Foundation
import Testing
import WireFormats

/// Malformed lines are rejected with a message saying what and where.
@Suite struct MalformedInputTests {
    static let sample = #"{"uuid":"u1","email":"a@b","inbound_tag":"","uplink_bytes_total":1,"downlink_bytes_total":2}"#

    static func snapshot(_ sample: String = sample, time: String = "\"2026-11-01T00:00:00Z\"") -> String {
        #"{"collected_at":\#(time),"node_id":"n","env":"e","samples":[\#(sample)]}"#
    }

    static let xrayCases: [(String, String)] = [
        ("", "column 1: truncated: expected an object '{'"),
        ("[]", "column 1: expected an object '{', found '['"),
        (String(snapshot().dropLast()), "truncated: expected '}' or a key"),
        (String(snapshot().prefix(30)), "column 17 (collected_at): truncated: unterminated string"),
        (snapshot() + "x", "trailing characters after the JSON value"),
        (snapshot() + " {}", "trailing characters after the JSON value"),
        (snapshot(time: "\"2026-13-01T00:00:00Z\""), "(collected_at): not an RFC 3339 timestamp"),
        (snapshot(time: "17"), "(collected_at): expected an RFC 3339 timestamp string, found '1'"),
        (
            snapshot(sample.replacingOccurrences(of: "\"uplink_bytes_total\":1", with: "\"uplink_bytes_total\":-1")),
            "(samples[0].uplink_bytes_total): must not be negative"
        ),
        (
            snapshot(sample.replacingOccurrences(of: ":1,", with: ":1.5,")),
            "(samples[0].uplink_bytes_total): must be an integer (no fraction or exponent)"
        ),
        (
            snapshot(sample.replacingOccurrences(of: ":1,", with: ":1e3,")),
            "(samples[0].uplink_bytes_total): must be an integer (no fraction or exponent)"
        ),
        (
            snapshot(sample.replacingOccurrences(of: ":1,", with: ":9223372036854775808,")),
            "(samples[0].uplink_bytes_total): integer beyond the int64 range"
        ),
        (
            snapshot(sample.replacingOccurrences(of: ":1,", with: ":\"1\",")),
            "(samples[0].uplink_bytes_total): expected a non-negative integer as a JSON number, found a string"
        ),
        (
            snapshot(sample.replacingOccurrences(of: ":1,", with: ":01,")),
            "(samples[0].uplink_bytes_total): leading zero in a number"
        ),
        (
            snapshot(sample.replacingOccurrences(of: ":1,", with: ":true,")),
            "(samples[0].uplink_bytes_total): expected a non-negative integer, found 't'"
        ),
        (
            snapshot(sample.replacingOccurrences(of: "\"uuid\":\"u1\",", with: "")),
            "(samples[0].uuid): required key is missing"
        ),
        (snapshot(sample.replacingOccurrences(of: "\"u1\"", with: "\"\"")), "(samples[0].uuid): must not be empty"),
        (
            snapshot(sample.replacingOccurrences(of: "\"email\"", with: "\"uuid\"")),
            "(samples[0].uuid): duplicate key"
        ),
        (snapshot(sample.replacingOccurrences(of: "a@b", with: "a\\x")), "(samples[0].email): invalid escape sequence"),
        (
            snapshot(sample.replacingOccurrences(of: "a@b", with: "\\ud800x")),
            "(samples[0].email): unpaired surrogate in a \\u escape"
        ),
        (snapshot(sample.replacingOccurrences(of: "a@b", with: "a\tb")), "control character in a string"),
        (snapshot(sample + ","), "(samples[1]): expected an object '{', found ']'"),
        (
            #"{"collected_at":"2026-11-01T00:00:00Z","node_id":"n","env":"e"}"#,
            "column 1 (samples): required key is missing"
        ),
        (
            #"{"collected_at":"2026-11-01T00:00:00Z","node_id":"n","env":"e","samples":[],}"#,
            "expected a key string, found '}'"
        ),
        (#"{"collected_at":"2026-11-01T00:00:00Z" "node_id":"n"}"#, "column 40: expected ',' or '}', found '\"'"),
        (#"{"x":[[[[1,]]]]}"#, "column 12: expected a value, found ']'"),
        (#"{"x":01}"#, "column 6: leading zero in a number"),
        (#"{"x":nul}"#, "column 6: expected a value, found 'n'"),
        (
            String(repeating: "{\"x\":", count: 200) + "1" + String(repeating: "}", count: 200),
            "nesting deeper than 128"
        ),
    ]

    @Test(arguments: xrayCases)
    func xrayRejects(line: String, expected: String) {
        let result = FixtureLineDecoder(format: .xraySnapshots, source: "s").result(Array(line.utf8))
        guard case .failure(let error) = result else {
            Issue.record("accepted: \(line)")
            return
        }
        #expect(error.description.contains(expected), "\(error) for \(line)")
    }

    @Test func invalidUTF8IsRejected() {
        var bytes = Array(Self.snapshot().utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "@")) ?? 0
        bytes[at] = 0xC3  // a lead byte without its continuation
        let result = FixtureLineDecoder(format: .xraySnapshots, source: "s").result(bytes)
        guard case .failure(let error) = result else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect(error.message == "invalid UTF-8 in a string")
        #expect(error.field == "samples[0].email")
    }

    static let vmCases: [(String, String)] = [
        (#"{"vm_id":"v","vmId":"w","customer_id":"c"}"#, "(vm_id): duplicate key"),
        (#"{"vm_id":"v"}"#, "(customer_id): required key is missing"),
        (#"{"vm_id":"","customer_id":"c"}"#, "(vm_id): must not be empty"),
        (
            #"{"vm_id":"v","customer_id":"c","metrics":[{"cpuTimeNanos":"1"}]}"#,
            "(metrics[0].timestamp): required key is missing"
        ),
        (
            #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2026-11-01T00:00:00Z","cpuTimeNanos":"-1"}]}"#,
            "(metrics[0].cpu_time_nanos): must not be negative"
        ),
        (
            #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2026-11-01T00:00:00Z","cpuTimeNanos":"1x"}]}"#,
            "(metrics[0].cpu_time_nanos): expected a string of decimal digits"
        ),
        (
            #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2026-11-01T00:00:00Z","cpuTimeNanos":""}]}"#,
            "(metrics[0].cpu_time_nanos): expected a non-negative integer, found '\"'"
        ),
        (
            #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2026-11-01T00:00:00Z","cpu_time_nanos":1,"cpuTimeNanos":1}]}"#,
            "(metrics[0].cpu_time_nanos): duplicate key"
        ),
    ]

    @Test(arguments: vmCases)
    func vmRejects(line: String, expected: String) {
        let result = FixtureLineDecoder(format: .vmMetrics, source: "s").result(Array(line.utf8))
        guard case .failure(let error) = result else {
            Issue.record("accepted: \(line)")
            return
        }
        #expect(error.description.contains(expected), "\(error) for \(line)")
    }

    @Test func vmAbsentAndNullFieldsAreZero() throws {
        let line =
            #"{"vmId":"v","customerId":"c","metrics":[{"timestamp":"2026-11-01T00:00:00Z","cpuTimeNanos":null,"diskReadBytes":"7"}]}"#
        let batch = try VMMetricsBatchDecoder.decode(line)
        #expect(
            batch.metrics == [
                VMMetricsSample(timestamp: Timestamp(secondsSinceEpoch: 1_793_491_200), diskReadBytes: 7)
            ])
    }

    static let observationCases: [(String, String)] = [
        (
            #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"rate","value":1}"#,
            "(kind): unknown kind \"rate\" (valid: cumulative, delta, gauge)"
        ),
        (
            #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"gauge","value":1,"idempotency_key":"k"}"#,
            "(idempotency_key): only a delta may carry an idempotency key"
        ),
        (
            #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"delta"}"#,
            "(value): required key is missing"
        ),
        (
            #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"delta","value":-5}"#,
            "(value): must not be negative"
        ),
        (
            #"{"subject":"s","metric":"m","dimensions":{"a":"1","a":"2"},"time":"2026-11-01T00:00:00Z","kind":"delta","value":5}"#,
            "(dimensions.a): duplicate key"
        ),
        (
            #"{"subject":"s","metric":"m","dimensions":{"a":1},"time":"2026-11-01T00:00:00Z","kind":"delta","value":5}"#,
            "(dimensions.a): expected a string, found '1'"
        ),
        (
            #"{"subject":"","metric":"m","time":"2026-11-01T00:00:00Z","kind":"delta","value":5}"#,
            "(subject): must not be empty"
        ),
    ]

    @Test(arguments: observationCases)
    func observationRejects(line: String, expected: String) {
        let result = FixtureLineDecoder(format: .observations, source: "s").result(Array(line.utf8))
        guard case .failure(let error) = result else {
            Issue.record("accepted: \(line)")
            return
        }
        #expect(error.description.contains(expected), "\(error) for \(line)")
    }

    @Test func escapedKeysAndSurrogatePairsDecode() throws {
        let line =
            #"{"subj\u0065ct":"\ud83d\ude00 \u00e9\"\\\/","metric":"m","time":"2026-11-01T00:00:00.5+02:00","kind":"delta","value":"0"}"#
        let observation = try ObservationLineDecoder.decode(line, source: "s")
        #expect(observation.series.subject == "😀 é\"\\/")
        #expect(observation.time == Timestamp(rfc3339: "2026-10-31T22:00:00.5Z"))
        #expect(observation.value == .delta(0, idempotencyKey: nil))
    }
}
