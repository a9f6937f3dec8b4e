import Core
import Rating
import Testing

/// The byte layouts of series digests and fact ids, checked against digests computed
/// independently (Python hashlib over the documented bytes), so the audit doc is right.
@Suite struct IdentityTests {
    let key = series("acct-1")

    @Test func seriesDigestIsTheSHA256PrefixOfTheCanonicalBytes() {
        #expect(FactIdentity.seriesDigest(key).hex == "b6e317fda9a8af47aeba2f102a990056")
    }

    @Test func intervalFactIDLayout() {
        let digest = FactIdentity.seriesDigest(key)
        let id = FactIdentity.intervalFactID(series: digest, from: at(0, 10), to: at(1, 10), minute: at(1))
        #expect(id.hex == "756350a8f74ed6d5d655d0a722c1516e")
    }

    @Test func deltaFactIDLayouts() {
        let digest = FactIdentity.seriesDigest(key)
        #expect(
            FactIdentity.deltaFactID(series: digest, time: at(0), idempotencyKey: "req-1").hex
                == "78e530b44a964bb5b150a71893ce8be0")
        #expect(
            FactIdentity.deltaFactID(series: digest, time: at(0), idempotencyKey: nil).hex
                == "7f2e5a5e022c499326053168688b8cd8")
    }

    @Test func replayYieldsTheSameIdsAndDifferentInputsDifferentIds() {
        let observations = [
            cumulative(key, at(0, 10), 100), cumulative(key, at(1, 10), 250), cumulative(key, at(2, 10), 300),
            cumulative(series("acct-2"), at(0, 10), 1), cumulative(series("acct-2"), at(1, 10), 2),
        ]
        func ids() -> [FactID] {
            var baselines: [SeriesDigest: Baseline] = [:]
            var first: Timestamp?
            return Meter(options: MeteringOptions()).meter(observations, baselines: &baselines, firstMinute: &first)
                .facts.map(\.id)
        }
        let first = ids()
        #expect(first.count == 3)
        #expect(first == ids())
        #expect(Set(first).count == 3)
        let digest = FactIdentity.seriesDigest(key)
        let base = FactIdentity.intervalFactID(series: digest, from: at(0), to: at(1), minute: at(1))
        #expect(base != FactIdentity.intervalFactID(series: digest, from: at(0), to: at(1), minute: at(0)))
        #expect(base != FactIdentity.intervalFactID(series: digest, from: at(0, 1), to: at(1), minute: at(1)))
        #expect(base != FactIdentity.intervalFactID(series: digest, from: at(0), to: at(1, 1), minute: at(1)))
        let other = FactIdentity.seriesDigest(series("acct-1", node: "n2"))
        #expect(base != FactIdentity.intervalFactID(series: other, from: at(0), to: at(1), minute: at(1)))
    }
}

@Suite struct SeriesDigestEncodingTests {
    @Test(arguments: [
        SeriesKey(source: "", subject: "", metric: ""),
        SeriesKey(source: "edge", subject: "ü-😀", metric: "m", dimensions: [Dimension("z", ""), Dimension("a", "1")]),
        series("acct-1"),
        SeriesKey(source: "long", subject: String(repeating: "x", count: 300), metric: "traffic.uplink_bytes"),
    ])
    func scratchEncodingEqualsCanonicalBytes(key: SeriesKey) {
        var scratch: [UInt8] = [1, 2, 3]
        let direct = FactIdentity.seriesDigest(key, scratch: &scratch)
        let canonical = key.canonicalBytes()
        // The scratch buffer may be longer than the message; only its prefix is hashed.
        #expect(Array(scratch.prefix(canonical.count)) == canonical)
        #expect(direct == FactIdentity.seriesDigest(key))
    }

    /// A buffer left longer by a previous, longer key must not leak bytes into the next digest.
    @Test func reusedScratchHashesOnlyTheCurrentKey() {
        var scratch: [UInt8] = []
        let long = SeriesKey(source: "s", subject: String(repeating: "y", count: 500), metric: "m")
        _ = FactIdentity.seriesDigest(long, scratch: &scratch)
        #expect(
            FactIdentity.seriesDigest(series("acct-1"), scratch: &scratch).hex == "b6e317fda9a8af47aeba2f102a990056")
    }
}
