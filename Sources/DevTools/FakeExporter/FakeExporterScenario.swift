public import Core
import Foundation
public import WireFormats

/// The snapshots a fake exporter serves: one node's history, sorted by
/// `collected_at`, as the real exporter keeps it in memory.
public struct FakeExporterScenario: Sendable {
    public var nodeID: String
    public var env: String
    public var snapshots: [XraySnapshot]

    public init(nodeID: String, env: String, snapshots: [XraySnapshot]) {
        self.nodeID = nodeID
        self.env = env
        self.snapshots = snapshots.sorted { $0.collectedAt < $1.collectedAt }
    }

    /// Reads an `xray_snapshots` fixture (one snapshot a line, e.g. from
    /// `billing-service generate`). With several nodes in the file, `nodeID`
    /// picks one (default: the first line's node).
    public static func load(fixture path: String, nodeID: String? = nil) throws -> FakeExporterScenario {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var snapshots: [XraySnapshot] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                let snapshot = try Array(line).withUnsafeBytes { raw throws(WireFormatError) in
                    try XraySnapshotDecoder.decode(raw)
                }
                snapshots.append(snapshot)
            } catch {
                throw FakeExporterError(message: "\(path):\(lineNumber): \(error)")
            }
        }
        guard let node = nodeID ?? snapshots.first?.nodeID else {
            throw FakeExporterError(message: "\(path): no snapshots")
        }
        let mine = snapshots.filter { $0.nodeID == node }
        guard let env = mine.first?.env else {
            throw FakeExporterError(message: "\(path): no snapshot of node \(node)")
        }
        return FakeExporterScenario(nodeID: node, env: env, snapshots: mine)
    }

    /// One page of the window contract (UPSTREAMS §1): snapshots with
    /// `since ≤ collected_at < until`, after `cursor` when given, at most `limit`
    /// (capped at 1000); `next_cursor` is the last snapshot's `collected_at`, absent when empty.
    public func page(since: Timestamp, until: Timestamp, limit: Int, cursor: Timestamp?) -> XrayWindowPage {
        let limit = min(max(limit, 1), 1000)
        var lower = since
        if let cursor, cursor >= lower { lower = cursor.adding(nanoseconds: 1) }
        let first = snapshots.partitioningIndex { $0.collectedAt >= lower }
        let end = snapshots.partitioningIndex { $0.collectedAt >= until }
        let available = first < end ? Array(snapshots[first..<end]) : []
        let chosen = Array(available.prefix(limit))
        return XrayWindowPage(
            nodeID: nodeID, env: env, snapshots: chosen, hasMore: available.count > limit,
            nextCursor: chosen.last.map { $0.collectedAt.rfc3339(fractionalDigits: .nanoseconds) })
    }
}

extension Array {
    /// The first index whose element satisfies `predicate` (which must be false, then true).
    fileprivate func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

/// A fake exporter could not start or load its scenario.
public struct FakeExporterError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
