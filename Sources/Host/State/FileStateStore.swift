public import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Pipeline state in a local directory, for deployments without PostgreSQL.
///
/// Per pipeline, `<dir>/<pipeline>/` holds `snapshot.bin` (the full state as of
/// one sequence, replaced atomically: temp file, fsync, rename, fsync dir) and
/// `journal.bin` (one checksummed record per commit, appended and fsynced). A
/// commit therefore writes only the baselines its batch changed, not the whole
/// table. Loading applies the journal over the snapshot; a torn last record
/// (a crash mid-append) fails its checksum and is cut off. When the journal
/// outgrows the snapshot it is folded into a new snapshot and emptied.
/// Formats are versioned by magic numbers; see docs/state-format.md.
public actor FileStateStore: PipelineStateStore {
    static let snapshotMagic: UInt32 = 0x3153_5342  // "BSS1"
    static let journalMagic: UInt32 = 0x314A_5342  // "BSJ1"
    static let commitRecord: UInt8 = 1
    static let statusRecord: UInt8 = 2

    public let directory: String
    /// Fold the journal into the snapshot once it is larger than this and than the snapshot.
    let compactionBytes: Int
    private var journals: [String: Int32] = [:]
    private var journalSizes: [String: Int] = [:]
    private var snapshotSizes: [String: Int] = [:]

    public init(directory: String, compactionBytes: Int = 64 << 20) {
        self.directory = directory
        self.compactionBytes = compactionBytes
    }

    deinit {
        for fd in journals.values { Glibc.close(fd) }
    }

    func pipelineDirectory(_ pipeline: String) -> String { directory + "/" + pipeline }

    private struct SourceEntry: Codable {
        var source: String
        var state: SourceState
    }

    private struct SnapshotHeader: Codable {
        var sources: [String: SourceState]
    }

    public func load(pipeline: String) async throws -> PipelineState {
        let dir = pipelineDirectory(pipeline)
        try DurableFile.createDirectories(dir)
        var state = PipelineState()
        let snapshotPath = dir + "/snapshot.bin"
        if let bytes = try DurableFile.read(snapshotPath) {
            state = try Self.decodeSnapshot(bytes, path: snapshotPath)
            snapshotSizes[pipeline] = bytes.count
        }
        let journalPath = dir + "/journal.bin"
        var goodLength = 0
        if let bytes = try DurableFile.read(journalPath) {
            var reader = BinaryReader(bytes)
            while reader.remaining > 0 {
                let start = reader.offset
                guard let record = Self.decodeRecord(&reader) else { break }
                if record.sequence >= state.lastCommittedSequence || record.type == Self.statusRecord {
                    if record.type == Self.commitRecord, record.sequence > state.lastCommittedSequence {
                        state.apply(
                            StateCommit(
                                pipeline: pipeline, sequence: record.sequence, source: record.source,
                                sourceState: record.sourceState, baselines: record.baselines))
                    } else if record.type == Self.statusRecord {
                        state.sources[record.source] = record.sourceState
                    }
                }
                goodLength = reader.offset
                _ = start
            }
            if goodLength < bytes.count {
                // A torn tail from a crash in the middle of an append: it was never acknowledged.
                try DurableFile.check(truncate(journalPath, off_t(goodLength)), "truncate", journalPath)
            }
        }
        let fd = try DurableFile.open(journalPath, flags: O_WRONLY | O_CREAT | O_APPEND)
        if let old = journals[pipeline] { Glibc.close(old) }
        journals[pipeline] = fd
        journalSizes[pipeline] = goodLength
        return state
    }

    public func commit(_ commit: StateCommit) async throws {
        try append(
            type: Self.commitRecord, pipeline: commit.pipeline, sequence: commit.sequence, source: commit.source,
            sourceState: commit.sourceState, baselines: commit.baselines)
    }

    public func recordStatus(pipeline: String, source: String, state: SourceState) async throws {
        try append(
            type: Self.statusRecord, pipeline: pipeline, sequence: 0, source: source, sourceState: state,
            baselines: [:])
    }

    public func checkpoint(pipeline: String, state: PipelineState) async throws {
        guard compactionDue(pipeline) else { return }
        try writeSnapshot(pipeline: pipeline, state: state)
    }

    public func wantsCheckpoint(pipeline: String) -> Bool { compactionDue(pipeline) }

    /// When the journal outgrew both `compactionBytes` and the last snapshot.
    private func compactionDue(_ pipeline: String) -> Bool {
        let journalSize = journalSizes[pipeline] ?? 0
        return journalSize > compactionBytes && journalSize > (snapshotSizes[pipeline] ?? 0)
    }

    /// Writes the full state as the new snapshot and empties the journal.
    func writeSnapshot(pipeline: String, state: PipelineState) throws {
        let dir = pipelineDirectory(pipeline)
        let bytes = try Self.encodeSnapshot(state)
        try DurableFile.replace(dir + "/snapshot.bin", with: bytes)
        snapshotSizes[pipeline] = bytes.count
        // A crash before this truncation is harmless: records at or below the
        // snapshot's sequence are skipped on load.
        let journalPath = dir + "/journal.bin"
        guard let fd = journals[pipeline] else { return }
        try DurableFile.check(ftruncate(fd, 0), "truncate", journalPath)
        try DurableFile.fsync(fd, path: journalPath)
        journalSizes[pipeline] = 0
    }

    private func append(
        type: UInt8, pipeline: String, sequence: UInt64, source: String, sourceState: SourceState,
        baselines: [SeriesDigest: Baseline]
    ) throws {
        guard let fd = journals[pipeline] else {
            throw StateStoreError(message: "state of pipeline \(pipeline) was not loaded before a commit")
        }
        var writer = BinaryWriter()
        writer.bytes.reserveCapacity(64 + baselines.count * 32)
        writer.append(Self.journalMagic)
        writer.append(type)
        writer.append(sequence)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        writer.append(bytes: [UInt8](try encoder.encode(SourceEntry(source: source, state: sourceState))))
        writer.append(UInt32(baselines.count))
        for (digest, baseline) in baselines { writer.append(digest, baseline) }
        writer.seal()
        let path = pipelineDirectory(pipeline) + "/journal.bin"
        try DurableFile.writeAll(fd, writer.bytes, path: path)
        try DurableFile.fsync(fd, path: path)
        journalSizes[pipeline, default: 0] += writer.bytes.count
    }

    private struct Record {
        var type: UInt8
        var sequence: UInt64
        var source: String
        var sourceState: SourceState
        var baselines: [SeriesDigest: Baseline]
    }

    private static func decodeRecord(_ reader: inout BinaryReader) -> Record? {
        let start = reader.offset
        guard reader.read(UInt32.self) == journalMagic, let type = reader.read(UInt8.self),
            let sequence = reader.read(UInt64.self), let json = reader.readBytes(),
            let count = reader.read(UInt32.self)
        else { return nil }
        var baselines: [SeriesDigest: Baseline] = [:]
        baselines.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let (digest, baseline) = reader.readBaseline() else { return nil }
            baselines[digest] = baseline
        }
        guard reader.verifySeal(from: start),
            let entry = try? JSONDecoder().decode(SourceEntry.self, from: Data(json))
        else { return nil }
        return Record(
            type: type, sequence: sequence, source: entry.source, sourceState: entry.state, baselines: baselines)
    }

    static func encodeSnapshot(_ state: PipelineState) throws -> [UInt8] {
        var writer = BinaryWriter()
        writer.bytes.reserveCapacity(64 + state.baselines.count * 32)
        writer.append(snapshotMagic)
        writer.append(state.lastCommittedSequence)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        writer.append(bytes: [UInt8](try encoder.encode(SnapshotHeader(sources: state.sources))))
        writer.append(UInt64(state.baselines.count))
        for (digest, baseline) in state.baselines { writer.append(digest, baseline) }
        writer.seal()
        return writer.bytes
    }

    static func decodeSnapshot(_ bytes: [UInt8], path: String) throws -> PipelineState {
        var reader = BinaryReader(bytes)
        guard reader.read(UInt32.self) == snapshotMagic, let sequence = reader.read(UInt64.self),
            let json = reader.readBytes(), let count = reader.read(UInt64.self)
        else { throw StateStoreError(message: "\(path): not a state snapshot (bad header); refusing to start") }
        var baselines: [SeriesDigest: Baseline] = [:]
        baselines.reserveCapacity(Int(clamping: count))
        for _ in 0..<count {
            guard let (digest, baseline) = reader.readBaseline() else {
                throw StateStoreError(message: "\(path): truncated state snapshot; refusing to start")
            }
            baselines[digest] = baseline
        }
        guard reader.verifySeal(from: 0) else {
            throw StateStoreError(message: "\(path): state snapshot checksum mismatch; refusing to start")
        }
        let header = try JSONDecoder().decode(SnapshotHeader.self, from: Data(json))
        return PipelineState(lastCommittedSequence: sequence, sources: header.sources, baselines: baselines)
    }
}

/// The state store cannot do what was asked; says which file and why.
public struct StateStoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
