import Core
import WireFormats

/// The simulated xray nodes: which accounts each node serves and their raw
/// cumulative counters, advanced one tick at a time.
///
/// Exists to imitate what xray-exporter sends (UPSTREAMS §1): per node per
/// interval one snapshot of every assigned account's uplink/downlink totals,
/// which drop to a small value when the node's proxy restarts.
struct XrayFleet {
    private struct Node {
        var nodeID: String
        /// Identity fields plus the current counters.
        var samples: [XraySample]
        /// Mean uplink bytes per interval of each sample.
        var uplinkMean: [UInt64]
        var disruption = StreamDisruption<XraySnapshot>()
    }

    private var nodes: [Node]
    private let settings: GeneratorSettings

    init(settings: GeneratorSettings) {
        self.settings = settings
        let intervalMillis = UInt64(max(settings.interval.totalNanoseconds / 1_000_000, 1))
        var nodes = (0..<settings.nodes).map { index in
            Node(nodeID: "node-\(index + 1)", samples: [], uplinkMean: [])
        }
        for subject in 0..<settings.subjects {
            let trait = SubjectIdentity.trait(
                seed: settings.seed, namespace: SubjectIdentity.accountNamespace, index: UInt64(subject))
            let uuid = SubjectIdentity.uuid(
                seed: settings.seed, namespace: SubjectIdentity.accountNamespace, index: UInt64(subject))
            let email = "user\(subject + 1)@example.test"
            let tag = subject % 10 == 9 ? "vless-reality" : ""
            // Bytes per minute: a third idle, half light, the rest heavy users.
            let perMinute: UInt64
            switch trait % 6 {
            case 0, 1: perMinute = 4 << 10
            case 2, 3, 4: perMinute = 2 << 20
            default: perMinute = 96 << 20
            }
            let mean = perMinute * intervalMillis / 60_000
            var placements = [subject % settings.nodes]
            // One account in eight is also served by the next node (users switch servers).
            if settings.nodes > 1, (trait >> 8) % 8 == 0 {
                placements.append((subject + 1) % settings.nodes)
            }
            for node in placements {
                nodes[node].samples.append(
                    XraySample(uuid: uuid, email: email, inboundTag: tag, uplinkBytesTotal: 0, downlinkBytesTotal: 0))
                nodes[node].uplinkMean.append(mean)
            }
        }
        self.nodes = nodes
    }

    var nodeCount: Int { nodes.count }

    /// Advances node `index` to tick `tick` and appends what it sends; builds
    /// snapshots only when `emit` (or when one must be held for later).
    mutating func step(
        node index: Int, tick: Int64, isLastTick: Bool, emit: Bool, into out: inout [XraySnapshot],
        stats: inout GeneratorStatistics
    ) {
        var rng = SplitMix64(
            seed: settings.seed, stream: SubjectIdentity.xrayStreamBase + UInt64(index), tick: UInt64(tick))
        let rolls = StreamDisruption<XraySnapshot>.Rolls(&rng, settings: settings)
        advanceCounters(node: index, reset: rolls.reset, rng: &rng, stats: &stats)
        let plan = nodes[index].disruption.plan(rolls, stats: &stats)
        var snapshot: XraySnapshot?
        if case .send = plan, emit || nodes[index].disruption.willHold(rolls, isLastTick: isLastTick) {
            snapshot = XraySnapshot(
                collectedAt: settings.time(ofTick: tick), nodeID: nodes[index].nodeID, env: settings.env,
                samples: nodes[index].samples)
        } else if case .send = plan {
            // Not emitted and not held: only the bookkeeping below matters.
            snapshot = XraySnapshot(collectedAt: settings.time(ofTick: tick), nodeID: "", env: "", samples: [])
        }
        nodes[index].disruption.send(
            snapshot, rolls: rolls, isLastTick: isLastTick, into: &out, emit: emit, stats: &stats)
    }

    private mutating func advanceCounters(
        node index: Int, reset: Bool, rng: inout SplitMix64, stats: inout GeneratorStatistics
    ) {
        if reset { stats.resets += 1 }
        let means = nodes[index].uplinkMean
        nodes[index].samples.withUnsafeMutableBufferPointer { samples in
            for i in samples.indices {
                let mean = means[i]
                samples[i].uplinkBytesTotal = Self.next(
                    samples[i].uplinkBytesTotal, reset: reset, growth: 2 * mean, &rng)
                samples[i].downlinkBytesTotal = Self.next(
                    samples[i].downlinkBytesTotal, reset: reset, growth: 12 * mean, &rng)
            }
        }
    }

    /// A counter one tick later: grown by up to `growth`, or after a restart below
    /// its old value and below 64 KiB (a counter still at 0 just grows: a restart
    /// cannot lower it).
    static func next(
        _ value: UInt64, reset: Bool, growth: UInt64, limit: UInt64 = 65_536, _ rng: inout SplitMix64
    ) -> UInt64 {
        if reset && value > 0 { return rng.below(min(value, limit)) }
        return value &+ rng.below(growth + 1)
    }
}
