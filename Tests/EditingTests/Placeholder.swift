import XCTest
@testable import Editing
