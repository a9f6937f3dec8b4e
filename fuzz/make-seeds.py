#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from the shipped examples and a
few hand-written edge cases (the ones issue 12 found by hand among them).

Run from the repository root: `python3 fuzz/make-seeds.py [AUDIT_FILE]`. An audit
file (from `billing-service run`) adds real audit lines. Seeds are named
`seed-<name>`; inputs libFuzzer adds during scripts/fuzz.sh runs are named by
their SHA-1 and may be committed too when they reach new code (keep it small).
"""
import hashlib, json, os, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "fuzz", "corpus")


def write(target, name, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def lines(path):
    with open(os.path.join(root, path), "rb") as f:
        return [l for l in f.read().split(b"\n") if l.strip()]


xray = lines("examples/fixtures/xray-snapshots.jsonl")
vm = lines("examples/fixtures/vm-metrics.jsonl")
obs = lines("examples/fixtures/observations.jsonl")
snap = json.loads(xray[0])

# xray_body: one object, NDJSON, an array, pretty-printed, and refusals.
write("xray_body", "one", xray[0])
write("xray_body", "ndjson", b"\n".join(xray[:4]) + b"\n")
write("xray_body", "array", b"[" + b",".join(xray[:3]) + b"]")
write("xray_body", "pretty", json.dumps(snap, indent=2))
write("xray_body", "empty-samples", json.dumps(dict(snap, samples=[])))
write("xray_body", "year-2262", json.dumps(dict(snap, collected_at="2262-04-01T00:00:00Z")))
write("xray_body", "year-1677", json.dumps(dict(snap, collected_at="1677-09-01T00:00:00Z")))
write("xray_body", "nul-uuid", json.dumps(dict(snap, samples=[dict(snap["samples"][0], uuid="a\u0000b")])))
write("xray_body", "negative", xray[0].replace(b"1048576", b"-1", 1))
write("xray_body", "duplicate-key", xray[0].replace(b'{"collected_at"', b'{"env":"x","collected_at"', 1))
write("xray_body", "same-line", xray[0] + b" " + xray[1])
write("xray_body", "truncated", xray[0][:57])
write("xray_body", "invalid-utf8", xray[0].replace(b"node-a", b"node-\xff", 1))
write("xray_body", "deep", b"[" * 200)
write("xray_body", "big-int", xray[0].replace(b"1048576", b"9223372036854775808", 1))

# window_page
page = {"node_id": snap["node_id"], "env": snap["env"], "snapshots": [json.loads(l) for l in xray[:2]],
        "has_more": True, "next_cursor": json.loads(xray[1])["collected_at"]}
write("window_page", "two", json.dumps(page))
write("window_page", "last", json.dumps(dict(page, has_more=False, next_cursor=None)))
p = dict(page, has_more=False, snapshots=[])
del p["next_cursor"]
write("window_page", "empty", json.dumps(p))
write("window_page", "empty-cursor", json.dumps(dict(page, next_cursor="")))
write("window_page", "has-more-string", json.dumps(dict(page, has_more="yes")))
write("window_page", "missing-node", json.dumps({k: v for k, v in page.items() if k != "node_id"}))

# observations
for i, l in enumerate(obs[:6]):
    write("observations", "example-%d" % i, l)
o = json.loads(obs[0])
write("observations", "delta-key", json.dumps(dict(o, kind="delta", value=5, idempotency_key="k-1")))
write("observations", "value-string", json.dumps(dict(o, value="18446744073709551615")))
write("observations", "value-overflow", json.dumps(dict(o, value="18446744073709551616")))
write("observations", "bad-kind", json.dumps(dict(o, kind="rate")))
write("observations", "offset-time", json.dumps(dict(o, time="2026-11-01T01:00:00.123+01:00")))
write("observations", "escapes", json.dumps(dict(o, subject="org-\u00e9\t\"x\"", dimensions={"k\\": "\ud83d\ude00"})))

# vm_metrics
for i, l in enumerate(vm[:4]):
    write("vm_metrics", "example-%d" % i, l)
write("vm_metrics", "no-metrics", json.dumps({"vm_id": "vm-1", "customer_id": "c"}))
write("vm_metrics", "empty", b"{}")
write("vm_metrics", "bad-number", vm[0].replace(b"120000000000", b"1.5e3", 1))

# fixture_lines: the first byte picks the format (0 xray_snapshots, 1 vm_metrics, 2 observations)
write("fixture_lines", "xray", b"\x00" + xray[0])
write("fixture_lines", "vm", b"\x01" + vm[0])
write("fixture_lines", "observation", b"\x02" + obs[0])
write("fixture_lines", "xray-as-vm", b"\x01" + xray[0])
write("fixture_lines", "truncated", b"\x00" + xray[0][:100])

# rfc3339
for name, text in [
    ("utc", "2026-11-01T00:00:00Z"), ("nanos", "2026-11-01T00:00:00.123456789Z"),
    ("many-digits", "2026-11-01T00:00:00.1234567891234Z"), ("offset", "2026-11-01T05:30:00+05:30"),
    ("negative-offset", "2026-10-31T19:00:00.5-05:00"), ("lower", "2026-11-01t00:00:00z"),
    ("space", "2026-11-01 00:00:00Z"), ("leap-second", "2016-12-31T23:59:60Z"), ("leap-day", "2024-02-29T00:00:00Z"),
    ("not-leap", "2100-02-29T00:00:00Z"), ("max", "2262-04-11T23:47:16.854775807Z"),
    ("past-max", "2262-04-11T23:47:16.854775808Z"), ("min", "1677-09-21T00:12:43.145224192Z"),
    ("year-9999", "9999-12-31T23:59:59+23:59"), ("year-0", "0000-01-01T00:00:00-23:59"), ("no-zone", "2026-11-01T00:00:00"),
    ("empty-fraction", "2026-11-01T00:00:00.Z"), ("hour-24", "2026-11-01T24:00:00Z"),
]:
    write("rfc3339", name, text)

# config (plugins.yaml through ConfigLoader)
with open(os.path.join(root, "plugins.yaml")) as f:
    plugins = f.read()
write("config", "plugins", plugins)
write("config", "plugins-no-rating", plugins.replace("rating:\n  price_book: examples/pricebook.yaml\n", ""))
for plugin in ["Adapters/ExporterPull", "Adapters/FileReplay", "Adapters/Generator", "Adapters/XrayPush",
               "Sinks/AuditLog", "Sinks/Postgres"]:
    with open(os.path.join(root, "Sources", plugin, "sample.yaml")) as f:
        write("config", "sample-" + plugin.split("/")[1].lower(), f.read())
write("config", "unterminated-quote", 'version: 1\nsources:\n  a:\n    type: "generator\nsinks: {}\n')
write("config", "tab-indent", "version: 1\nsources:\n\ta: {}\n")
write("config", "anchors", "version: 1\nx: &a [*a]\n")
write("config", "unknown-type", "version: 1\nsources: {a: {type: nope}}\nsinks: {}\npipelines: {}\n")

# price_book
for name in ["pricebook", "pricebook-tiers", "pricebook-versions"]:
    with open(os.path.join(root, "examples", name + ".yaml")) as f:
        write("price_book", name, f.read())
with open(os.path.join(root, "examples", "pricebook.yaml")) as f:
    book = f.read()
write("price_book", "bad-price", book.replace('unit_price: "0.05"', 'unit_price: 0.05', 1))
write("price_book", "bad-currency", book.replace("currency: USD", "currency: XXQ", 1))
write("price_book", "second-offset", book.replace('"2026-11-01T00:00:00Z"', '"2026-11-01T00:00:30Z"', 1))

# audit_line: real lines when an audit file is given, and refusals.
audit = sys.argv[1] if len(sys.argv) > 1 else None
if audit:
    kinds = {}
    for l in lines(audit):
        kind = json.loads(l)["kind"]
        kinds.setdefault(kind, []).append(l)
    for kind, ls in kinds.items():
        for i, l in enumerate(ls[:3]):
            write("audit_line", "%s-%d" % (kind, i), l)
    u = kinds["usage"][0]
    write("audit_line", "not-canonical", u.replace(b'{"seq":', b'{ "seq":', 1))
    write("audit_line", "bad-quantity", u.replace(b'"quantity":"', b'"quantity":"0', 1))
write("audit_line", "negative-zero", b'{"seq":-0}')
write("audit_line", "escapes", b'{"a":"\\u00e9\\ud83d\\ude00\\n","b":[1,null,true]}')
write("audit_line", "unpaired-surrogate", b'{"a":"\\ud800"}')

# database_url
for name, text in [
    ("plain", "postgres://billing@127.0.0.1:5432/billing?sslmode=disable"),
    ("password", "postgresql://user:s3cr%40t@db.example.com/ledger?sslmode=verify-full&sslrootcert=/etc/ca.pem"),
    ("socket", "postgres:///billing?host=/var/run/postgresql&port=5433"),
    ("ipv6", "postgres://u:p@[::1]:6432/db"), ("empty", "postgres://"),
    ("params", "postgres://h/d?user=x&password=y&dbname=z&application_name=a&connect_timeout=5"),
    ("bad-port", "postgres://h:99999/d"), ("bad-escape", "postgres://u%zz@h/d"), ("unknown-param", "postgres://h/d?ssl=true"),
    ("bad-mode", "postgres://h/d?sslmode=maybe"), ("mysql", "mysql://h/d"), ("utf8-escape", "postgres://%C3%A9@h/%FF"),
]:
    write("database_url", name, text)
