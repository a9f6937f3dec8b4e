/// One row of `SourceMinuteTotals`: a source's quantity for a subject, metric and minute.
public struct SourceMinuteTotal: Sendable, Hashable {
    public var subject: String
    public var metric: String
    public var minute: Timestamp
    /// Decimal digits (the ledger's exact numeric).
    public var quantity: String

    public init(subject: String, metric: String, minute: Timestamp, quantity: String) {
        self.subject = subject
        self.metric = metric
        self.minute = minute
        self.quantity = quantity
    }
}
