/// The metric names the adapters emit, so a price book typo (`traffic.downlink_byte`)
/// is an error instead of a silently unpriced metric. A price book may declare more
/// names in its top-level `metrics:` list.
public enum MetricCatalog {
    public static let builtIn: Set<String> = [
        "traffic.uplink_bytes", "traffic.downlink_bytes",
        "vm.cpu_time_ns", "vm.memory_byte_seconds",
        "vm.disk_read_bytes", "vm.disk_write_bytes",
        "vm.network_rx_bytes", "vm.network_tx_bytes",
        "vm.disk_read_ops", "vm.disk_write_ops",
    ]
}
