// Cancellation: the one way a request is stopped. The server sets it (a cancel notification, a
// shutdown); `EditService` polls it between decoding steps and reports a stop as
// `AppError.cancelled` (the editing library's own stop signal is the progress callback's
// `false`, which the service answers from this flag).

import Synchronization

/// Set once by whoever cancels; read by the running work.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
    public func cancel() { flag.store(true, ordering: .releasing) }

    /// Throws `AppError.cancelled` when cancelled.
    public func check(stage: String, completedSteps: Int? = nil) throws(AppError) {
        if isCancelled { throw AppError.cancelled(stage: stage, completedSteps: completedSteps) }
    }
}

/// What the caller of an edit sees while it runs: a cancellation and an optional progress sink.
public struct EditControl: Sendable {
    public var cancellation: Cancellation
    /// Called after every decoding step (done, total, message).
    public var progress: (@Sendable (_ done: Double, _ total: Double, _ message: String) -> Void)?

    public init(cancellation: Cancellation = Cancellation(),
                progress: (@Sendable (_ done: Double, _ total: Double, _ message: String) -> Void)? = nil) {
        self.cancellation = cancellation
        self.progress = progress
    }
}
