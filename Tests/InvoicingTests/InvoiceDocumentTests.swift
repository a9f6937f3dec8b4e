import Core
import Foundation
import Invoicing
import Rating
import Testing

/// The HTML document in a real browser (headless Chromium): printed to PDF and
/// a PNG on A4 and Letter, its visible text holds the number and totals, and
/// nothing is wider than the page.
@Suite struct InvoiceDocumentTests {
    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A finalized invoice with long names, tiers, a discount and an adjustment.
    static func invoice(status: InvoiceStatus) throws -> Invoice {
        let directory = try customers(
            """
            customers:
              acct-1:
                name: Überlange Firmenbezeichnung Gesellschaft mit beschränkter Haftung & Co. KG Niederlassung Nord
                email: a-very-long-billing-address-for-finance-imports@subsidiary.example.com
                address: [Hauptstraße 1234567890123456789012345678901234567890, 10115 Berlin]
                cost_center: CC-0000000000000000000000000000042
                coupons:
                  - { id: TEN, percent: "10", periods: forever }
            """)
        var invoice = try #require(
            try InvoiceAssembler.assemble(
                period: november, catalog: try catalog(),
                usage: [usage("acct-1", "traffic.downlink_bytes", 1_234_567_890_123_456)], spans: [],
                customers: directory,
                adjustments: [
                    InvoiceAdjustment(
                        subject: "acct-1", refersTo: "INV-2026-000003", period: "2026-10",
                        amount: Money(decimal: "-1.5")!, amountRounded: Money(decimal: "-1.5")!)
                ]
            ).first)
        invoice.status = status
        if status != .draft {
            invoice.number = "INV-2026-000042"
            invoice.finalizedAt = november.end
        }
        if status == .void {
            invoice.voidedAt = november.end
            invoice.voidReason = "issued to the wrong entity"
        }
        return invoice
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theDocumentIsSelfContainedAndMarksDraftsAndVoids() throws {
        let draft = InvoiceHTML.render(try Self.invoice(status: .draft))
        #expect(draft.contains("<div class=\"mark\">DRAFT</div>"))
        let void = InvoiceHTML.render(try Self.invoice(status: .void))
        #expect(void.contains("<div class=\"mark\">VOID</div>"))
        #expect(void.contains("issued to the wrong entity"))
        let final = InvoiceHTML.render(try Self.invoice(status: .finalized))
        #expect(!final.contains("class=\"mark\""))
        for html in [draft, void, final] {
            #expect(!html.contains("<script"))
            #expect(!html.contains("http://") && !html.contains("https://"))
            #expect(!html.contains("@import") && !html.contains("url("))
        }
        // Grouped, exact, currency digits: 1,234,567.890123456 GB, 100 at 0.08 and the rest at 0.05;
        // 10 % off 61,731.39 is 6,173.139 -> 6,173.14; minus the 1.50 adjustment.
        #expect(final.contains("61,731.39 USD"))
        #expect(final.contains("-6,173.14 USD"))
        #expect(final.contains("55,556.75 USD"))
        #expect(final.contains("refers to INV-2026-000003"))
    }

    @Test(.enabled(if: chromium != nil))
    func chromiumPrintsItAndNothingOverflowsTheWidthOfA4OrLetter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("invoice-doc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let invoice = try Self.invoice(status: .finalized)
        let html = InvoiceHTML.render(invoice)
        let page = dir.appendingPathComponent("invoice.html")
        try html.write(to: page, atomically: true, encoding: .utf8)

        let pdf = dir.appendingPathComponent("invoice.pdf")
        let printed = try run(["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", page.absoluteString])
        #expect(printed.status == 0)
        let pdfBytes = try Data(contentsOf: pdf)
        #expect(pdfBytes.starts(with: Array("%PDF".utf8)))
        let pdfText = String(decoding: pdfBytes, as: UTF8.self)
        #expect(pdfText.contains("/Count 1") || pdfText.contains("/Count 2"))

        // A4 (210 mm) and Letter (8.5 in) at 96 dpi: the probe copy measures the laid-out page.
        for (name, width) in [("a4", 794), ("letter", 816)] {
            let png = dir.appendingPathComponent("invoice-\(name).png")
            let shot = try run(["--screenshot=\(png.path)", "--window-size=\(width),1123", page.absoluteString])
            #expect(shot.status == 0)
            let pngBytes = try Data(contentsOf: png)
            #expect(pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))

            let probe = html.replacing(
                "</body>",
                with: """
                    <script>
                    const w = document.documentElement.scrollWidth, v = window.innerWidth;
                    let widest = 0;
                    for (const e of document.querySelectorAll('body *')) widest = Math.max(widest, e.getBoundingClientRect().right);
                    const out = document.createElement('pre');
                    out.id = 'probe';
                    out.textContent = 'PROBE scroll=' + w + ' viewport=' + v + ' widest=' + Math.ceil(widest) + ' TEXT=' + document.body.innerText.replace(/\\s+/g, ' ');
                    document.body.appendChild(out);
                    </script></body>
                    """)
            let probePage = dir.appendingPathComponent("probe-\(name).html")
            try probe.write(to: probePage, atomically: true, encoding: .utf8)
            let dom = try run(["--dump-dom", "--window-size=\(width),1123", probePage.absoluteString])
            #expect(dom.status == 0)
            // The probe's output element, not the script's own text.
            let line = try #require(
                dom.stdout.split(separator: "\n").first { $0.contains("<pre id=\"probe\">PROBE scroll=") })
            func number(_ key: String) -> Int? {
                guard let range = line.range(of: key + "=") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            let scroll = try #require(number("scroll"))
            let viewport = try #require(number("viewport"))
            let widest = try #require(number("widest"))
            #expect(scroll <= viewport, "\(name): page scrolls horizontally (\(scroll) > \(viewport))")
            #expect(widest <= viewport, "\(name): an element ends at \(widest) px, past \(viewport)")
            #expect(line.contains("Invoice INV-2026-000042"))
            #expect(line.contains("Total"))
            #expect(line.contains(InvoiceHTMLTestSupport.grouped(invoice.total)))
        }
    }
}

/// The document's money format, recomputed here so the test does not trust the renderer's.
enum InvoiceHTMLTestSupport {
    static func grouped(_ amount: Money) -> String {
        let text = amount.formatted(fractionDigits: 2)
        let parts = text.split(separator: ".")
        let integer = Array(parts[0])
        var out = ""
        for (i, c) in integer.enumerated() {
            if i > 0, (integer.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out + "." + parts[1] + " USD"
    }
}
