import Core
import Host
import Hummingbird
import Logging

/// One method and path that push sources declared, and the sources serving it
/// (several sources of one type may share a path; `?source=` picks one).
struct PushMount: Sendable {
    var route: APIRoute
    var sources: [DaemonSource]
}

/// Serving a push source's route: pick the source, check the media type,
/// hand the request to the source with the daemon's `PushContext`.
extension APIServer {
    /// Every push route of the configured sources, grouped by method and path, in config order.
    static func pushMounts(of roster: SourceRoster) -> [PushMount] {
        var mounts: [PushMount] = []
        for source in roster.sources {
            guard let push = source.push else { continue }
            for declared in push.routes {
                if let index = mounts.firstIndex(where: {
                    $0.route.method == declared.method && $0.route.path == declared.path
                }) {
                    mounts[index].sources.append(source)
                } else {
                    mounts.append(PushMount(route: APIRoute(push: declared), sources: [source]))
                }
            }
        }
        return mounts
    }

    /// The source a request to `mount` is for: the one `?source=` names, or the only one.
    func pushSource(for mount: PushMount, named id: String?) throws(WorkRefusal) -> DaemonSource {
        let names = mount.sources.map(\.id).joined(separator: ", ")
        if let id {
            guard let found = mount.sources.first(where: { $0.id == id }) else {
                throw WorkRefusal(
                    .notFound,
                    "no source \"\(id)\" serves \(mount.route.method) \(mount.route.path) (sources: \(names))")
            }
            return found
        }
        guard mount.sources.count == 1, let only = mount.sources.first else {
            throw WorkRefusal(
                .badRequest,
                "several sources serve \(mount.route.method) \(mount.route.path) (\(names)): name one with ?source=")
        }
        return only
    }

    func push(_ request: Request, mount: PushMount) async -> Response {
        let source: DaemonSource
        do {
            source = try pushSource(for: mount, named: request.uri.queryParameters["source"].map(String.init))
        } catch {
            return Self.failure(error)
        }
        guard let push = source.push,
            let declared = push.routes.first(where: {
                $0.method == mount.route.method && $0.path == mount.route.path
            })
        else {
            return Self.failure(WorkRefusal(.notFound, "source \(source.id) serves no \(mount.route.path)"))
        }
        if let refusal = PushContentType.refusal(request.headers[.contentType], route: declared) {
            return PushAnswer.response(refusal)
        }
        guard let engine = roster.engine(of: source) else {
            return Self.failure(WorkRefusal(.notFound, "source \(source.id) feeds no pipeline"))
        }
        var headers = PushHeaders()
        for field in request.headers { headers.append(field.name.canonicalName, field.value) }
        let query = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        let pushRequest = PushRequest(
            route: declared, path: request.uri.path, headers: headers, query: query,
            pathParameters: mount.route.parameters(in: request.uri.path), body: HummingbirdPushBody(body: request.body))
        let context = DaemonPushContext(
            source: source, engine: engine, roster: roster,
            ledger: ledgers.first { $0.pipeline == source.pipeline }?.ledger, pricing: pricing,
            activity: activity, commitTimeout: pushCommitTimeout,
            logger: logger)
        return PushAnswer.response(await push.serve(pushRequest, context: context))
    }
}
