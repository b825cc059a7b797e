// libFuzzer target for the JSON parser and the JSON-RPC envelope decoder (built by scripts/fuzz
// into one module with Sources/JSONRPC, so it sees the same code the server runs).
//
// Oracles: no crash, no hang (libFuzzer's -timeout), no leak or memory error (AddressSanitizer),
// at most `maxValues` values accepted, and a round trip: whatever parses serializes to text that
// parses back to the same value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = IncomingMessage.decode(bytes, maxValues: 4096, maxBatch: 64)
    guard let value = try? JSONParser.parse(bytes, maxValues: 4096) else { return 0 }
    let text = value.serialized()
    guard let again = try? JSONParser.parse(text) else {
        fatalError("serialized output does not parse: \(String(decoding: text, as: UTF8.self))")
    }
    guard again == value else { fatalError("round trip changed the value: \(String(decoding: text, as: UTF8.self))") }
    return 0
}
