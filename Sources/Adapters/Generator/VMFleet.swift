import Core
import WireFormats

/// The simulated virtual machines: per customer some VMs whose cgroup counters
/// (cpu ns, disk and network bytes) grow every tick and whose memory level moves.
///
/// Exists to imitate what metald sends (UPSTREAMS §4): per VM per interval one
/// `SendMetricsBatch` with the VM's counters at that instant.
struct VMFleet {
    private struct Machine {
        var vmID: String
        var customerID: String
        var vcpus: UInt64
        var memoryBytes: UInt64
        var ioMean: UInt64
        var counters: VMMetricsSample
        var disruption = StreamDisruption<VMMetricsBatch>()
    }

    private var machines: [Machine]
    private let settings: GeneratorSettings

    init(settings: GeneratorSettings) {
        self.settings = settings
        let intervalMillis = UInt64(max(settings.interval.totalNanoseconds / 1_000_000, 1))
        var machines: [Machine] = []
        machines.reserveCapacity(settings.subjects * settings.vmsPerSubject)
        for subject in 0..<settings.subjects {
            let customerID = "customer-\(subject + 1)"
            for vm in 0..<settings.vmsPerSubject {
                let index = UInt64(subject * settings.vmsPerSubject + vm)
                let trait = SubjectIdentity.trait(
                    seed: settings.seed, namespace: SubjectIdentity.vmNamespace, index: index)
                let vcpus: UInt64 = 1 << (trait % 4)  // 1, 2, 4 or 8
                let memoryBytes: UInt64 = vcpus * (2 << 30)  // 2 GiB per vCPU
                let ioPerMinute: UInt64 = (trait >> 8) % 2 == 0 ? 8 << 20 : 256 << 20
                machines.append(
                    Machine(
                        vmID: SubjectIdentity.uuid(
                            seed: settings.seed, namespace: SubjectIdentity.vmNamespace, index: index),
                        customerID: customerID, vcpus: vcpus, memoryBytes: memoryBytes,
                        ioMean: ioPerMinute * intervalMillis / 60_000,
                        counters: VMMetricsSample(timestamp: settings.start)))
            }
        }
        self.machines = machines
    }

    var machineCount: Int { machines.count }

    /// Advances VM `index` to tick `tick` and appends what metald sends.
    mutating func step(
        machine index: Int, tick: Int64, isLastTick: Bool, emit: Bool, into out: inout [VMMetricsBatch],
        stats: inout GeneratorStatistics
    ) {
        var rng = SplitMix64(
            seed: settings.seed, stream: SubjectIdentity.vmStreamBase + UInt64(index), tick: UInt64(tick))
        let rolls = StreamDisruption<VMMetricsBatch>.Rolls(&rng, settings: settings)
        advance(machine: index, tick: tick, reset: rolls.reset, rng: &rng, stats: &stats)
        let plan = machines[index].disruption.plan(rolls, stats: &stats)
        var batch: VMMetricsBatch?
        if case .send = plan {
            let machine = machines[index]
            batch =
                emit || machine.disruption.willHold(rolls, isLastTick: isLastTick)
                ? VMMetricsBatch(vmID: machine.vmID, customerID: machine.customerID, metrics: [machine.counters])
                : VMMetricsBatch(vmID: "", customerID: "", metrics: [])
        }
        machines[index].disruption.send(
            batch, rolls: rolls, isLastTick: isLastTick, into: &out, emit: emit, stats: &stats)
    }

    private mutating func advance(
        machine index: Int, tick: Int64, reset: Bool, rng: inout SplitMix64, stats: inout GeneratorStatistics
    ) {
        if reset { stats.resets += 1 }
        let time = settings.time(ofTick: tick)
        let intervalNanos = UInt64(max(settings.interval.totalNanoseconds, 1))
        machines.withUnsafeMutableBufferPointer { machines in
            let vcpus = machines[index].vcpus
            let io = machines[index].ioMean
            let memory = machines[index].memoryBytes
            Self.step(
                &machines[index].counters, time: time, reset: reset, cpuGrowth: vcpus * intervalNanos, io: io,
                memory: memory, rng: &rng)
        }
    }

    private static func step(
        _ c: inout VMMetricsSample, time: Timestamp, reset: Bool, cpuGrowth: UInt64, io: UInt64, memory: UInt64,
        rng: inout SplitMix64
    ) {
        c.timestamp = time
        c.cpuTimeNanos = XrayFleet.next(c.cpuTimeNanos, reset: reset, growth: cpuGrowth, limit: 1_000_000_000, &rng)
        c.diskReadBytes = XrayFleet.next(c.diskReadBytes, reset: reset, growth: 2 * io, &rng)
        c.diskWriteBytes = XrayFleet.next(c.diskWriteBytes, reset: reset, growth: io, &rng)
        c.networkRxBytes = XrayFleet.next(c.networkRxBytes, reset: reset, growth: 4 * io, &rng)
        c.networkTxBytes = XrayFleet.next(c.networkTxBytes, reset: reset, growth: io, &rng)
        // Memory in use: between a quarter and all of the VM's memory.
        c.memoryUsageBytes = memory / 4 + rng.below(memory - memory / 4 + 1)
    }
}
