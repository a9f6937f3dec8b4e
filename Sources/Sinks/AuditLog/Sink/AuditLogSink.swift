public import Core
internal import Logging

/// The `jsonl_audit` sink: appends every fact as a hash-chained canonical JSON
/// line and fsyncs before acknowledging. An actor, so writes of one pipeline are
/// serialised; one instance serves one pipeline (the host guarantees it).
///
/// On `open` it cuts the uncommitted tail (see `AuditTailCut`) and records the
/// cut as a chained `cut` line. A batch whose sequence is not above the last
/// batch already written or committed is a replay and is skipped, so writing the
/// same batch twice changes nothing.
public actor AuditLogSink: FactSink {
    public nonisolated let id: String
    public nonisolated let options: AuditLogOptions
    private let clock: any WallClock
    private let logger: Logger

    private struct CurrentFile {
        var io: AuditFileIO
        var name: AuditFileName
        var size: Int64
    }

    private var pipeline: String?
    private var chain = AuditChain.genesis
    private var current: CurrentFile?
    /// The highest batch sequence written or committed; writes at or below it are replays.
    private var highWater: UInt64 = 0
    /// Set when a failed write could not be rolled back: the sink must be reopened.
    private var broken: String?
    /// One invoicing append (`withLock`) at a time within this process.
    nonisolated let invoiceLock = AsyncLock()
    /// Reused for every batch, so its buffer is allocated once.
    private var scratch = CanonicalJSONWriter(capacity: 1 << 20)

    public init(id: String, options: AuditLogOptions, context: PluginContext) {
        self.id = id
        self.options = options
        self.clock = context.clock
        self.logger = context.logger
    }

    private var component: String { "sinks.\(id)" }

    private func filePath(_ name: AuditFileName) -> String { options.directory + "/" + name.text }

    public func open(pipeline: String, lastCommittedSequence: UInt64) async throws {
        try cutUncommittedTail(
            pipeline: pipeline, lastCommitted: lastCommittedSequence,
            reason: "uncommitted tail removed on open (batches after \(lastCommittedSequence) and any incomplete line)")
    }

    /// A batch after `lastCommittedSequence` failed in another sink or in the
    /// state commit: its lines here were never committed, and the next batch
    /// reuses its sequence with other facts. They are cut from the file the
    /// way `open` cuts a crash's tail, with a chained `cut` line saying so,
    /// so the file again holds exactly the committed batches.
    public func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws {
        guard self.pipeline != nil else { return }
        try cutUncommittedTail(
            pipeline: pipeline, lastCommitted: lastCommittedSequence,
            reason: "batches after \(lastCommittedSequence) rolled back: they did not commit in every sink")
    }

    /// Reads the chain's end from the files, removes every line of a batch
    /// after `lastCommitted` (and a torn last line), records the cut, and
    /// makes the sink's position that of the committed end.
    private func cutUncommittedTail(pipeline: String, lastCommitted: UInt64, reason: String) throws {
        if let existing = self.pipeline, existing != pipeline {
            throw PluginError(.permanent, component: component, "already opened for pipeline \"\(existing)\"")
        }
        current = nil
        broken = nil
        do {
            try AuditDirectory.create(options.directory)
            let plan = try AuditTailCut.plan(
                directory: options.directory, pipeline: pipeline, lastCommitted: lastCommitted)
            try apply(plan, pipeline: pipeline, lastCommitted: lastCommitted, reason: reason)
        } catch let error as AuditTailCut.Failure {
            broken = error.description
            throw PluginError(.permanent, component: component, error.description)
        } catch let error as AuditIOError {
            broken = "the uncommitted tail could not be cut (\(error.description)); retrying"
            throw PluginError(.retryable, component: component, error.description)
        } catch {
            broken = "\(error)"
            throw PluginError(.permanent, component: component, "\(error)")
        }
        self.pipeline = pipeline
        highWater = lastCommitted
    }

    private func apply(_ plan: AuditTailCut, pipeline: String, lastCommitted: UInt64, reason: String) throws {
        for name in plan.removedFiles { try AuditDirectory.remove(filePath(name)) }
        if !plan.removedFiles.isEmpty && options.fsync { try AuditDirectory.sync(options.directory) }
        chain = plan.kept?.chain ?? .genesis
        if let kept = plan.kept, let name = plan.keptFile {
            let io = try AuditFileIO(path: filePath(name), mode: .update)
            if try io.size() != kept.end {
                try io.truncate(to: kept.end)
                if options.fsync { try io.sync() }
            }
            current = CurrentFile(io: io, name: name, size: kept.end)
        }
        guard plan.cutsAnything else { return }
        let now = clock.now()
        let cut = AuditCut(
            pipeline: pipeline, committedBatch: lastCommitted, removedLines: plan.removedLines,
            firstRemovedSeq: plan.firstRemovedSeq, lastRemovedSeq: plan.lastRemovedSeq,
            firstRemovedBatch: plan.firstRemovedBatch, lastRemovedBatch: plan.lastRemovedBatch,
            tornBytes: plan.tornBytes, removedFiles: plan.removedFiles.map(\.text), reason: reason, at: now)
        var writer = CanonicalJSONWriter()
        var next = chain
        let newFile = current == nil ? AuditFileName(firstSeq: next.seq + 1, day: AuditFileName.day(of: now)) : nil
        if let newFile {
            AuditLineEncoder.appendOpen(
                file: newFile.text, previousFile: nil, createdAt: now, chain: &next, to: &writer)
        }
        AuditLineEncoder.appendCut(cut, chain: &next, to: &writer)
        try writer.withUnsafeBytes { bytes throws(AuditIOError) in try append(bytes, newFile: newFile) }
        chain = next
        logger.warning(
            "audit tail cut",
            metadata: [
                "sink": "\(id)", "pipeline": "\(pipeline)", "committed_batch": "\(lastCommitted)",
                "removed_lines": "\(plan.removedLines)", "torn_bytes": "\(plan.tornBytes)",
                "removed_files": "\(plan.removedFiles.count)",
            ])
    }

    /// Appends `bytes` to the current file, or creates `newFile` holding them;
    /// fsyncs (and the directory for a new file) when configured. On failure the
    /// file is restored to its previous length, or the sink is marked broken.
    private func append(_ bytes: UnsafeRawBufferPointer, newFile: AuditFileName?) throws(AuditIOError) {
        if let newFile {
            let path = filePath(newFile)
            do {
                let io = try AuditFileIO(path: path, mode: .create)
                try io.write(bytes, at: 0)
                if options.fsync {
                    try io.sync()
                    try AuditDirectory.sync(options.directory)
                }
                current = CurrentFile(io: io, name: newFile, size: Int64(bytes.count))
            } catch {
                try? AuditDirectory.remove(path)
                throw error
            }
            return
        }
        guard var file = current else { return }
        do {
            try file.io.write(bytes, at: file.size)
            if options.fsync { try file.io.sync() }
        } catch {
            do {
                try file.io.truncate(to: file.size)
            } catch {
                broken = "a failed write could not be rolled back (\(error)); reopen the sink"
            }
            throw error
        }
        file.size += Int64(bytes.count)
        current = file
    }

    public func write(_ batch: FactBatch) async throws {
        guard let pipeline else {
            throw PluginError(.permanent, component: component, "write before open")
        }
        if let broken { throw PluginError(.permanent, component: component, broken) }
        guard batch.pipeline == pipeline else {
            throw PluginError(
                .permanent, component: component,
                "batch of pipeline \"\(batch.pipeline)\" written to a sink opened for \"\(pipeline)\"")
        }
        // A replay of a batch already written (or committed): its lines are there.
        guard batch.sequence > highWater else { return }
        if batch.facts.isEmpty {
            highWater = batch.sequence
            return
        }
        let now = clock.now()
        var writer = CanonicalJSONWriter(capacity: 0)
        swap(&writer, &scratch)
        writer.removeAll()
        defer { swap(&writer, &scratch) }
        var next = chain
        let newFile = openLineIfRotating(at: now, chain: &next, to: &writer)
        do {
            var units = MetricUnitCache()
            for fact in batch.facts {
                try AuditLineEncoder.appendUsage(
                    fact, pipeline: pipeline, batch: batch.sequence, chain: &next, to: &writer, units: &units)
            }
        } catch {
            throw PluginError(.permanent, component: component, "batch \(batch.sequence): \(error)")
        }
        do {
            try writer.withUnsafeBytes { bytes throws(AuditIOError) in try append(bytes, newFile: newFile) }
        } catch {
            throw PluginError(.retryable, component: component, "batch \(batch.sequence): \(error)")
        }
        chain = next
        highWater = batch.sequence
    }

    /// The `open` line of a new file when the current one is full or of another
    /// UTC day (or there is none yet): appended to `writer`, the new file's name returned.
    private func openLineIfRotating(
        at now: Timestamp, chain next: inout AuditChain, to writer: inout CanonicalJSONWriter
    ) -> AuditFileName? {
        let today = AuditFileName.day(of: now)
        guard current.map({ $0.size >= options.rotateBytes || $0.name.day != today }) ?? true else { return nil }
        let name = AuditFileName(firstSeq: next.seq + 1, day: today)
        AuditLineEncoder.appendOpen(
            file: name.text, previousFile: current?.name.text, createdAt: now, chain: &next, to: &writer)
        return name
    }

    /// Takes the chain's end from the files again (another process may have
    /// appended) and cuts a torn last line, for an invoicing trail.
    func reopenForInvoices() throws {
        try cutUncommittedTail(
            pipeline: Self.invoicingPipeline, lastCommitted: .max,
            reason: "incomplete tail of the invoicing trail removed before an append")
    }

    /// Appends one `invoice` line per entry in one write; the position of each.
    func appendInvoiceLines(_ entries: [InvoiceAuditEntry]) throws -> [AuditPosition] {
        if let broken { throw PluginError(.permanent, component: component, broken) }
        var writer = CanonicalJSONWriter()
        var next = chain
        let newFile = openLineIfRotating(at: clock.now(), chain: &next, to: &writer)
        guard let file = newFile?.text ?? current?.name.text else {
            throw PluginError(.permanent, component: component, "no audit file to append to")
        }
        var positions: [AuditPosition] = []
        for entry in entries {
            AuditLineEncoder.appendInvoice(entry, chain: &next, to: &writer)
            positions.append(AuditPosition(file: file, seq: Int64(next.seq), hash: next.lastHashText))
        }
        do {
            try writer.withUnsafeBytes { bytes throws(AuditIOError) in try append(bytes, newFile: newFile) }
        } catch {
            throw PluginError(.retryable, component: component, "invoice lines: \(error)")
        }
        chain = next
        return positions
    }

    public func close() async throws {
        if let file = current, options.fsync {
            do {
                try file.io.sync()
            } catch {
                throw PluginError(.retryable, component: component, "\(error)")
            }
        }
        current = nil
    }
}
