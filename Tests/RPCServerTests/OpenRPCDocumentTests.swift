// The OpenRPC document (Protocol/openrpc.json, bundled as the resource rpc.discover serves)
// against the real server, in process on the tiny random model
// (Tests/EngineTests/Fixtures/tiny): the method sets agree, and every example in the document
// replays to a result of the documented shape (same keys and value types, recursively; values
// such as timings and pixels are not compared). Schema validation of the same replays is in
// Protocol/tests/test_openrpc_document.py.

import Editing
import Engine
import Foundation
import ImageCodecs
import JSONRPC
import Sessions
import TestSupport
import XCTest
@testable import RPCServer

final class OpenRPCDocumentTests: XCTestCase {
    /// Tests/EngineTests/Fixtures/tiny, found from this file.
    static let tinyModel = Fixtures.tinyModel
    /// Examples/images, whose images the examples read by path.
    static let exampleImages = Fixtures.exampleImages

    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("openrpc-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // The examples read these by path relative to the allowed root (as generate_openrpc.py ran them).
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.exampleImages.path) where name.hasSuffix(".png") {
            try FileManager.default.copyItem(at: Self.exampleImages.appendingPathComponent(name), to: root.appendingPathComponent(name))
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// A server on the tiny model whose only allowed root is a fresh temporary directory, also its
    /// working directory (the examples name paths relative to it), like
    /// `cd DIR && maskgit-rpc --model tiny --allow-root DIR`.
    private func makeServer() throws -> (ServerCore, OutputLog, JSONValue) {
        let document = OpenRPCDocument.load()
        let context = ServerContext(models: [try MaskGITModel(directory: Self.tinyModel)], sessions: SessionStore(),
                                    images: ImagePolicy(allowedRoots: [root], workingDirectory: root.path), options: ServerOptions(),
                                    openRPCDocument: document)
        let log = OutputLog()
        let names = NamesBox()
        let server = ServerCore(methods: makeMethods(context: context, methodNames: { names.value }), options: ServerOptions()) { log.append($0) }
        names.value = server.methodNames.sorted()
        return (server, log, document)
    }

    private func methods(_ document: JSONValue) -> [JSONObject] {
        (document.objectValue?["methods"]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    func testBundledDocumentIsTheProtocolDocument() throws {
        let document = OpenRPCDocument.load()
        XCTAssertNil(document.objectValue?["x-error"], "the bundled openrpc.json is missing")
        XCTAssertEqual(document.objectValue?["info"]?.objectValue?["version"], .string(protocolVersion))
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Protocol/openrpc.json")
        let onDisk = try JSONParser.parse(Array(try Data(contentsOf: source)))
        XCTAssertEqual(document, onDisk, "rebuild: the bundled copy differs from Protocol/openrpc.json")
    }

    /// (a) The methods the server answers are exactly those the document lists as client → server.
    func testMethodSetMatchesTheServer() throws {
        let (server, log, document) = try makeServer()
        defer { server.close() }
        let all = methods(document)
        let served = Set(all.filter { $0["x-direction"]?.stringValue != "server-to-client" }.compactMap { $0["name"]?.stringValue })
        XCTAssertEqual(served, server.methodNames,
                       "document only: \(served.subtracting(server.methodNames).sorted()); server only: \(server.methodNames.subtracting(served).sorted())")
        let fromServer = Set(all.filter { $0["x-direction"]?.stringValue == "server-to-client" }.compactMap { $0["name"]?.stringValue })
        XCTAssertEqual(fromServer, ["notifications/progress"])
        for method in all {
            XCTAssertEqual(method["paramStructure"], .string("by-name"), "\(method["name"]?.compactText ?? "?")")
        }
        // initialize reports the same set.
        send(server, #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
        let reported = log.responses(id: "1").first?.objectValue?["result"]?.objectValue?["capabilities"]?.objectValue?["methods"]?
            .arrayValue?.compactMap(\.stringValue)
        XCTAssertEqual(Set(reported ?? []), server.methodNames)
    }

    /// (c) Every method's parameters (the typed requests' keys, Sessions/Requests.swift, plus
    /// the protocol's `output`) are exactly the document's params (less `_meta`), so a parameter
    /// cannot exist on one side only.
    func testMethodParamsMatchTheTypedRequests() throws {
        let (server, _, document) = try makeServer()
        defer { server.close() }
        let context = ServerContext(models: [try MaskGITModel(directory: Self.tinyModel)], sessions: SessionStore(),
                                    images: ImagePolicy(allowedRoots: []), options: ServerOptions(), openRPCDocument: document)
        let registry = Dictionary(uniqueKeysWithValues: makeMethods(context: context, methodNames: { [] }).map { ($0.name, $0) })
        var compared = 0
        for method in methods(document) {
            guard let name = method["name"]?.stringValue, let served = registry[name] else { continue }
            let documented = Set((method["params"]?.arrayValue ?? []).compactMap { param -> String? in
                let object = param.objectValue
                let resolved = object?["$ref"]?.stringValue.flatMap { ref in
                    document.objectValue?["components"]?.objectValue?["contentDescriptors"]?.objectValue?[String(ref.split(separator: "/").last ?? "")]
                }
                return (resolved?.objectValue ?? object)?["name"]?.stringValue
            }).subtracting(["_meta"])
            XCTAssertEqual(Set(served.paramNames), documented,
                           "\(name): server only \(Set(served.paramNames).subtracting(documented).sorted()); document only \(documented.subtracting(served.paramNames).sorted())")
            compared += 1
        }
        XCTAssertEqual(compared, registry.count, "every registered method is in the document")
    }

    /// (c') Every parameter a method accepts is read by its parser: sent with a value of no
    /// parameter's type (`[[1]]`), each is refused with -32602 naming it. A key listed in a typed
    /// request's `Key` (so accepted by `rejectUnknown`) but never parsed would be silently ignored
    /// and fail here. `initialize`'s `clientInfo` and `capabilities` are free-form by design.
    func testEveryAcceptedParamIsParsed() throws {
        let (server, log, _) = try makeServer()
        defer { server.close() }
        let context = ServerContext(models: [try MaskGITModel(directory: Self.tinyModel)], sessions: SessionStore(),
                                    images: ImagePolicy(allowedRoots: []), options: ServerOptions(), openRPCDocument: .object([:]))
        let freeForm: Set<String> = ["initialize.clientInfo", "initialize.capabilities"]
        var sent = 0
        for method in makeMethods(context: context, methodNames: { [] }) {
            for key in method.paramNames where !freeForm.contains("\(method.name).\(key)") {
                var params: JSONObject = [key: .array([.array([.int(1)])])]
                // A session id that does not exist, so no method gets as far as running.
                if method.paramNames.contains("session"), key != "session" { params["session"] = .string("nope") }
                sent += 1
                let id = "p\(sent)"
                let request: JSONValue = .object(["jsonrpc": .string("2.0"), "id": .string(id), "method": .string(method.name), "params": .object(params)])
                send(server, request.compactText)
                server.waitUntilIdle()
                let error = log.all.first { $0.objectValue?["id"] == .string(id) }?.objectValue?["error"]?.objectValue
                let field = error?["data"]?.objectValue?["field"]?.stringValue ?? ""
                XCTAssertEqual(error?["code"], .int(-32602), "\(method.name).\(key): \(error.map { JSONValue.object($0).compactText } ?? "no error")")
                XCTAssertTrue(field == key || field.hasPrefix(key + ".") || field.hasPrefix(key + "["),
                              "\(method.name).\(key): the error names \(field)")
            }
        }
        XCTAssertGreaterThan(sent, 40, "the edit methods alone take more parameters than this")
    }

    /// (d) The document's enums are the vocabularies' cases (the generator reads them from the
    /// server; this catches a document not regenerated after a vocabulary changed).
    func testDocumentEnumsAreTheVocabularies() throws {
        let document = OpenRPCDocument.load()
        let components = document.objectValue?["components"]?.objectValue
        func schemaEnum(_ path: [String], in root: JSONObject?) -> [String]? {
            var node: JSONValue? = root.map(JSONValue.object)
            for key in path { node = node?.objectValue?[key] }
            return node?.objectValue?["enum"]?.arrayValue?.compactMap(\.stringValue)
        }
        let decoding = ["schemas", "DecodingParams", "properties"]
        XCTAssertEqual(schemaEnum(decoding + ["schedule"], in: components), ScheduleName.names)
        XCTAssertEqual(schemaEnum(decoding + ["sampler"], in: components), SamplerName.names)
        XCTAssertEqual(schemaEnum(decoding + ["rng"], in: components), RNGName.names)
        XCTAssertEqual(schemaEnum(decoding + ["guidanceRamp"], in: components), GuidanceRampName.names)
        XCTAssertEqual(schemaEnum(["contentDescriptors", "maskPolicy", "schema"], in: components), MaskPolicyName.names)
        XCTAssertEqual(schemaEnum(["contentDescriptors", "composite", "schema"], in: components), CompositeRegion.names)
        XCTAssertEqual(schemaEnum(["schemas", "ImageOutput", "properties", "format"], in: components),
                       ImageFormat.names + ImageFormat.aliases.keys.sorted())
        XCTAssertEqual(schemaEnum(["schemas", "ImageOutput", "properties", "transport"], in: components), ImageTransportName.names)
        let coverage = components?["contentDescriptors"]?.objectValue?["coverage"]?.objectValue?["schema"]?.objectValue
        XCTAssertEqual(coverage?["minimum"]?.doubleValue, RequestBounds.coverage.lowerBound)
    }

    /// (b) Every example replays, in `x-step` order on one fresh server, to a result of the shape
    /// the document shows (or to the documented error code and reason).
    func testExamplesReplay() throws {
        let (server, log, document) = try makeServer()
        defer { server.close() }
        var steps: [(step: Int, method: String, example: JSONObject)] = []
        for method in methods(document) {
            guard let name = method["name"]?.stringValue else { continue }
            for example in (method["examples"]?.arrayValue ?? []).compactMap(\.objectValue) {
                guard let step = example["x-step"]?.intValue else { continue }
                steps.append((step, name, example))
            }
        }
        steps.sort { $0.step < $1.step }
        XCTAssertGreaterThan(steps.count, 15, "the document should carry replayable examples")
        XCTAssertEqual(Set(steps.map(\.step)).count, steps.count, "x-step values are unique")
        for (step, method, example) in steps {
            var params = JSONObject()
            for param in (example["params"]?.arrayValue ?? []).compactMap(\.objectValue) {
                if let key = param["name"]?.stringValue, let value = param["value"] { params[key] = value }
            }
            let id = "ex\(step)"
            let request: JSONValue = .object(["jsonrpc": .string("2.0"), "id": .string(id), "method": .string(method), "params": .object(params)])
            send(server, request.compactText)
            server.waitUntilIdle()
            let label = "example \(step) (\(method): \(example["name"]?.stringValue ?? ""))"
            let answers = log.all.filter { $0.objectValue?["id"] == .string(id) }
            XCTAssertEqual(answers.count, 1, label)
            guard let answer = answers.first?.objectValue else { continue }
            if let expected = example["x-error"]?.objectValue {
                let error = answer["error"]?.objectValue
                XCTAssertEqual(error?["code"], expected["code"], "\(label): \(answer)")
                XCTAssertEqual(error?["data"]?.objectValue?["reason"], expected["data"]?.objectValue?["reason"], label)
            } else if let expected = example["result"]?.objectValue?["value"] {
                guard let actual = answer["result"] else { XCTFail("\(label): \(JSONValue.object(answer).compactText)"); continue }
                let problems = Self.shapeDifferences(actual, expected, path: "result")
                XCTAssertTrue(problems.isEmpty, "\(label): \(problems.joined(separator: "; "))")
            }
        }
    }

    /// Where `actual` differs in shape from `expected`: object keys, value kinds, array elements.
    static func shapeDifferences(_ actual: JSONValue, _ expected: JSONValue, path: String) -> [String] {
        switch (actual, expected) {
        case (.object(let a), .object(let e)):
            let missing = Set(e.keys).subtracting(a.keys), extra = Set(a.keys).subtracting(e.keys)
            var problems: [String] = []
            if !missing.isEmpty { problems.append("\(path): missing \(missing.sorted())") }
            if !extra.isEmpty { problems.append("\(path): unexpected \(extra.sorted())") }
            for key in e.keys where a[key] != nil {
                problems += shapeDifferences(a[key]!, e[key]!, path: "\(path).\(key)")
            }
            return problems
        case (.array(let a), .array(let e)):
            guard !e.isEmpty else { return [] }
            return a.enumerated().flatMap { i, item in shapeDifferences(item, e[min(i, e.count - 1)], path: "\(path)[\(i)]") }
        default:
            return actual.typeName == expected.typeName ? [] : ["\(path): \(actual.typeName) instead of \(expected.typeName)"]
        }
    }

    private func send(_ server: ServerCore, _ text: String) {
        var framer = LineFramer(maxLineBytes: server.options.maxLineBytes)
        for frame in framer.append(Array((text + "\n").utf8)) { server.receive(frame) }
    }
}

/// The method names, set once the server exists (initialize reports them).
private final class NamesBox: @unchecked Sendable {
    // Written once before the first request, read afterwards.
    var value: [String] = []
}
