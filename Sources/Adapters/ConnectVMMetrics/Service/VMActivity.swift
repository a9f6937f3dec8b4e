public import Core

/// What the adapter knows about each VM between requests: when it last sent
/// metrics, its start and stop instants, the heartbeats that list it, and the
/// gaps metald announced.
///
/// Exists because three rules of UPSTREAMS §4 need memory across calls: a VM
/// silent for longer than `stale_after` without a stop is stale, a VM billed
/// but never started (nor listed by a heartbeat) is flagged, and a client's
/// memory integral is checked against the level it reported before. Kept in
/// memory (a restart forgets it; the facts themselves are in the sinks).
public actor VMActivity {
    /// One VM's lifecycle and last report.
    public struct VM: Sendable, Hashable {
        public var vmID: String
        public var customerID: String?
        public var region: String?
        /// `NotifyVmStarted.start_time`, exact.
        public var startedAt: Timestamp?
        /// `NotifyVmStopped.stop_time`, exact.
        public var stoppedAt: Timestamp?
        /// When the daemon last accepted metrics of it (its clock).
        public var lastReportAt: Timestamp?
        /// The latest sample instant it sent.
        public var lastSampleAt: Timestamp?
        /// The metald instance whose last heartbeat listed it.
        public var heartbeatInstance: String?
        /// Billed without a start notice or a heartbeat listing it.
        public var billedWithoutStart: Bool
    }

    /// A `NotifyPossibleGap` as received.
    public struct Gap: Sendable, Hashable {
        public var vmID: String
        public var lastSent: Timestamp
        public var resumeTime: Timestamp
        public var receivedAt: Timestamp
    }

    /// A memory level the client reported, to check its next integral against.
    struct MemoryLevel: Sendable, Hashable {
        var time: Timestamp
        var bytes: UInt64
    }

    public private(set) var vms: [String: VM] = [:]
    public private(set) var gaps: [Gap] = []
    /// `memory_bytes_seconds` values that differed from the integral of the levels reported before.
    public private(set) var memoryIntegralMismatches: Int = 0
    /// The sum of those differences in byte-seconds (absolute).
    public private(set) var memoryIntegralDifference: UInt64 = 0
    private var memoryLevels: [String: MemoryLevel] = [:]
    /// The most gaps kept (oldest dropped first).
    static let maximumGaps = 10_000

    public init() {}

    private func vm(_ id: String) -> VM {
        vms[id]
            ?? VM(
                vmID: id, customerID: nil, region: nil, startedAt: nil, stoppedAt: nil, lastReportAt: nil,
                lastSampleAt: nil, heartbeatInstance: nil, billedWithoutStart: false)
    }

    /// Records an accepted batch of one VM; returns whether it is billed without a start.
    @discardableResult
    public func reported(vmID: String, customerID: String, region: String?, latestSample: Timestamp, at now: Timestamp)
        -> Bool
    {
        var entry = vm(vmID)
        entry.customerID = customerID
        if let region, !region.isEmpty { entry.region = region }
        entry.lastReportAt = now
        entry.lastSampleAt = max(entry.lastSampleAt ?? latestSample, latestSample)
        if entry.startedAt == nil, entry.heartbeatInstance == nil { entry.billedWithoutStart = true }
        vms[vmID] = entry
        return entry.billedWithoutStart
    }

    public func started(vmID: String, customerID: String, at time: Timestamp) {
        var entry = vm(vmID)
        entry.customerID = customerID
        entry.startedAt = time
        entry.stoppedAt = nil
        entry.billedWithoutStart = false
        vms[vmID] = entry
    }

    /// Records a stop; false when the VM was never started (nothing to close).
    @discardableResult
    public func stopped(vmID: String, at time: Timestamp) -> Bool {
        var entry = vm(vmID)
        entry.stoppedAt = time
        vms[vmID] = entry
        return entry.startedAt != nil
    }

    public func heartbeat(instance: String, activeVMs: [String]) {
        for id in activeVMs {
            var entry = vm(id)
            entry.heartbeatInstance = instance
            entry.billedWithoutStart = false
            vms[id] = entry
        }
    }

    public func gap(_ gap: Gap) {
        gaps.append(gap)
        if gaps.count > Self.maximumGaps { gaps.removeFirst(gaps.count - Self.maximumGaps) }
    }

    /// VMs neither stopped nor heard from for longer than `staleAfter`, sorted by id.
    public func stale(now: Timestamp, after staleAfter: Duration) -> [VM] {
        let limit = staleAfter.totalNanoseconds
        return vms.values.filter { vm in
            guard vm.stoppedAt == nil, let last = vm.lastReportAt else { return false }
            return now.nanosecondsSinceEpoch - last.nanosecondsSinceEpoch > limit
        }.sorted { $0.vmID < $1.vmID }
    }

    /// Checks a client's `memory_bytes_seconds` against the level it reported
    /// before (held over `[previous, time)`, as metering integrates it) and
    /// remembers `bytes` at `time`. Returns the absolute difference when it
    /// exceeds rounding (one byte-second per minute spanned), nil otherwise.
    @discardableResult
    public func checkMemoryIntegral(series: String, time: Timestamp, bytes: UInt64, clientIntegral: UInt64?) -> UInt64?
    {
        let previous = memoryLevels[series]
        if previous.map({ $0.time < time }) ?? true {
            memoryLevels[series] = MemoryLevel(time: time, bytes: bytes)
        }
        guard let clientIntegral, let previous, previous.time < time else { return nil }
        let elapsed = Int128(time.nanosecondsSinceEpoch - previous.time.nanosecondsSinceEpoch)
        let ours = Int128(previous.bytes) * elapsed / Int128(Timestamp.nanosecondsPerSecond)
        let client = Int128(clientIntegral)
        let difference = ours > client ? ours - client : client - ours
        let tolerance = elapsed / Int128(Timestamp.nanosecondsPerMinute) + 1
        guard difference > tolerance else { return nil }
        let clamped = UInt64(clamping: difference)
        memoryIntegralMismatches += 1
        let (sum, overflow) = memoryIntegralDifference.addingReportingOverflow(clamped)
        memoryIntegralDifference = overflow ? .max : sum
        return clamped
    }
}
