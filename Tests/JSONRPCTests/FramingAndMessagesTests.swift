import XCTest
@testable import JSONRPC

final class LineFramerTests: XCTestCase {
    func testSplitsAcrossChunksAndDropsCR() {
        var framer = LineFramer(maxLineBytes: 100)
        XCTAssertEqual(framer.append(Array("ab".utf8)), [])
        XCTAssertEqual(framer.append(Array("c\r\nde\n\n  \nf".utf8)), [.line(Array("abc".utf8)), .line(Array("de".utf8))])
        XCTAssertEqual(framer.finish(), [.line(Array("f".utf8))])
        XCTAssertEqual(framer.finish(), [])
    }

    func testOversizedLineIsCountedNotBuffered() {
        var framer = LineFramer(maxLineBytes: 4)
        // Exactly at the limit passes, with or without CR.
        XCTAssertEqual(framer.append(Array("abcd\nabcd\r\n".utf8)), [.line(Array("abcd".utf8)), .line(Array("abcd".utf8))])
        let frames = framer.append(Array("abcdefghij\nok\n".utf8))
        XCTAssertEqual(frames, [.oversized(byteCount: 10), .line(Array("ok".utf8))])
        XCTAssertEqual(framer.append(Array("abcdefg".utf8)), [])
        XCTAssertEqual(framer.finish(), [.oversized(byteCount: 7)])
    }

    func testByteAtATime() {
        var framer = LineFramer(maxLineBytes: 64)
        var frames: [LineFramer.Frame] = []
        for byte in Array("{\"a\":1}\n{\"b\":2}\n".utf8) { frames += framer.append([byte]) }
        XCTAssertEqual(frames, [.line(Array("{\"a\":1}".utf8)), .line(Array("{\"b\":2}".utf8))])
    }
}

final class IncomingMessageTests: XCTestCase {
    private func decode(_ text: String) -> IncomingMessage { IncomingMessage.decode(Array(text.utf8)) }

    func testRequestNotificationAndNullID() {
        XCTAssertEqual(decode(#"{"jsonrpc":"2.0","method":"ping","id":7}"#),
                       .single(.request(Request(id: .number("7"), method: "ping"))))
        XCTAssertEqual(decode(#"{"jsonrpc":"2.0","method":"ping"}"#),
                       .single(.request(Request(id: nil, method: "ping"))))
        // "id": null is a request, not a notification.
        XCTAssertEqual(decode(#"{"jsonrpc":"2.0","method":"ping","id":null}"#),
                       .single(.request(Request(id: .null, method: "ping"))))
    }

    func testParseErrorAndEmptyBatch() {
        guard case .unusable(let e1) = decode("{bad") else { return XCTFail("expected unusable") }
        XCTAssertEqual(e1.code, -32700)
        guard case .unusable(let e2) = decode("[]") else { return XCTFail("expected unusable") }
        XCTAssertEqual(e2.code, -32600)
    }

    func testParseErrorsOfAPrettyPrintedRequestHintAtOneMessagePerLine() {
        // Each line of a pretty-printed request is a parse error; each answer says why.
        let pretty = """
        {
          "jsonrpc": "2.0",
          "id": 1,
          "method": "models.list",
          "params": {
            "classes": false
          }
        }
        """
        for line in pretty.split(separator: "\n") {
            guard case .unusable(let e) = decode(String(line)) else { return XCTFail("\(line) parsed") }
            XCTAssertEqual(e.code, -32700)
            XCTAssertTrue(e.message.contains("one JSON-RPC message per line"), "\(line): \(e.message)")
            XCTAssertTrue(e.message.contains("tr -d '\\n' < request.json"), e.message)
            XCTAssertNotNil(e.data?.objectValue?["hint"], String(line))
        }
        // Text that is no part of a JSON document gets no such hint.
        for line in ["hello", "GET / HTTP/1.1", "{\"a\":1}}"] {
            guard case .unusable(let e) = decode(line) else { return XCTFail("\(line) parsed") }
            XCTAssertEqual(e.message, "Parse error", line)
            XCTAssertNil(e.data?.objectValue?["hint"], line)
        }
    }

    func testInvalidRequestsKeepTheirIDWhenReadable() {
        guard case .single(.invalid(let id, let error)) = decode(#"{"jsonrpc":"1.0","method":"x","id":"a"}"#) else {
            return XCTFail("expected invalid")
        }
        XCTAssertEqual(id, .string("a"))
        XCTAssertEqual(error.code, -32600)
        guard case .single(.invalid(let id2, _)) = decode(#"{"jsonrpc":"2.0","method":1,"id":3}"#) else {
            return XCTFail("expected invalid")
        }
        XCTAssertEqual(id2, .number("3"))
        guard case .single(.invalid(let id3, _)) = decode(#"{"jsonrpc":"2.0","method":"m","params":3,"id":3}"#) else {
            return XCTFail("expected invalid")
        }
        XCTAssertEqual(id3, .number("3"))
        guard case .single(.invalid(let id4, _)) = decode(#"{"jsonrpc":"2.0","method":"m","id":{}}"#) else {
            return XCTFail("expected invalid")
        }
        XCTAssertNil(id4)
    }

    func testBatchOfMixedItems() {
        guard case .batch(let items) = decode(#"[1, {"jsonrpc":"2.0","method":"a","id":1}, {"jsonrpc":"2.0","method":"n"}]"#) else {
            return XCTFail("expected batch")
        }
        XCTAssertEqual(items.count, 3)
        if case .invalid(nil, let e) = items[0] { XCTAssertEqual(e.code, -32600) } else { XCTFail("item 0") }
        XCTAssertEqual(items[1], .request(Request(id: .number("1"), method: "a")))
        XCTAssertEqual(items[2], .request(Request(id: nil, method: "n")))
    }

    func testOutgoingEnvelopes() {
        XCTAssertEqual(Outgoing.result(id: .number("1.0"), .object([:])).compactText,
                       #"{"jsonrpc":"2.0","id":1.0,"result":{}}"#)
        XCTAssertEqual(Outgoing.error(id: nil, RPCError(code: -32700, message: "Parse error")).compactText,
                       #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#)
    }
}
