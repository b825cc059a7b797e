import XCTest
@testable import JSONRPC

final class JSONValueTests: XCTestCase {
    func testNumbersAreKeptAsWritten() throws {
        // Ids must be echoed verbatim, so 1.50 and 1e3 must not become 1.5 and 1000.0.
        let value = try JSONParser.parse(#"[1.50, 1e3, -0, 12345678901234567890]"#)
        XCTAssertEqual(value, .array([.number("1.50"), .number("1e3"), .number("-0"), .number("12345678901234567890")]))
        XCTAssertEqual(value.compactText, "[1.50,1e3,-0,12345678901234567890]")
    }

    func testRoundTripIsCompactAndHasNoNewline() throws {
        let text = "{ \"a\" : [true, false, null, \"x\\ny/\\u00e9\\ud83d\\ude00\"],\n \"b\": {} }"
        let value = try JSONParser.parse(text)
        let out = value.compactText
        XCTAssertEqual(out, "{\"a\":[true,false,null,\"x\\ny/é😀\"],\"b\":{}}")
        XCTAssertFalse(out.contains("\n"))
        XCTAssertEqual(try JSONParser.parse(out), value)
    }

    func testObjectKeepsOrderAndLastDuplicate() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"z":3}"#)
        XCTAssertEqual(value.objectValue?.keys, ["z", "a"])
        XCTAssertEqual(value.objectValue?["z"], .number("3"))
    }

    func testMalformedInputsReportAnOffset() {
        // Each case is invalid JSON for the reason in its name.
        let cases: [(String, String)] = [
            ("", "empty"), ("{", "unterminated object"), ("[1,]", "trailing comma"), ("01", "leading zero"),
            ("1.", "missing fraction"), ("\"abc", "unterminated string"), ("\"\\x\"", "bad escape"),
            ("tru", "truncated literal"), ("{\"a\" 1}", "missing colon"), ("[1] x", "trailing data"),
            ("\"\\ud800\"", "unpaired surrogate"), ("\"a\u{01}\"", "control character"), ("nan", "not JSON"),
        ]
        for (text, why) in cases {
            XCTAssertThrowsError(try JSONParser.parse(text), why) { error in
                XCTAssertTrue(error is JSONParseError, why)
            }
        }
    }

    func testDeepNestingIsRejectedWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { error in
            XCTAssertTrue((error as? JSONParseError)?.reason.contains("nesting") == true)
        }
        let ok = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertNoThrow(try JSONParser.parse(ok))
    }

    func testInvalidUTF8InStringIsRejected() {
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0x22]))
    }

    func testIntAccessors() throws {
        XCTAssertEqual(JSONValue.number("42").intValue, 42)
        XCTAssertEqual(JSONValue.number("4.0e1").intValue, 40)
        XCTAssertNil(JSONValue.number("4.5").intValue)
        XCTAssertEqual(JSONValue.double(2.0), .number("2"))
        XCTAssertEqual(JSONValue.double(.nan), .null)
    }
}
