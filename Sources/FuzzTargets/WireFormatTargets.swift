internal import Core
internal import WireFormats

/// The wire decoders' entries. Invariants: what decodes re-encodes (with the
/// project's own `FixtureLineEncoder`) to bytes that decode to the same value,
/// and a refusal points at a byte inside the input.
enum WireFormatTargets {
    static func xrayBody(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        let snapshots: [XraySnapshot]
        do {
            snapshots = try XraySnapshotBodyDecoder.decode(bytes)
        } catch {
            let lines = bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            guard error.line >= 1, error.line <= lines, error.column >= 1, error.column <= bytes.count + 1 else {
                throw FuzzInvariantViolation(.xrayBody, "error outside the body (\(lines) lines): \(error)")
            }
            return .refused
        }
        // Re-encoded as a JSON array, the one form that also holds no snapshot (`[]`).
        var encoder = FixtureLineEncoder()
        var array: [UInt8] = [UInt8(ascii: "[")]
        for (i, snapshot) in snapshots.enumerated() {
            if i > 0 { array.append(UInt8(ascii: ",")) }
            encoder.appendObject(snapshot, to: &array)
        }
        array.append(UInt8(ascii: "]"))
        let again: Result<[XraySnapshot], XraySnapshotBodyError> = array.withUnsafeBytes { buffer in
            do throws(XraySnapshotBodyError) { return .success(try XraySnapshotBodyDecoder.decode(buffer)) } catch {
                return .failure(error)
            }
        }
        try same(.xrayBody, snapshots, again, encoded: array)
        return .accepted
    }

    static func windowPage(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        let page: XrayWindowPage
        do { page = try XraySnapshotDecoder.decodeWindowPage(bytes) } catch {
            try inside(.windowPage, error, bytes)
            return .refused
        }
        var encoder = FixtureLineEncoder()
        var out: [UInt8] = []
        encoder.appendObject(page, to: &out)
        try same(.windowPage, page, decode(out, XraySnapshotDecoder.decodeWindowPage), encoded: out)
        return .accepted
    }

    static func observations(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        let observation: Observation
        do { observation = try ObservationLineDecoder.decode(bytes, source: "fuzz") } catch {
            try inside(.observations, error, bytes)
            return .refused
        }
        var encoder = FixtureLineEncoder()
        var out: [UInt8] = []
        encoder.appendObject(observation, to: &out)
        let again = decode(out) { buffer throws(WireFormatError) in
            try ObservationLineDecoder.decode(buffer, source: "fuzz")
        }
        try same(.observations, observation, again, encoded: out)
        return .accepted
    }

    static func vmMetrics(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        let batch: VMMetricsBatch
        do { batch = try VMMetricsBatchDecoder.decode(bytes) } catch {
            try inside(.vmMetrics, error, bytes)
            return .refused
        }
        var encoder = FixtureLineEncoder()
        var out: [UInt8] = []
        encoder.appendObject(batch, to: &out)
        try same(.vmMetrics, batch, decode(out, VMMetricsBatchDecoder.decode), encoded: out)
        return .accepted
    }

    /// First byte: the format (its value modulo the number of formats); the rest: one line.
    /// Invariants: nothing is appended on a refusal, and the result agrees with the
    /// format's own decoder (2 observations a sample, 6 a VM sample, 1 an observation line).
    static func fixtureLines(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        guard let selector = bytes.first else { return .refused }
        let formats = FixtureFormat.allCases
        let format = formats[Int(selector) % formats.count]
        let line = UnsafeRawBufferPointer(rebasing: bytes[1...])
        let sentinel = Observation(
            series: SeriesKey(source: "sentinel", subject: "s", metric: "m", sortedDimensions: []),
            time: Timestamp(secondsSinceEpoch: 0), value: .gauge(0))
        var observations = [sentinel]
        let decoder = FixtureLineDecoder(format: format, source: "fuzz")
        let expected: Int?
        switch format {
        case .xraySnapshots: expected = (try? XraySnapshotDecoder.decode(line)).map { 2 * $0.samples.count }
        case .vmMetrics: expected = (try? VMMetricsBatchDecoder.decode(line)).map { 6 * $0.metrics.count }
        case .observations: expected = (try? ObservationLineDecoder.decode(line, source: "fuzz")) == nil ? nil : 1
        }
        do {
            try decoder.decode(line, into: &observations)
        } catch {
            guard observations == [sentinel] else {
                throw FuzzInvariantViolation(.fixtureLines, "\(format.rawValue): appended before refusing: \(error)")
            }
            guard expected == nil else {
                throw FuzzInvariantViolation(
                    .fixtureLines, "\(format.rawValue): refused what its own decoder accepts: \(error)")
            }
            return .refused
        }
        guard observations.first == sentinel, let expected, observations.count == 1 + expected else {
            throw FuzzInvariantViolation(
                .fixtureLines,
                "\(format.rawValue): \(observations.count - 1) observations, the format's decoder says \(String(describing: expected))"
            )
        }
        return .accepted
    }

    // MARK: helpers

    static func inside(_ target: FuzzTarget, _ error: WireFormatError, _ bytes: UnsafeRawBufferPointer)
        throws(FuzzInvariantViolation)
    {
        guard error.column >= 1, error.column <= bytes.count + 1 else {
            throw FuzzInvariantViolation(target, "error column outside the \(bytes.count) bytes: \(error)")
        }
    }

    static func decode<T>(
        _ bytes: [UInt8], _ decoder: (UnsafeRawBufferPointer) throws(WireFormatError) -> T
    ) -> Result<T, WireFormatError> {
        bytes.withUnsafeBytes { buffer in
            do throws(WireFormatError) { return .success(try decoder(buffer)) } catch { return .failure(error) }
        }
    }

    static func same<T: Equatable, E: Error>(
        _ target: FuzzTarget, _ value: T, _ again: Result<T, E>, encoded: [UInt8]
    ) throws(FuzzInvariantViolation) {
        switch again {
        case .success(let decoded) where decoded == value: return
        case .success(let decoded):
            throw FuzzInvariantViolation(
                target, "re-encoded \(String(decoding: encoded, as: UTF8.self)) decodes to \(decoded), not \(value)")
        case .failure(let error):
            throw FuzzInvariantViolation(
                target, "its own encoding \(String(decoding: encoded, as: UTF8.self)) is refused: \(error)")
        }
    }
}
