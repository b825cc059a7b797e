import XCTest
@testable import ImageCodecs
