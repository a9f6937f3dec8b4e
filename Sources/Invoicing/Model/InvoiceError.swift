public import Core

/// Why an invoice operation was refused, naming the invoice, subject or input
/// at fault. Nothing has changed when one is thrown.
public enum InvoiceError: Error, Sendable, Hashable, CustomStringConvertible {
    case badPeriod(String)
    case futurePeriod(String)
    case unknownInvoice(String)
    case notFinalizable(id: String, status: InvoiceStatus)
    case notVoidable(id: String, status: InvoiceStatus)
    case incomplete(id: String, problems: [String])
    case reasonRequired(String)
    case currencyMismatch(subject: String, customer: String, priceBook: String)
    case couponCurrency(subject: String, coupon: String, couponCurrency: String, invoice: String)
    case rating(String)
    case locked(period: String)
    /// `void --replace` found nothing to bill the subject for in the invoice's period and currency.
    case nothingToReplaceWith(id: String)
    case storage(String)

    public var description: String {
        switch self {
        case .badPeriod(let text): return "period must be a UTC month such as 2026-11, not \"\(text)\""
        case .futurePeriod(let text): return "period \(text) has not started yet"
        case .unknownInvoice(let id): return "no invoice \(id)"
        case .notFinalizable(let id, let status):
            return "invoice \(id) is \(status.rawValue): only a draft is finalized"
        case .notVoidable(let id, let status):
            return "invoice \(id) is \(status.rawValue): only a finalized invoice is voided (a draft is recomputed)"
        case .incomplete(let id, let problems):
            return "invoice \(id): the period is not complete:\n"
                + problems.map { "  - " + $0 }.joined(separator: "\n")
                + "\nfinalize anyway with --force --reason TEXT"
        case .reasonRequired(let what): return "\(what) needs --reason TEXT"
        case .currencyMismatch(let subject, let customer, let priceBook):
            return "customer \(subject) is billed in \(customer) but the price book is in \(priceBook)"
        case .couponCurrency(let subject, let coupon, let couponCurrency, let invoice):
            return "customer \(subject): coupon \(coupon) is in \(couponCurrency) but the invoice is in \(invoice)"
        case .rating(let message): return "rating failed: \(message)"
        case .locked(let period): return "another invoice run holds period \(period); try again when it ends"
        case .nothingToReplaceWith(let id):
            return "invoice \(id) cannot be replaced: the ledger holds nothing to bill its subject for in its "
                + "period and currency now (void it without --replace)"
        case .storage(let message): return message
        }
    }
}
