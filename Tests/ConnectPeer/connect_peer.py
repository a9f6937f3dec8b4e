"""A real Connect peer for the end-to-end tests: the official Python client
(connectrpc) with stubs generated from proto/billing/v1/billing.proto by
scripts/python-env.sh, driven from Swift tests over the daemon's listener.

Usage: python connect_peer.py URL TOKEN CODEC GZIP COMMAND [ARGS...]
  CODEC json|proto, GZIP on|off
  send-batch VM CUSTOMER FIRST_UNIX_SECONDS COUNT   metald SendMetricsBatch, readings a minute apart
  collector-batch CUSTOMER REGION UNIX_SECONDS VM...  BillingCollectorService SendMetricsBatch
  started VM CUSTOMER UNIX_NS | stopped VM UNIX_NS | heartbeat INSTANCE VM...
  usage CUSTOMER START_UNIX END_UNIX                 BillingQueryService GetCustomerUsage
  stream CUSTOMER UPDATES                            StreamLiveUsage: prints UPDATES updates, one JSON line each

Prints one JSON object per answer on stdout; a Connect error prints
{"error": {"code": ..., "message": ...}} and exits 3.
"""

import json
import sys

from connectrpc.codec import proto_binary_codec, proto_json_codec
from connectrpc.compression.gzip import GzipCompression
from connectrpc.errors import ConnectError
from protobuf.wkt.google.protobuf.timestamp_pb import Timestamp

from billing.v1 import billing_connect, billing_pb


def client(cls, url, token, codec, gzip):
    kwargs = {
        "codec": proto_json_codec() if codec == "json" else proto_binary_codec(),
        "send_compression": GzipCompression() if gzip == "on" else None,
        "accept_compression": [GzipCompression()] if gzip == "on" else [],
    }
    return cls(url, **kwargs), {"authorization": f"Bearer {token}"}


def out(message):
    print(message.to_json(), flush=True)


def main(argv):
    url, token, codec, gzip, command, *args = argv
    try:
        if command == "send-batch":
            vm, customer, first, count = args[0], args[1], int(args[2]), int(args[3])
            c, headers = client(billing_connect.BillingServiceClientSync, url, token, codec, gzip)
            metrics = [
                billing_pb.VMMetrics(
                    timestamp=Timestamp(seconds=first + 60 * i),
                    cpu_time_nanos=1_000_000_000 * (i + 1),
                    memory_usage_bytes=1 << 30,
                    disk_read_bytes=1000 * (i + 1),
                    disk_write_bytes=2000 * (i + 1),
                    network_rx_bytes=3000 * (i + 1),
                    network_tx_bytes=4000 * (i + 1),
                )
                for i in range(count)
            ]
            out(c.send_metrics_batch(
                billing_pb.SendMetricsBatchRequest(vm_id=vm, customer_id=customer, metrics=metrics), headers=headers))
        elif command == "collector-batch":
            customer, region, at, vms = args[0], args[1], int(args[2]), args[3:]
            c, headers = client(billing_connect.BillingCollectorServiceClientSync, url, token, codec, gzip)
            batch = [
                billing_pb.BillingMetrics(
                    vm_id=vm, customer_id=customer, region=region, timestamp=Timestamp(seconds=at),
                    cpu_time_nanos=5_000, memory_bytes_used=4096, disk_read_ops=7, disk_write_ops=9,
                    cpu_utilization_pct=33.3)
                for vm in vms
            ]
            out(c.send_metrics_batch(billing_pb.SendMetricsBatchRequest(billing_metrics=batch), headers=headers))
        elif command == "started":
            c, headers = client(billing_connect.BillingServiceClientSync, url, token, codec, gzip)
            out(c.notify_vm_started(
                billing_pb.NotifyVmStartedRequest(vm_id=args[0], customer_id=args[1], start_time=int(args[2])),
                headers=headers))
        elif command == "stopped":
            c, headers = client(billing_connect.BillingServiceClientSync, url, token, codec, gzip)
            out(c.notify_vm_stopped(
                billing_pb.NotifyVmStoppedRequest(vm_id=args[0], stop_time=int(args[1])), headers=headers))
        elif command == "heartbeat":
            c, headers = client(billing_connect.BillingServiceClientSync, url, token, codec, gzip)
            out(c.send_heartbeat(
                billing_pb.SendHeartbeatRequest(instance_id=args[0], active_vms=args[1:]), headers=headers))
        elif command == "usage":
            c, headers = client(billing_connect.BillingQueryServiceClientSync, url, token, codec, gzip)
            out(c.get_customer_usage(
                billing_pb.GetCustomerUsageRequest(
                    customer_id=args[0], start=Timestamp(seconds=int(args[1])), end=Timestamp(seconds=int(args[2]))),
                headers=headers))
        elif command == "stream":
            c, headers = client(billing_connect.BillingQueryServiceClientSync, url, token, codec, gzip)
            wanted = int(args[1])
            print(json.dumps({"open": True}), flush=True)
            seen = 0
            for update in c.stream_live_usage(
                    billing_pb.StreamLiveUsageRequest(customer_id=args[0]), headers=headers):
                out(update)
                seen += 1
                if seen >= wanted:
                    break
        else:
            print(json.dumps({"error": {"code": "usage", "message": f"unknown command {command}"}}))
            return 2
    except ConnectError as error:
        print(json.dumps({"error": {"code": error.code.name.lower(), "message": error.message}}), flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
