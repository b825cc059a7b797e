import XCTest
@testable import Tensors

/// The strided multi-head attention kernel against its naive twin (permutes, batched products,
/// Double softmax).
final class AttentionTests: XCTestCase {
    func testMultiHeadAttentionMatchesReference() {
        var rng = SeededGenerator(seed: 21)
        for (l, heads, hd) in [(1, 1, 4), (5, 2, 3), (17, 4, 8), (33, 3, 16)] {
            let c = heads * hd
            let q = Tensor.random([l, c], in: -2...2, using: &rng)
            let k = Tensor.random([l, c], in: -2...2, using: &rng)
            let v = Tensor.random([l, c], using: &rng)
            assertClose(Ops.multiHeadAttention(query: q, key: k, value: v, heads: heads),
                        Reference.multiHeadAttention(query: q, key: k, value: v, heads: heads),
                        relative: 1e-5, "attention L=\(l) H=\(heads) hd=\(hd)")
        }
    }

    func testStackedSequencesAttendWithinThemselves() {
        // Three sequences stacked as rows: each block of rows equals the attention of that
        // sequence alone (bit for bit: the same products on the same rows), and differs from
        // attending over all rows at once.
        var rng = SeededGenerator(seed: 22)
        let (l, heads, hd, sequences) = (7, 2, 4, 3)
        let c = heads * hd
        let q = Tensor.random([sequences * l, c], in: -2...2, using: &rng)
        let k = Tensor.random([sequences * l, c], in: -2...2, using: &rng)
        let v = Tensor.random([sequences * l, c], using: &rng)
        let stacked = Ops.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequences: sequences)
        for b in 0..<sequences {
            let range = (b * l * c)..<((b + 1) * l * c)
            func slice(_ t: Tensor) -> Tensor { Tensor(shape: [l, c], storage: Array(t.storage[range])) }
            let alone = Ops.multiHeadAttention(query: slice(q), key: slice(k), value: slice(v), heads: heads)
            XCTAssertEqual(Array(stacked.storage[range]), alone.storage, "sequence \(b)")
            assertClose(alone, Reference.multiHeadAttention(query: slice(q), key: slice(k), value: slice(v), heads: heads),
                        relative: 1e-5, "sequence \(b) against the reference")
        }
        XCTAssertNotEqual(stacked, Ops.multiHeadAttention(query: q, key: k, value: v, heads: heads))
    }

    func testOneHeadOfEqualKeysAveragesTheValues() {
        // Equal keys give equal scores, so each output row is the mean of the value rows:
        // rows (1, 2) and (3, 6) average to (2, 4).
        let q = Tensor(shape: [2, 2], storage: [1, 0, 0, 1])
        let k = Tensor(shape: [2, 2], storage: [1, 1, 1, 1])
        let v = Tensor(shape: [2, 2], storage: [1, 2, 3, 6])
        XCTAssertEqual(Ops.multiHeadAttention(query: q, key: k, value: v, heads: 1),
                       Tensor(shape: [2, 2], storage: [2, 4, 2, 4]))
    }
}
