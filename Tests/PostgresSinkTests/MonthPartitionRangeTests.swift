import Core
import Testing

@testable import PostgresSink

/// Months at the ends of what Int64 nanoseconds hold: naming one and writing its
/// DDL once trapped (a 2262-04 push killed the daemon); now neither does arithmetic.
@Suite struct MonthPartitionRangeTests {
    @Test(arguments: [
        (Int64.max, "usage_facts_y2262m04", "2262-04-01T00:00:00Z", "2262-05-01T00:00:00Z"),
        (Int64.min, "usage_facts_y1677m09", "1677-09-01T00:00:00Z", "1677-10-01T00:00:00Z"),
        (0, "usage_facts_y1970m01", "1970-01-01T00:00:00Z", "1970-02-01T00:00:00Z"),
    ])
    func edgeMonthsHaveBoundsWithoutTrapping(nanoseconds: Int64, name: String, from: String, to: String) throws {
        let partition = MonthPartition(containing: Timestamp(nanosecondsSinceEpoch: nanoseconds))
        #expect(partition.tableName == name)
        let schema = try #require(LedgerSchema("billing"))
        let ddl = partition.createStatement(in: schema)
        #expect(ddl.contains("FROM ('\(from)') TO ('\(to)')"), "\(ddl)")
        // Saturated, not trapped, where Int64 nanoseconds end.
        #expect(partition.start <= partition.end)
    }

    @Test func theLastAcceptedMonthEndsWithinInt64() {
        let last = Timestamp.acceptedRange.upperBound.adding(nanoseconds: -1)
        let partition = MonthPartition(containing: last)
        #expect(partition.tableName == "usage_facts_y2261m12")
        #expect(partition.end == Timestamp.acceptedRange.upperBound)
        #expect(partition.start == Timestamp(rfc3339: "2261-12-01T00:00:00Z"))
    }
}
