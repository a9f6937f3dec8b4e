import Core
import HTTPTypes
import Host
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The open connections of one listener, against `service.max_connections`.
///
/// Exists because Hummingbird's own limit (`AvailableConnectionsChannelHandler`)
/// stops accepting when full: the next clients wait in the kernel's backlog
/// with no answer. Counting here lets the guard answer them a clear 503 instead.
final class ConnectionCounter: Sendable {
    let limit: Int
    /// `api` or `probes`, the label of the closes counted.
    let listener: String
    let metrics: any MetricsFactory
    private let open = Atomic<Int>(0)

    init(limit: Int, listener: String, metrics: any MetricsFactory) {
        self.limit = limit
        self.listener = listener
        self.metrics = metrics
    }

    /// `billing_http_connections_closed_total{listener, reason}`: a deadline
    /// that passed (`header_timeout`, `body_timeout`, `idle_timeout`) or a
    /// refusal over the limit (`max_connections`).
    func closed(reason: String) {
        Counter(
            label: "billing_http_connections_closed_total", dimensions: [("listener", listener), ("reason", reason)],
            factory: metrics
        ).increment()
    }

    /// Counts a new connection when there is room; false (nothing counted) when full.
    func admit() -> Bool {
        if open.wrappingAdd(1, ordering: .relaxed).newValue <= limit { return true }
        open.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    var count: Int { open.load(ordering: .relaxed) }
}

/// Per connection: the header, body and keep-alive idle deadlines of
/// `service:` (`header_timeout`, `body_timeout`, `idle_timeout`), and the 503
/// refusal of a connection over `max_connections`.
///
/// Exists because Hummingbird 2 offers only one idle timeout, which restarts on
/// every request part read: a body trickled a byte at a time never ends, and
/// nothing bounds a request head. This handler sits after HTTP decoding (it
/// sees heads and ends); a small byte watcher it puts at the front of the
/// pipeline tells it when a kept-alive connection starts its next request, so
/// the header deadline runs from that first byte rather than from the end of
/// the previous response. A deadline that passes closes the connection.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What a pending deadline guards, for the log line when it closes a connection.
    enum Phase: String {
        case header = "header_timeout"
        case body = "body_timeout"
        case idle = "idle_timeout"
    }

    private let settings: ServiceSettings
    private let counter: ConnectionCounter
    private let logger: Logger
    /// nil before the connection is active; false when it was over the limit.
    private var admitted: Bool?
    private var released = false
    /// A request head was read and its end not yet.
    private var requestOpen = false
    /// Heads read whose response has not ended.
    private var inFlight = 0
    /// Waiting for the next request on a kept-alive connection (no byte of it yet).
    private var waiting = false
    private var deadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(settings: ServiceSettings, counter: ConnectionCounter, logger: Logger) {
        self.settings = settings
        self.counter = counter
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        try? context.pipeline.syncOperations.addHandler(ByteArrivalWatcher(owner: self), position: .first)
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
        release()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        release()
        context.fireChannelInactive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard admitted == nil else { return }
        let admitted = counter.admit()
        self.admitted = admitted
        if !admitted {
            counter.closed(reason: "max_connections")
            logger.warning(
                "connection refused: service.max_connections reached",
                metadata: ["max_connections": "\(counter.limit)"])
        }
        schedule(.header, after: settings.headerTimeout, context)
    }

    private func release() {
        guard admitted == true, !released else { return }
        released = true
        counter.release()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard admitted == true else {
            if case .head = part { refuse(context) }
            return
        }
        switch part {
        case .head:
            requestOpen = true
            inFlight += 1
            waiting = false
            schedule(.body, after: settings.bodyTimeout, context)
        case .body:
            break
        case .end:
            requestOpen = false
            // The handler's own time is not bounded here (a push waits for its commit).
            cancelDeadline()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight -= 1
            if inFlight == 0, !requestOpen {
                waiting = true
                schedule(.idle, after: settings.idleTimeout, context)
            }
        }
        context.write(data, promise: promise)
    }

    /// The first byte of the next request on a kept-alive connection: its head is due within `header_timeout`.
    fileprivate func bytesArrived() {
        guard waiting, let context else { return }
        waiting = false
        schedule(.header, after: settings.headerTimeout, context)
    }

    /// 503 with the one JSON error body, `Connection: close` and `Retry-After`, then close.
    private func refuse(_ context: ChannelHandlerContext) {
        let message =
            "the daemon serves at most \(counter.limit) connections at a time (service.max_connections); retry later"
        let body = Self.errorBody(code: "too_many_connections", message: message)
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = "\(body.readableBytes)"
        fields[.connection] = "close"
        fields[.retryAfter] = "1"
        context.write(
            wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    static func errorBody(code: String, message: String) -> ByteBuffer {
        var out: [UInt8] = Array(#"{"error":{"code":"#.utf8)
        JSONString.appendQuoted(code, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONString.appendQuoted(message, to: &out)
        out.append(contentsOf: "}}\n".utf8)
        return ByteBuffer(bytes: out)
    }

    private func schedule(_ phase: Phase, after duration: Duration, _ context: ChannelHandlerContext) {
        cancelDeadline()
        let loop = context.eventLoop.assumeIsolated()
        deadline = loop.scheduleTask(in: TimeAmount(duration)) { [self] in
            self.deadline = nil
            counter.closed(reason: phase.rawValue)
            logger.debug("closing connection", metadata: ["reason": "\(phase.rawValue)"])
            context.close(promise: nil)
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}

/// Tells the guard when bytes arrive, before HTTP decoding sees them.
private final class ByteArrivalWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private weak var owner: ConnectionGuard?

    init(owner: ConnectionGuard) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.bytesArrived()
        context.fireChannelRead(data)
    }
}
