import Crypto
public import Rating

/// Invoice ids: deterministic from (subject, period, currency).
///
/// Exists so two runs of the same period compute the same id for the same
/// invoice: the second finds the first's draft instead of making another, and
/// the primary key is the last guard against a duplicate.
public enum InvoiceID {
    /// `inv_` and 24 hex digits of SHA-256 over the three parts.
    public static func make(subject: String, period: BillingPeriod, currency: String) -> String {
        hashed([subject, period.description, currency])
    }

    /// The id of the invoice that replaces `voided` (so retrying a void with
    /// `--replace` finds the replacement it made).
    public static func replacement(of voided: String) -> String {
        hashed(["replacement", voided])
    }

    static func hashed(_ parts: [String]) -> String {
        let text = parts.joined(separator: "\u{0}")
        let digest = SHA256.hash(data: Array(text.utf8))
        let hex = digest.prefix(12).map { byte -> String in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
        }
        return "inv_" + hex.joined()
    }
}
