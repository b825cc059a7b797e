// The items of `maskgit-cli batch`: read from a JSONL manifest (one edit per line, the protocol's
// parameter names) or from two folders (images and masks matched by name, IOPaint's
// convention), with stable ids, seeds derived from the item when none is given, and the stable
// shard each item belongs to.

import Foundation
import JSONRPC
import RPCServer
import Sessions

/// One edit of a batch.
struct BatchItem {
    /// Unique in the batch; names the output file (`<id>.png`) and decides the shard.
    var id: String
    /// 1-based line of the manifest (folders: position in name order).
    var line: Int
    /// 0-based position among all items (`--shard-by index`).
    var index: Int
    /// nil for an item that could not be read (see `problem`).
    var op: EditKind?
    /// The request parameters in the protocol's names, paths resolved, seed included.
    var params: JSONObject
    /// The output file name inside the output folder.
    var outputName: String
    /// True when the seed was derived from the item (none was given).
    var seedDerived = false
    /// Why the item cannot run; it is recorded as this error and never run.
    var problem: RPCError?
}

/// Errors of the batch that are not the protocol's own (same shape: code, message, data.reason).
enum BatchError {
    static func make(_ code: Int, _ reason: String, _ message: String, _ details: JSONObject = [:]) -> RPCError {
        var data = details
        data["reason"] = .string(reason)
        return RPCError(code: code, message: message, data: .object(data))
    }

    static func invalid(_ field: String, _ expected: String, got: String? = nil) -> RPCError {
        RPCError(AppError.invalidParams(field: field, expected: expected, got: got))
    }
}

/// 64-bit FNV-1a, then the SplitMix64 finaliser: a stable hash of bytes (ids, seeds, shards).
func stableHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01b3
    }
    h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
    h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
    return h ^ (h >> 31)
}

/// A subset of the items: shard `index` of `count`, by a hash of the id (default: stable when
/// the manifest grows or is reordered) or by position (exactly balanced).
struct ShardSpec: Equatable {
    enum Key: String { case hash, index }
    var index: Int
    var count: Int
    var key: Key

    static let all = ShardSpec(index: 0, count: 1, key: .hash)

    func contains(_ item: BatchItem) -> Bool {
        guard count > 1 else { return true }
        switch key {
        case .hash: return Int(stableHash(item.id) % UInt64(count)) == index
        case .index: return item.index % count == index
        }
    }

    /// "I/N" with 0 <= I < N.
    static func parse(_ text: String, key: Key) -> ShardSpec? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        return ShardSpec(index: i, count: n, key: key)
    }
}

enum BatchItems {
    /// Keys of a manifest line that are the batch's, not the protocol's.
    static let batchKeys: Set<String> = ["id", "op", "method", "output"]
    /// Protocol keys that make no sense without a server's sessions.
    static let refusedKeys: Set<String> = ["session", "openSession"]

    /// An id usable as a file name: not empty, at most 200 bytes, no '/', NUL, newline, and no leading '.'.
    static func validID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 200 && !id.hasPrefix(".")
            && !id.contains(where: { $0 == "/" || $0 == "\0" || $0 == "\n" || $0 == "\r" })
    }

    /// The seed for an item that gives none: a hash of its operation, id and parameters as
    /// written (before paths are resolved, so moving the files keeps the seeds), in 0...2^53-1.
    static func derivedSeed(op: String, id: String, written: JSONObject) -> UInt64 {
        var object = JSONObject()
        for (k, v) in written.members where k != "seed" && k != "output" { object[k] = v }
        return stableHash("maskgit-batch/1\n\(op)\n\(id)\n\(JSONValue.object(object).compactText)") & ((1 << 53) - 1)
    }

    // MARK: Manifest

    /// Reads a JSONL manifest. Relative paths resolve against `root`. `defaults` (protocol
    /// parameters) apply to every line that does not set them. A line that cannot be read
    /// becomes an item with a problem; blank lines are skipped.
    static func manifest(_ url: URL, root: URL, defaults: JSONObject) throws -> [BatchItem] {
        let data = try Data(contentsOf: url)
        var items: [BatchItem] = []
        var lineNumber = 0
        for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var bytes = Array(raw)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            items.append(item(line: lineNumber, index: items.count, bytes: bytes, root: root, defaults: defaults))
        }
        return markDuplicates(items)
    }

    static func item(line: Int, index: Int, bytes: [UInt8], root: URL, defaults: JSONObject) -> BatchItem {
        var item = BatchItem(id: "line-\(line)", line: line, index: index, op: nil, params: [:], outputName: "line-\(line).png")
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            item.problem = BatchError.make(StandardErrorCode.parseError, "parse_error", "Line \(line) is not JSON: \(error)",
                                           ["line": .int(line)])
            return item
        }
        guard let object = value.objectValue else {
            item.problem = BatchError.invalid("line \(line)", "a JSON object", got: value.typeName)
            return item
        }
        if let idValue = object["id"], !idValue.isNull {
            guard let id = idValue.stringValue ?? idValue.intValue.map(String.init) else {
                item.problem = BatchError.invalid("id", "a string or an integer", got: idValue.typeName)
                return item
            }
            item.id = id
            guard validID(id) else {
                item.problem = BatchError.invalid("id", "a file-name-safe id (no '/', no leading '.', at most 200 bytes)", got: id)
                return item
            }
            item.outputName = "\(id).png"
        }
        var written = defaults
        for (k, v) in object.members where !batchKeys.contains(k) { written[k] = v }
        do {
            try fill(&item, op: object["op"] ?? object["method"], output: object["output"], written: written, root: root)
        } catch {
            item.problem = error
        }
        return item
    }

    /// Sets the operation, output name and the resolved protocol parameters of `item`.
    static func fill(_ item: inout BatchItem, op opValue: JSONValue?, output: JSONValue?, written: JSONObject,
                     root: URL) throws(RPCError) {
        guard let opValue, !opValue.isNull else {
            throw BatchError.invalid("op", "one of generate, inpaint, outpaint, classEdit", got: "nothing")
        }
        guard let name = opValue.stringValue, let op = EditKind(rawValue: name) else {
            throw BatchError.make(StandardErrorCode.methodNotFound, "method_not_found",
                                  "Unknown op \(opValue.compactText): one of generate, inpaint, outpaint, classEdit",
                                  ["field": .string("op")])
        }
        item.op = op
        if let key = written.keys.first(where: { refusedKeys.contains($0) }) {
            throw BatchError.invalid(key, "absent: a batch has no sessions", got: key)
        }
        if let output, !output.isNull {
            guard let file = output.stringValue, validID(file),
                  ["png", "webp"].contains(URL(fileURLWithPath: file).pathExtension.lowercased()) else {
                throw BatchError.invalid("output", "a file name ending in .png or .webp (no '/')", got: output.compactText)
            }
            item.outputName = file
        }
        var params = JSONObject()
        for (k, v) in written.members {
            switch k {
            case "image": params[k] = try imageReference(v, field: "image", root: root)
            case "mask": params[k] = try maskReference(v, root: root)
            default: params[k] = v
            }
        }
        if params["seed"] == nil || params["seed"] == .null {
            params["seed"] = .number(String(derivedSeed(op: op.rawValue, id: item.id, written: written)))
            item.seedDerived = true
        }
        item.params = params
    }

    /// A path relative to `root` made absolute.
    static func resolve(_ path: String, root: URL) -> String {
        path.hasPrefix("/") ? path : root.appendingPathComponent(path).standardizedFileURL.path
    }

    /// `"path"` → `{"path": absolute}`; data URLs and `{"data"}` as they are; `{"path"}` resolved.
    static func imageReference(_ value: JSONValue, field: String, root: URL) throws(RPCError) -> JSONValue {
        switch value {
        case .string(let s):
            if s.hasPrefix("data:") { return value }
            return .object(["path": .string(resolve(s, root: root))])
        case .object(var o):
            if let p = o["path"]?.stringValue { o["path"] = .string(resolve(p, root: root)) }
            return .object(o)
        default:
            throw BatchError.invalid(field, "an image path or an object with \"path\" or \"data\"", got: value.typeName)
        }
    }

    /// `"mask.png"` → `{"image": {"path"}}`; `[[x, y, w, h], ...]` or `[{x, y, width, height}]` →
    /// `{"rects": [...]}`; a protocol mask object with its image path resolved.
    static func maskReference(_ value: JSONValue, root: URL) throws(RPCError) -> JSONValue {
        switch value {
        case .string:
            return .object(["image": try imageReference(value, field: "mask", root: root)])
        case .array(let rects):
            var out: [JSONValue] = []
            for (i, r) in rects.enumerated() {
                if let a = r.arrayValue {
                    guard a.count == 4, a.allSatisfy({ $0.intValue != nil }) else {
                        throw BatchError.invalid("mask[\(i)]", "[x, y, width, height] integers or {x, y, width, height}", got: r.compactText)
                    }
                    out.append(.object(["x": a[0], "y": a[1], "width": a[2], "height": a[3]]))
                } else {
                    out.append(r)
                }
            }
            return .object(["rects": .array(out)])
        case .object(var o):
            if let image = o["image"], image.objectValue != nil { o["image"] = try imageReference(image, field: "mask.image", root: root) }
            return .object(o)
        default:
            throw BatchError.invalid("mask", "a mask PNG path, a list of rectangles or a mask object", got: value.typeName)
        }
    }

    // MARK: Folders

    static let imageExtensions: Set<String> = ["png", "webp", "jpg", "jpeg", "jpe", "jfif"]

    /// Every PNG, WebP or JPEG in `images` (not recursive, in byte order of the names), each with the
    /// mask of the same name in `masks` (or the same stem with .png/.webp); white = regenerate.
    static func folders(images: URL, masks: URL?, op: EditKind, defaults: JSONObject) throws -> [BatchItem] {
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: images.path)
            .filter { !$0.hasPrefix(".") && imageExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var items: [BatchItem] = []
        for (i, name) in names.enumerated() {
            let stem = URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
            var item = BatchItem(id: stem, line: i + 1, index: i, op: op, params: [:], outputName: "\(stem).png")
            var written = defaults
            written["image"] = .string(images.appendingPathComponent(name).path)
            if let masks {
                let candidates = [name, "\(stem).png", "\(stem).webp"].map { masks.appendingPathComponent($0) }
                if let found = candidates.first(where: { fm.fileExists(atPath: $0.path) }) {
                    written["mask"] = .string(found.path)
                } else if op == .inpaint || op == .classEdit {
                    item.problem = BatchError.make(StandardErrorCode.invalidParams, "mask_not_found",
                                                   "No mask for \(name) in \(masks.path) (tried \(name), \(stem).png, \(stem).webp)",
                                                   ["field": .string("mask"), "image": .string(name)])
                    items.append(item)
                    continue
                }
            }
            do { try fill(&item, op: .string(op.rawValue), output: nil, written: written, root: images) } catch { item.problem = error }
            items.append(item)
        }
        return markDuplicates(items)
    }

    /// Later items with an id already used become problems (their outputs would collide).
    static func markDuplicates(_ items: [BatchItem]) -> [BatchItem] {
        var seen: [String: Int] = [:]
        var outputs: [String: Int] = [:]
        return items.map { item in
            var item = item
            if let first = seen[item.id] {
                item.problem = BatchError.make(StandardErrorCode.invalidParams, "duplicate_id",
                                               "Id \(item.id) was already used on line \(first)", ["field": .string("id"), "firstLine": .int(first)])
                item.id = "\(item.id)#line-\(item.line)"
            } else {
                seen[item.id] = item.line
                if item.problem == nil, let first = outputs[item.outputName] {
                    item.problem = BatchError.make(StandardErrorCode.invalidParams, "duplicate_output",
                                                   "Output \(item.outputName) is already written by line \(first)", ["field": .string("output")])
                } else {
                    outputs[item.outputName] = item.line
                }
            }
            return item
        }
    }
}
