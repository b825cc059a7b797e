// SessionStore: every open session's image and token grid, with revisions for undo and redo,
// bounded by a session count and a memory budget with least-recently-used eviction.
//
// Thread-safety: one mutex guards all state. Edits read a snapshot, compute without the lock,
// then commit a new revision; the server runs edits and undo/redo one at a time, so a commit
// always extends the revision it started from.

import Editing
import Foundation
import ImageCodecs
import Synchronization

/// One state of a session's image.
public struct Revision: Sendable {
    /// What made a revision: opening the session or one of the edits (the wire names of
    /// `session.*` results' `operation`).
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case open, generate, inpaint, outpaint, classEdit
    }

    public var image: RGBImage
    /// The image's token grid (⌈h/S⌉ × ⌈w/S⌉); `TokenGrid.missing` where unknown.
    public var tokens: TokenGrid
    /// What made this revision.
    public var operation: Operation
    public var seed: UInt64?

    public init(image: RGBImage, tokens: TokenGrid, operation: Operation, seed: UInt64? = nil) {
        self.image = image
        self.tokens = tokens
        self.operation = operation
        self.seed = seed
    }

    var bytes: Int { image.pixels.count + tokens.tokens.count * MemoryLayout<Int32>.size }
}

/// A copy of what a request needs from a session.
public struct SessionSnapshot: Sendable {
    public let id: String
    public let model: String
    public let revision: Int
    public let current: Revision
    public let revisionCount: Int
    public let canUndo: Bool
    public let canRedo: Bool
    public let bytes: Int
}

/// Limits of the store, advertised by `initialize`.
public struct SessionLimits: Sendable {
    public var maxSessions = 16
    public var memoryBudgetBytes = 512 << 20
    /// Revisions kept per session (older ones are dropped; undo stops there).
    public var maxRevisions = 32
    public init() {}
}

public final class SessionStore: Sendable {
    private final class Entry: @unchecked Sendable {
        // Mutated only under SessionStore.state's lock.
        let id: String
        let model: String
        var revisions: [Revision]
        /// Index of the current revision in `revisions`.
        var current: Int
        /// Number of the revision at index 0 (revisions dropped from the front keep their numbers).
        var firstNumber = 0
        var lastUse: UInt64

        init(id: String, model: String, first: Revision, use: UInt64) {
            self.id = id
            self.model = model
            revisions = [first]
            current = 0
            lastUse = use
        }

        var bytes: Int { revisions.reduce(0) { $0 + $1.bytes } }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// One bit per session number ever opened ("s<n>"): set when it was evicted, so an
        /// evicted id is told apart from an unknown one for the server's lifetime (1 bit each).
        var evicted: [UInt64] = []
        var clock: UInt64 = 0
        var nextID = 1
    }

    public let limits: SessionLimits
    private let state = Mutex(State())

    public init(limits: SessionLimits = SessionLimits()) { self.limits = limits }

    /// Where an opened session's tokens came from: a revision of an open session whose image has
    /// the same RGB samples (alpha is not tokenized), so its token grid describes the new image.
    public struct TokenSource: Sendable, Hashable {
        public let session: String
        public let revision: Int
        /// Known tokens taken over.
        public let known: Int
    }

    /// Opens a session; returns its id and the ids evicted to make room. With `reuseTokens`, the
    /// first revision starts from the token grid of the open session revision (same model, same
    /// size, byte-identical RGB samples) with the most known tokens, so opening an earlier
    /// result again (an editor's result layer, a file written by an edit) re-encodes nothing:
    /// edits then compute exactly what they would continuing from that revision.
    public func open(model: String, revision: Revision, reuseTokens: Bool = false)
        throws(AppError) -> (id: String, evicted: [String], tokensFrom: TokenSource?)
    {
        guard revision.bytes <= limits.memoryBudgetBytes else {
            throw AppError(.limitExceeded, "The image needs \(revision.bytes) bytes, over the session memory budget of \(limits.memoryBudgetBytes)",
                                   details: ["limit": .int(limits.memoryBudgetBytes), "got": .int(revision.bytes)])
        }
        return state.withLock { s in
            var first = revision
            var source: TokenSource?
            if reuseTokens, let (entry, index, known) = Self.sameImage(s, model: model, as: revision) {
                first.tokens = entry.revisions[index].tokens
                source = TokenSource(session: entry.id, revision: index + entry.firstNumber, known: known)
            }
            s.clock += 1
            let id = "s\(s.nextID)"
            s.nextID += 1
            s.entries[id] = Entry(id: id, model: model, first: first, use: s.clock)
            let evicted = Self.evict(&s, limits: limits, keep: id)
            return (id, evicted, source)
        }
    }

    /// A snapshot of the session's current revision; marks it used.
    public func snapshot(_ id: String) throws(AppError) -> SessionSnapshot {
        try state.withLock { s throws(AppError) in
            let entry = try Self.entry(&s, id)
            return Self.snapshot(entry)
        }
    }

    /// Appends a revision after `base` (dropping redo history past it); returns the new snapshot.
    public func commit(_ id: String, base: Int, revision: Revision) throws(AppError) -> (SessionSnapshot, evicted: [String]) {
        guard revision.bytes <= limits.memoryBudgetBytes else {
            throw AppError(.limitExceeded, "The result needs \(revision.bytes) bytes, over the session memory budget of \(limits.memoryBudgetBytes)",
                                   details: ["limit": .int(limits.memoryBudgetBytes), "got": .int(revision.bytes)])
        }
        return try state.withLock { s throws(AppError) in
            let entry = try Self.entry(&s, id)
            let baseIndex = base - entry.firstNumber
            guard baseIndex == entry.current else {
                throw AppError(.staleRevision, "Session \(id) moved from revision \(base) to \(entry.current + entry.firstNumber) during the edit",
                                       details: ["session": .string(id), "expected": .int(base), "got": .int(entry.current + entry.firstNumber)])
            }
            entry.revisions.removeSubrange((entry.current + 1)...)
            entry.revisions.append(revision)
            entry.current += 1
            if entry.revisions.count > limits.maxRevisions {
                let drop = entry.revisions.count - limits.maxRevisions
                entry.revisions.removeFirst(drop)
                entry.current -= drop
                entry.firstNumber += drop
            }
            let evicted = Self.evict(&s, limits: limits, keep: id)
            return (Self.snapshot(entry), evicted)
        }
    }

    /// Moves the current revision by `delta` (−1 undo, +1 redo).
    public func move(_ id: String, by delta: Int) throws(AppError) -> SessionSnapshot {
        try state.withLock { s throws(AppError) in
            let entry = try Self.entry(&s, id)
            let target = entry.current + delta
            guard target >= 0, target < entry.revisions.count else {
                throw AppError(.noRevision, delta < 0 ? "Nothing to undo in session \(id)" : "Nothing to redo in session \(id)",
                                       details: ["session": .string(id), "revision": .int(entry.current + entry.firstNumber)])
            }
            entry.current = target
            return Self.snapshot(entry)
        }
    }

    /// Opens a new session holding one revision of `id` (nil: its current one) as its only
    /// revision, image and token grid alike: a branch that later edits of either session leave
    /// alone. Returns the new snapshot and the ids evicted to make room.
    public func fork(_ id: String, revision number: Int? = nil)
        throws(AppError) -> (SessionSnapshot, evicted: [String], from: Int)
    {
        try state.withLock { s throws(AppError) in
            let entry = try Self.entry(&s, id)
            let index = number.map { $0 - entry.firstNumber } ?? entry.current
            guard index >= 0, index < entry.revisions.count else {
                throw AppError(.noRevision, "Session \(id) has no revision \(number ?? 0) (it keeps \(entry.firstNumber)...\(entry.firstNumber + entry.revisions.count - 1))",
                               details: ["session": .string(id), "revision": .int(number ?? 0),
                                         "first": .int(entry.firstNumber), "last": .int(entry.firstNumber + entry.revisions.count - 1)])
            }
            s.clock += 1
            let newID = "s\(s.nextID)"
            s.nextID += 1
            let branch = Entry(id: newID, model: entry.model, first: entry.revisions[index], use: s.clock)
            s.entries[newID] = branch
            let evicted = Self.evict(&s, limits: limits, keep: newID)
            return (Self.snapshot(branch), evicted, index + entry.firstNumber)
        }
    }

    /// Closes a session.
    public func close(_ id: String) throws(AppError) {
        try state.withLock { s throws(AppError) in
            _ = try Self.entry(&s, id)
            s.entries[id] = nil
        }
    }

    /// Snapshots of every open session, most recently used first (does not mark them used).
    public func list() -> [SessionSnapshot] {
        state.withLock { s in
            s.entries.values.sorted { $0.lastUse > $1.lastUse }.map(Self.snapshot)
        }
    }

    /// Total bytes held by all sessions.
    public var bytes: Int { state.withLock { s in s.entries.values.reduce(0) { $0 + $1.bytes } } }

    // MARK: Helpers (called with the lock held)

    private static func entry(_ s: inout State, _ id: String) throws(AppError) -> Entry {
        guard let entry = s.entries[id] else {
            let shown = AppError.echo(id)
            if wasEvicted(s, id) {
                throw AppError(.sessionEvicted, "Session \(shown) was evicted to stay within the session limits; open it again",
                                       details: ["session": .string(shown)])
            }
            throw AppError(.sessionNotFound, "No session \(shown)", details: ["session": .string(shown)])
        }
        s.clock += 1
        entry.lastUse = s.clock
        return entry
    }

    /// The revision (of any open session of `model`) whose image has `revision`'s size and RGB
    /// samples and whose grid has the most known tokens (at least one); nil if none.
    private static func sameImage(_ s: State, model: String, as revision: Revision) -> (Entry, Int, Int)? {
        let image = revision.image
        var best: (Entry, Int, Int)?
        for entry in s.entries.values where entry.model == model {
            for (i, r) in entry.revisions.enumerated()
            where r.image.width == image.width && r.image.height == image.height && r.tokens.shape == revision.tokens.shape {
                let known = r.tokens.tokens.reduce(0) { $0 + ($1 == TokenGrid.missing ? 0 : 1) }
                guard known > (best?.2 ?? 0), r.image.sameRGB(as: image) else { continue }
                best = (entry, i, known)
            }
        }
        return best
    }

    private static func snapshot(_ entry: Entry) -> SessionSnapshot {
        SessionSnapshot(id: entry.id, model: entry.model, revision: entry.current + entry.firstNumber,
                        current: entry.revisions[entry.current], revisionCount: entry.revisions.count,
                        canUndo: entry.current > 0, canRedo: entry.current < entry.revisions.count - 1, bytes: entry.bytes)
    }

    /// Evicts least recently used sessions (never `keep`) until both limits hold.
    private static func evict(_ s: inout State, limits: SessionLimits, keep: String) -> [String] {
        var evicted: [String] = []
        func total() -> Int { s.entries.values.reduce(0) { $0 + $1.bytes } }
        while s.entries.count > limits.maxSessions || total() > limits.memoryBudgetBytes {
            guard let victim = s.entries.values.filter({ $0.id != keep }).min(by: { $0.lastUse < $1.lastUse }) else { break }
            s.entries[victim.id] = nil
            evicted.append(victim.id)
            markEvicted(&s, victim.id)
        }
        // The kept session alone can still be over the budget (its own undo history grew):
        // its oldest revisions go, down to the current one (which fits: checked on the way in).
        if let entry = s.entries[keep] {
            while total() > limits.memoryBudgetBytes, entry.current > 0 {
                entry.revisions.removeFirst()
                entry.current -= 1
                entry.firstNumber += 1
            }
            while total() > limits.memoryBudgetBytes, entry.revisions.count > entry.current + 1 {
                entry.revisions.removeLast()   // redo history
            }
        }
        return evicted
    }

    private static func number(_ id: String) -> Int? {
        guard id.hasPrefix("s"), id.utf8.count <= 20, let n = Int(id.dropFirst()), n > 0 else { return nil }
        return n
    }

    private static func markEvicted(_ s: inout State, _ id: String) {
        guard let n = number(id) else { return }
        let word = n / 64
        if s.evicted.count <= word { s.evicted.append(contentsOf: repeatElement(0, count: word + 1 - s.evicted.count)) }
        s.evicted[word] |= 1 << UInt64(n % 64)
    }

    private static func wasEvicted(_ s: State, _ id: String) -> Bool {
        guard let n = number(id), n / 64 < s.evicted.count else { return false }
        return s.evicted[n / 64] & (1 << UInt64(n % 64)) != 0
    }
}
