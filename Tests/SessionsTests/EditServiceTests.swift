// The application in process, with no JSON: sessions, typed requests, validation, vocabularies,
// on the tiny random-weight model (Tests/EngineTests/Fixtures/tiny).

import Editing
import Engine
import Foundation
import ImageCodecs
import Sessions
import TestSupport
import XCTest

final class EditServiceTests: XCTestCase {
    static let model: MaskGITModel = {
        do { return try MaskGITModel(directory: Fixtures.tinyModel) } catch { fatalError("tiny model: \(error)") }
    }()

    static func picture(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height, layout: .rgb)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                image.pixels[i] = UInt8((x * 255) / max(1, width - 1))
                image.pixels[i + 1] = UInt8((y * 255) / max(1, height - 1))
                image.pixels[i + 2] = UInt8(((x / 5 + y / 7) % 2) * 200 + 20)
            }
        }
        return image
    }

    func testInpaintOnASessionWithoutJSON() throws {
        let service = EditService(models: [Self.model])
        let (opened, evicted, _) = try service.openSession(image: Self.picture(width: 32, height: 32), model: nil)
        XCTAssertEqual(opened.revision, 0)
        XCTAssertEqual(opened.current.operation, .open)
        XCTAssertTrue(evicted.isEmpty)
        let request = InpaintRequest(source: .session(opened.id), classRef: .label(1), decoding: DecodingRequest(seed: 7, steps: 4, schedule: .linear),
                                     region: RegionOptions(mask: MaskRequest(rects: [RectRequest(x: 4, y: 4, width: 8, height: 8)])))
        let outcome = try service.inpaint(request)
        XCTAssertEqual(outcome.result.seed, 7)
        XCTAssertEqual(outcome.session?.revision, 1)
        XCTAssertEqual(outcome.session?.current.operation, .inpaint)
        XCTAssertEqual(outcome.session?.canUndo, true)
        // The same request again gives the same pixels (same seed, same cached tokens at revision 0).
        _ = try service.sessions.move(opened.id, by: -1)
        let again = try service.inpaint(request)
        XCTAssertEqual(again.result.image.pixels, outcome.result.image.pixels)
        // Outside the mask and its band the image is unchanged.
        let band = outcome.result.band
        let image = outcome.result.image, before = opened.current.image
        for y in 0..<32 { for x in 0..<32 where x >= 12 + band || y >= 12 + band {
            XCTAssertEqual(image.pixels[(y * 32 + x) * 3], before.pixels[(y * 32 + x) * 3], "(\(x), \(y))")
        } }
    }

    /// A result reopened with reuseTokens, or forked, edits exactly as the original session would
    /// continue (same tokens, so same pixels) and encodes nothing it covers; without reuseTokens
    /// a reopened result starts from an empty grid.
    func testForkAndReuseTokensContinueFromTheResultsTokens() throws {
        let service = EditService(models: [Self.model])
        let (opened, _, _) = try service.openSession(image: Self.picture(width: 32, height: 32), model: nil)
        func inpaint(_ id: String, x: Int, seed: Int) throws -> EditOutcome {
            try service.inpaint(InpaintRequest(source: .session(id), classRef: .label(1), decoding: DecodingRequest(seed: seed, steps: 4, schedule: .linear),
                                               region: RegionOptions(mask: MaskRequest(rects: [RectRequest(x: x, y: 4, width: 8, height: 8)]))))
        }
        let first = try inpaint(opened.id, x: 4, seed: 7)
        let result = try XCTUnwrap(first.session).current
        let known = result.tokens.tokens.filter { $0 != TokenGrid.missing }.count
        XCTAssertGreaterThan(known, 0)

        let (branch, _, from) = try service.sessions.fork(opened.id)
        XCTAssertEqual(from, 1)
        XCTAssertEqual(branch.revision, 0)
        XCTAssertFalse(branch.canUndo)
        XCTAssertEqual(branch.current.tokens, result.tokens)
        XCTAssertEqual(branch.current.image, result.image)

        // The same image as an RGBA copy (alpha is not tokenized) finds the result's tokens.
        var rgba = RGBImage(width: 32, height: 32, layout: .rgba, filledWith: 9)
        for p in 0..<(32 * 32) { for k in 0..<3 { rgba.pixels[p * 4 + k] = result.image.pixels[p * 3 + k] } }
        let (reopened, _, source) = try service.openSession(image: rgba, model: nil, reuseTokens: true)
        XCTAssertEqual(source?.known, known)
        XCTAssertEqual(reopened.current.tokens, result.tokens)
        let (fresh, _, none) = try service.openSession(image: result.image, model: nil)
        XCTAssertNil(none)
        XCTAssertEqual(fresh.current.tokens.tokens.filter { $0 != TokenGrid.missing }.count, 0)
        // One changed byte: no reuse.
        var other = result.image
        other.pixels[100] ^= 1
        XCTAssertNil(try service.openSession(image: other, model: nil, reuseTokens: true).tokensFrom)

        // A second edit continues identically in the original, the fork and the reopened copy.
        let continued = try inpaint(opened.id, x: 18, seed: 8)
        let onBranch = try inpaint(branch.id, x: 18, seed: 8)
        let onReopened = try inpaint(reopened.id, x: 18, seed: 8)
        XCTAssertEqual(onBranch.result.image.pixels, continued.result.image.pixels)
        XCTAssertEqual(Array(onReopened.result.image.pixels.enumerated().filter { $0.offset % 4 != 3 }.map(\.element)),
                       continued.result.image.pixels)
        // The fork kept its own history: its revision 0 is still the first result.
        XCTAssertEqual(try service.sessions.move(branch.id, by: -1).current.image, result.image)
        XCTAssertThrowsError(try service.sessions.fork(opened.id, revision: 9))
    }

    func testValidationNamesTheFieldWithTheOneSetOfBounds() throws {
        let service = EditService(models: [Self.model])
        let image = Self.picture(width: 16, height: 16)
        func error(_ r: InpaintRequest) -> AppError? {
            do { _ = try service.inpaint(r); return nil } catch { return error }
        }
        let mask = RegionOptions(mask: MaskRequest(rects: [RectRequest(x: 0, y: 0, width: 4, height: 4)]))
        let steps = error(InpaintRequest(source: .image(image), classRef: .label(0),
                                         decoding: DecodingRequest(steps: RequestBounds.steps.upperBound + 1), region: mask))
        XCTAssertEqual(steps?.kind, .invalidParams)
        XCTAssertEqual(steps?.details["field"], .string("steps"))
        XCTAssertEqual(steps?.details["expected"], .string("an integer in 1...64"))
        let coverage = error(InpaintRequest(source: .image(image), classRef: .label(0),
                                            region: RegionOptions(mask: mask.mask, maskPolicy: .coverage, coverage: 0)))
        XCTAssertEqual(coverage?.details["field"], .string("coverage"))
        XCTAssertEqual(coverage?.details["got"], .string("0"))
        XCTAssertNil(error(InpaintRequest(source: .image(image), classRef: .label(0), decoding: DecodingRequest(seed: 1, steps: 1),
                                          region: RegionOptions(mask: mask.mask, maskPolicy: .coverage, coverage: 0.001))),
                     "the lower bound itself is accepted")
        let empty = error(InpaintRequest(source: .image(image), classRef: .label(0),
                                         region: RegionOptions(mask: MaskRequest(invert: true, rects: [RectRequest(x: 0, y: 0, width: 16, height: 16)]))))
        XCTAssertEqual(empty?.details["got"], .string("an empty mask"))
        let outside = error(InpaintRequest(source: .image(image), classRef: .label(0),
                                           region: RegionOptions(mask: MaskRequest(rects: [RectRequest(x: 16, y: 0, width: 4, height: 4)]))))
        XCTAssertEqual(outside?.details["field"], .string("mask.rects[0]"))
        let label = error(InpaintRequest(source: .image(image), classRef: .label(Self.model.classNames.count), region: mask))
        XCTAssertEqual(label?.details["field"], .string("class"))
        let session = error(InpaintRequest(source: .session("s99"), classRef: .label(0), region: mask))
        XCTAssertEqual(session?.kind, .sessionNotFound)
        let model = error(InpaintRequest(source: .image(image), model: "nope", classRef: .label(0), region: mask))
        XCTAssertEqual(model?.kind, .modelNotFound)
        XCTAssertEqual(model?.details["available"], .strings([Self.model.name]))
    }

    func testCancellationStopsTheEdit() throws {
        let service = EditService(models: [Self.model])
        let cancellation = Cancellation()
        cancellation.cancel()
        XCTAssertThrowsError(try service.generate(GenerateRequest(classRef: .label(0), decoding: DecodingRequest(seed: 1)),
                                                  control: EditControl(cancellation: cancellation))) { error in
            XCTAssertEqual((error as? AppError)?.kind, .cancelled)
            XCTAssertEqual((error as? AppError)?.details["stage"], .string("decoding"))
        }
    }

    func testOutpaintDropsCachedTokensOfPartlyOriginalBlocks() throws {
        let service = EditService(models: [Self.model])
        // 18 px wide at stride 4: the block at columns 16..<20 holds 2 original and 2 new pixels.
        let (opened, _, _) = try service.openSession(image: Self.picture(width: 18, height: 16), model: nil)
        let outcome = try service.outpaint(OutpaintRequest(source: .session(opened.id), classRef: .label(0),
                                                           decoding: DecodingRequest(seed: 3, steps: 2), right: 6))
        let tokens = outcome.result.tokens
        XCTAssertEqual(tokens.width, 6)
        for r in 0..<tokens.height {
            XCTAssertNotEqual(tokens[r, 3], TokenGrid.missing, "row \(r): wholly original block (encoded for a window), known")
            XCTAssertEqual(tokens[r, 4], TokenGrid.missing, "row \(r): partly original block, not its decode")
            XCTAssertNotEqual(tokens[r, 5], TokenGrid.missing, "row \(r): wholly new block, its decode")
        }
    }

    func testOutpaintWindowBoundIsTheAreaPlansCount() throws {
        // The tiny model (4x4 grid, S = 4): 16x16 grown by 4000 px right and bottom is about
        // 87,000 windows of the area plan, refused before any decoding (and quickly: the bound
        // counts the bands without the quadratic greedy plan); an explicit stride keeps the
        // candidate bound.
        let service = EditService(models: [Self.model])
        let image = Self.picture(width: 16, height: 16)
        let expected = OutpaintEdit.windowCount(width: 16, height: 16, margins: EdgeInsets(right: 4000, bottom: 4000), tokenStride: 4,
                                                window: Self.model.predictor.gridShape, stride: nil)
        XCTAssertGreaterThan(expected, 1024)
        for (stride, got) in [(nil, expected), (2, 501 * 501)] as [(Int?, Int)] {
            XCTAssertThrowsError(try service.outpaint(OutpaintRequest(source: .image(image), classRef: .label(0), decoding: DecodingRequest(seed: 1),
                                                                      right: 4000, bottom: 4000, windowStride: stride))) { error in
                XCTAssertEqual((error as? AppError)?.kind, .limitExceeded)
                XCTAssertEqual((error as? AppError)?.details["got"], .int(got), "stride \(String(describing: stride))")
            }
        }
        // A wide one within the bound decodes exactly the windows counted.
        let margins = EdgeInsets(left: 40, right: 44)
        let outcome = try service.outpaint(OutpaintRequest(source: .image(image), classRef: .label(0), decoding: DecodingRequest(seed: 1, steps: 2),
                                                           left: 40, right: 44))
        XCTAssertEqual(outcome.result.windows.count, OutpaintEdit.windowCount(width: 16, height: 16, margins: margins, tokenStride: 4,
                                                                              window: Self.model.predictor.gridShape, stride: nil))
    }

    func testVocabulariesAreTheEnums() {
        XCTAssertEqual(SamplerName.names, ["confidence", "halton"])
        XCTAssertEqual(Set(Vocabularies.editing.map(\.name)),
                       ["samplers", "schedules", "maskPolicies", "composites", "rng", "guidanceRamps"])
        XCTAssertEqual(ImageFormat(wireName: "jpg"), .jpeg)
        XCTAssertEqual(ScheduleName.expectedText, "one of cosine, linear, square, cubic, exponential, log, arccos")
        XCTAssertEqual(SamplerName.expectedText, "\"confidence\" or \"halton\"")
        for name in ScheduleName.allCases { XCTAssertEqual(ScheduleName(name.schedule), name) }
    }
}
