import Core
import Invoicing
import Rating

/// `ActivityRecording` over the invoice store of the sink that keeps
/// invoices: a VM's start notice opens its span in `activity_spans`, its stop
/// closes it, so invoicing prorates fees from the exact instants metald sent.
struct InvoiceStoreActivity: ActivityRecording {
    let store: any InvoiceStore

    func started(subject: String, dimension: Dimension, at start: Timestamp) async throws {
        _ = try await store.importActivity([ActivitySpan(subject: subject, dimension: dimension, start: start)])
    }

    func stopped(dimension: Dimension, at stop: Timestamp) async throws -> Int {
        try await store.closeActivity(dimension: dimension, at: stop)
    }
}
