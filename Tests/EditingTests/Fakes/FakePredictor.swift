// FakePredictor: deterministic logits from a hash of (position, code, condition, the known
// neighbours' tokens), so samples depend on context like a real model's, at no cost.

@testable import Editing

struct FakePredictor: TokenPredictor {
    var codebookSize: Int = 64
    var gridShape = GridShape(height: 8, width: 8)
    var maskTokenID: Int32 { Int32(codebookSize) + Int32(numClasses) }
    var numClasses: Int = 10
    var nullClassID: Int? = nil
    /// Spread of the logits; larger makes the distributions peakier.
    var scale: Float = 4

    static func hash(_ values: UInt64...) -> UInt64 {
        var h: UInt64 = 0x1234_5678_9ABC_DEF0
        for v in values { h = RandomSource.mix64(h ^ v) }
        return h
    }

    func logits(tokens: [Int32], condition: Conditioning) throws -> [Float] {
        let n = gridShape.count, v = codebookSize, w = gridShape.width
        precondition(tokens.count == n)
        let cond: UInt64
        switch condition {
        case .classLabel(let c): cond = UInt64(c)
        case .unconditional: cond = 999
        }
        var out = [Float](repeating: 0, count: n * v)
        for i in 0..<n {
            let left = i % w > 0 ? tokens[i - 1] : -2
            let up = i >= w ? tokens[i - w] : -2
            let context = FakePredictor.hash(UInt64(i), cond, UInt64(bitPattern: Int64(left)), UInt64(bitPattern: Int64(up)))
            for c in 0..<v {
                let h = FakePredictor.hash(context, UInt64(c))
                out[i * v + c] = (Float(h >> 40) / Float(1 << 24) - 0.5) * scale
            }
        }
        return out
    }
}

/// Records forward calls: the condition of every single pass, and the size of every
/// `logits(batch:)` call (whose passes are not counted as single ones).
final class CallCounter: @unchecked Sendable {
    var conditions: [Conditioning] = []
    var batches: [Int] = []
    var singles: Int { conditions.count }
}

struct CountingPredictor: TokenPredictor {
    var base: FakePredictor
    let counter: CallCounter
    var codebookSize: Int { base.codebookSize }
    var gridShape: GridShape { base.gridShape }
    var maskTokenID: Int32 { base.maskTokenID }
    var numClasses: Int { base.numClasses }
    var nullClassID: Int? { base.nullClassID }
    func logits(tokens: [Int32], condition: Conditioning) throws -> [Float] {
        counter.conditions.append(condition)
        return try base.logits(tokens: tokens, condition: condition)
    }
    func logits(batch: [PredictorPass]) throws -> [[Float]] {
        counter.batches.append(batch.count)
        return try batch.map { try base.logits(tokens: $0.tokens, condition: $0.condition) }
    }
}
