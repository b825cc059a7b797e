// Where the shared test fixtures live, found from this file: one definition for every test target.

import Foundation

public enum Fixtures {
    /// The repository root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL
    /// The tiny random-weight model (stride 4, 4x4 grid, native 16 px; Tests/EngineTests/Fixtures/tiny).
    public static let tinyModel = root.appendingPathComponent("Tests/EngineTests/Fixtures/tiny")
    /// Examples/images, whose images the protocol examples read by path.
    public static let exampleImages = root.appendingPathComponent("Examples/images")
    /// Tests/EngineTests/Fixtures (golden tensors of the tiny model and the official checkpoints' checks).
    public static let engineFixtures = root.appendingPathComponent("Tests/EngineTests/Fixtures")
}
