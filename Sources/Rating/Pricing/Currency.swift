/// An ISO 4217 currency and its minor-unit count, so a price book cannot name a
/// currency that does not exist or present it with the wrong number of digits.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public var code: String
    /// Fractional digits an invoice line shows (2 for USD cents, 0 for JPY, 3 for KWD).
    public var minorUnits: Int

    public init(code: String, minorUnits: Int) {
        self.code = code
        self.minorUnits = minorUnits
    }

    public var description: String { code }

    /// The ISO 4217 minor units of the currencies a price book may use.
    public static let iso4217: [String: Int] = [
        "AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
        "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
        "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "KZT": 2, "MXN": 2, "MYR": 2, "NGN": 2,
        "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2,
        "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "UZS": 2,
        "VND": 0, "ZAR": 2,
    ]

    /// The currency for an ISO code, or `nil` when the code is unknown.
    public static func iso(_ code: String) -> Currency? {
        iso4217[code].map { Currency(code: code, minorUnits: $0) }
    }
}
