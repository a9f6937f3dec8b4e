public import ArgumentParser
import Core
import Rating

extension RatingCommands.Format: ExpressibleByArgument {}

/// `billing-service rate`: a billing period's statement from usage facts.
struct RateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate",
        abstract:
            "Price a billing period: per subject and metric, quantity, tiers, allowance, exact and rounded amount.")

    @Option(help: "The price book (one version or versions: [...]).")
    var priceBook: String

    @Option(help: "A plans file (subject -> plan, default plan); overrides plans: in the price book.")
    var plans: String?

    @Option(help: "A JSON-lines usage file (subject, metric, minute, quantity, dimensions).")
    var usage: String?

    @Option(help: "An audit file or directory to read usage lines from (the chain is verified).")
    var fromAudit: String?

    @Option(
        help: ArgumentHelp(
            "A JSON-lines file of start/stop events that prorate recurring fees.",
            discussion:
                "Each line: {\"subject\", \"event\": \"start\"|\"stop\", \"time\"} with optional "
                + "\"dimensions\": {\"vm_id\": \"...\"}. Without it, fees use first-to-last activity."))
    var activity: String?

    @Option(help: "The billing period, a UTC month: 2026-11.")
    var period: String

    @Option(help: "Only this subject.")
    var subject: String?

    @Option(help: "table or json.")
    var format: RatingCommands.Format = .table

    func validate() throws {
        guard (usage == nil) != (fromAudit == nil) else {
            throw ValidationError("give exactly one of --usage FILE or --from-audit PATH")
        }
        guard BillingPeriod(period) != nil else {
            throw ValidationError("--period must be a UTC month such as 2026-11, not \"\(period)\"")
        }
    }

    func run() async throws {
        let catalog: PriceCatalog
        do {
            catalog = try PricingLoader.load(path: priceBook, plansPath: plans)
        } catch {
            throw CommandFailure.usage("invalid price book:\n\(error)")
        }
        guard let billingPeriod = BillingPeriod(period) else { throw CommandFailure.usage("bad --period") }
        let facts: [UsageFact]
        do {
            if let usage {
                facts = try UsageFile.read(path: usage)
            } else if let fromAudit {
                facts = try UsageFile.readAudit(path: fromAudit)
            } else {
                facts = []
            }
        } catch {
            throw CommandFailure.runtime("cannot read usage: \(error)")
        }
        var spans: [ActivitySpan] = []
        if let activity {
            do {
                spans = try ActivityFile.read(path: activity)
            } catch {
                throw CommandFailure.runtime("cannot read activity: \(error)")
            }
        }
        do {
            let result = try RatingCommands.rate(
                catalog: catalog, facts: facts, period: billingPeriod, subject: subject, activity: spans,
                format: format)
            print(result.output, terminator: result.output.hasSuffix("\n") ? "" : "\n")
        } catch {
            throw CommandFailure.runtime("rating failed: \(error)")
        }
    }
}

/// `billing-service price`: quotes one period amount for a quantity.
struct PriceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price", abstract: "Quote the period amount of a quantity of one metric (base units).")

    @Option(help: "The price book.")
    var priceBook: String

    @Option(help: "The metric, e.g. traffic.downlink_bytes.")
    var metric: String

    @Option(help: "The quantity in base units (bytes, ns, byte-seconds, tokens).")
    var quantity: String

    @Option(help: "Dimensions to match: k=v,k2=v2.")
    var dimensions: String = ""

    @Option(help: "The subject (selects its plan).")
    var subject: String = ""

    @Option(help: "Price as of this RFC 3339 instant (default: the latest version).")
    var at: String?

    @Option(help: "table or json.")
    var format: RatingCommands.Format = .table

    func run() async throws {
        guard let amount = RatingCommands.parseQuantity(quantity) else {
            throw CommandFailure.usage("--quantity must be a non-negative integer in base units, not \"\(quantity)\"")
        }
        guard let labels = RatingCommands.parseDimensions(dimensions) else {
            throw CommandFailure.usage("--dimensions must be k=v pairs separated by commas, keys unique")
        }
        var instant: Timestamp?
        if let at {
            guard let parsed = Timestamp(rfc3339: at) else {
                throw CommandFailure.usage("--at must be an RFC 3339 timestamp, not \"\(at)\"")
            }
            instant = parsed
        }
        let catalog: PriceCatalog
        do {
            catalog = try PricingLoader.load(path: priceBook)
        } catch {
            throw CommandFailure.usage("invalid price book:\n\(error)")
        }
        do {
            let result = try RatingCommands.price(
                catalog: catalog, metric: metric, quantity: amount, dimensions: labels, subject: subject, at: instant,
                format: format)
            print(result.output, terminator: result.output.hasSuffix("\n") ? "" : "\n")
        } catch {
            throw CommandFailure.runtime("pricing failed: \(error)")
        }
    }
}
