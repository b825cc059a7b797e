import Foundation

/// Tests/EditingTests/Fixtures (each fixture records the command that produced it).
let editingFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A JSON fixture from Tests/EditingTests/Fixtures.
func loadJSONFixture(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: editingFixtures.appendingPathComponent(name))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw CocoaError(.fileReadCorruptFile)
    }
    return object
}

extension Dictionary where Key == String, Value == Any {
    func ints(_ key: String) -> [Int] { (self[key] as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? -1 } }
    func uint32s(_ key: String) -> [UInt32] { (self[key] as? [Any] ?? []).map { UInt32(truncating: ($0 as? NSNumber) ?? 0) } }
}
