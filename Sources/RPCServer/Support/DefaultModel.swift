// Where the default model and the OpenRPC document are found at run time.

import Foundation
import JSONRPC

public enum DefaultModel {
    /// The directory name of the default model inside the repository.
    public static let relativePath = "Models/default"

    /// $MASKGIT_MODEL, else `Models/default` in the first ancestor of the executable (a
    /// `.build/<config>/` binary finds the checkout's model), else in the working directory.
    public static func locate() throws -> URL {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["MASKGIT_MODEL"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent(relativePath))
            candidates.append(dir.appendingPathComponent("share/maskgit-rpc/default"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent(relativePath))
        for candidate in candidates where fm.fileExists(atPath: candidate.appendingPathComponent("transformer.safetensors").path) {
            return candidate
        }
        throw DefaultModelError.notFound(candidates.map(\.path))
    }
}

public enum DefaultModelError: Error, CustomStringConvertible {
    case notFound([String])
    public var description: String {
        "the default model was not found (set MASKGIT_MODEL or pass --model); looked in: \(notFoundPaths.joined(separator: ", "))"
    }
    private var notFoundPaths: [String] { if case .notFound(let p) = self { p } else { [] } }
}

/// The OpenRPC document (Protocol/openrpc.json), bundled as a resource of this module.
public enum OpenRPCDocument {
    public static func load() -> JSONValue {
        guard let url = Bundle.module.url(forResource: "openrpc", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let value = try? JSONParser.parse(Array(data))
        else {
            return .object(["openrpc": .string("1.3.2"), "info": .object(["title": .string("maskgit-rpc"), "version": .string(protocolVersion)]),
                            "methods": .array([]), "x-error": .string("bundled document missing")])
        }
        return value
    }
}
