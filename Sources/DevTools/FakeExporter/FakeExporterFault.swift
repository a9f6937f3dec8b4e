import Synchronization

/// A failure the fake exporter injects into every window request until cleared,
/// so tests show the adapter survives each one and recovers afterwards.
public enum FakeExporterFault: Sendable, Hashable {
    /// `500 Internal Server Error`.
    case http500
    /// Waits this long before answering (longer than the client's timeout: a timeout).
    case delay(Duration)
    /// A 200 whose JSON is cut in half.
    case truncatedJSON
    /// A 200 whose body is padded with spaces to this many bytes.
    case oversizedBody(bytes: Int)
    /// Pages claim another node.
    case wrongNodeID(String)
    /// `401 Unauthorized` whatever the token.
    case unauthorized
}

/// What tests steer and observe while a fake exporter runs: the active fault and
/// the requests it answered.
public final class FakeExporterControl: Sendable {
    /// One request as the fake saw it.
    public struct Request: Sendable, Hashable {
        public var query: String
        public var authorization: String?
        public var accept: String?
    }

    private struct State {
        var fault: FakeExporterFault?
        var requests: [Request] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var fault: FakeExporterFault? {
        get { state.withLock { $0.fault } }
        set { state.withLock { $0.fault = newValue } }
    }

    public var requests: [Request] { state.withLock { $0.requests } }

    func record(_ request: Request) { state.withLock { $0.requests.append(request) } }

    public func clearRequests() { state.withLock { $0.requests.removeAll() } }
}
