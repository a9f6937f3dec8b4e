public import Core

/// One usage record of the AI platform's billing API (UPSTREAMS §5,
/// `POST /api/v1/usage/record`), as sent: the amount kept as its decimal text
/// so the adapter converts it to base units exactly, never through a float.
public struct UsageRecord: Hashable, Sendable {
    public var userID: String
    public var productID: String
    public var serviceType: String
    /// `usage_amount` as written (a JSON number or a decimal string), e.g. `"1000"`, `1.5`.
    public var usageAmount: String
    public var billingMethod: String?
    public var organizationID: String?
    public var sessionID: String?
    public var requestID: String?
    public var usageTimestamp: Timestamp?

    public init(
        userID: String, productID: String, serviceType: String, usageAmount: String, billingMethod: String? = nil,
        organizationID: String? = nil, sessionID: String? = nil, requestID: String? = nil,
        usageTimestamp: Timestamp? = nil
    ) {
        self.userID = userID
        self.productID = productID
        self.serviceType = serviceType
        self.usageAmount = usageAmount
        self.billingMethod = billingMethod
        self.organizationID = organizationID
        self.sessionID = sessionID
        self.requestID = requestID
        self.usageTimestamp = usageTimestamp
    }
}
