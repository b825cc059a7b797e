import Engine
import Foundation
import JSONRPC
import Sessions
import XCTest

/// `--precision fp32|bf16|auto` and what `initialize` reports about the kernels (serverInfo.compute).
final class PrecisionFlagTests: XCTestCase {
    private func compute(_ arguments: [String]) throws -> JSONObject? {
        let server = try ServerProcessTests.Server(arguments: ["--model", ServerProcessTests.tinyModel, "--quiet"] + arguments)
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
        let (answer, _) = server.response(id: "1")
        server.send(#"{"jsonrpc":"2.0","id":2,"method":"generate","params":{"class":1,"seed":3,"output":{"transport":"none"}}}"#)
        let (generated, _) = server.response(id: "2")
        XCTAssertNotNil(generated?.objectValue?["result"], "generate in \(arguments): \(String(describing: generated))")
        server.closeInput()
        XCTAssertEqual(server.waitForExit(), 0)
        return answer?.objectValue?["result"]?.objectValue?["serverInfo"]?.objectValue?["compute"]?.objectValue
    }

    func testInitializeReportsTheResolvedPrecision() throws {
        let fp32 = try XCTUnwrap(try compute(["--precision", "fp32"]))
        XCTAssertEqual(fp32["precision"], .string("fp32"))
        XCTAssertGreaterThanOrEqual(fp32["threads"]?.intValue ?? 0, 1)
        let backend = fp32["backend"]?.stringValue
        XCTAssertTrue(backend == "oneDNN" || backend == "openBLAS", "backend \(String(describing: backend))")
        XCTAssertNotNil(fp32["isa"]?.stringValue)
        let native = try XCTUnwrap(fp32["nativeBF16"]?.boolValue)

        let auto = try XCTUnwrap(try compute(["--precision", "auto", "--threads", "1"]))
        XCTAssertEqual(auto["threads"], .int(1))
        // auto: bf16 exactly where the CPU has native bf16 (and oneDNN can run it).
        XCTAssertEqual(auto["precision"], .string(native && ComputeInfo.bf16Supported ? "bf16" : "fp32"))
        let bf16 = try XCTUnwrap(try compute(["--precision", "bf16"]))
        XCTAssertEqual(bf16["precision"], .string(ComputeInfo.bf16Supported ? "bf16" : "fp32"))
    }

    func testAnUnknownPrecisionIsAUsageError() throws {
        let server = try ServerProcessTests.Server(arguments: ["--model", ServerProcessTests.tinyModel, "--precision", "int3"])
        server.closeInput()
        XCTAssertNotEqual(server.waitForExit(), 0)
    }
}
