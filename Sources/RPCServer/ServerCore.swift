// ServerCore: JSON-RPC 2.0 dispatch over framed lines, independent of the transport.
//
// Threads: the transport's reading thread calls `receive`; cheap methods (ping, session info,
// cancels) are answered right there, so they are served while an edit runs. Everything else goes
// to one worker thread that runs jobs in arrival order. All output goes through `output`, which
// the transport serializes; progress for a request is always written before its response because
// both are written by the thread that runs it.

import Foundation
import JSONRPC
import Sessions
import Synchronization

/// Limits and switches of one server.
public struct ServerOptions: Sendable {
    /// Longest accepted input line in bytes.
    public var maxLineBytes = 64 * 1024 * 1024
    /// Most requests waiting behind the running one. A batch counts as the number of its
    /// requests and is admitted whole or refused whole (-32006 for each of its requests).
    public var maxQueuedJobs = 64
    /// Most requests in one batch; a longer batch gets one -32007 error (id null).
    public var maxBatchRequests = 1024
    /// Most JSON values (of any kind, nested ones included) in one input line; a longer line
    /// gets one -32007 error (id null) before it is built in memory.
    public var maxJSONValues = 1 << 18
    /// Most rectangles in one mask.
    public var maxMaskRects = 4096
    /// Most context windows one outpaint may plan (its decode costs windows × steps passes).
    public var maxOutpaintWindows = 1024
    /// When true, requests before `initialize` get -32002 (LSP behaviour); by default they
    /// implicitly initialize, so shell one-liners work.
    public var strictLifecycle = false

    public init() {}
}

/// The dispatcher. Create it with the methods to serve and an output sink.
public final class ServerCore: Sendable {
    /// Lifecycle phases.
    public enum Phase: Sendable, Equatable { case running, shutDown, exited(code: Int32) }

    private struct Item: Sendable {
        let request: Request
        let flag: Cancellation
    }

    /// A unit of queued work: a single request or a whole batch (answered as one array).
    private final class Job: Sendable {
        let items: [Item]
        let isBatch: Bool
        /// Responses produced immediately for invalid batch items, in batch order positions.
        let preset: [Int: JSONValue]
        /// A built-in step that must run after everything queued before it (shutdown's answer).
        let action: (@Sendable () -> JSONValue?)?
        init(items: [Item], isBatch: Bool, preset: [Int: JSONValue], action: (@Sendable () -> JSONValue?)? = nil) {
            self.items = items
            self.isBatch = isBatch
            self.preset = preset
            self.action = action
        }
    }

    private struct State {
        var queue: [Job] = []
        var running: Job?
        var phase: Phase = .running
        var initialized = false
        var closed = false
        /// Set when the worker thread has left its loop.
        var workerFinished = false
        /// The worker thread's identity (pthread_self), set before the first job runs.
        var worker: UInt = 0

        /// Requests waiting in the queue (a batch counts as its size).
        var queuedRequests: Int { queue.reduce(0) { $0 + max(1, $1.items.count) } }
    }

    static let workerName = "maskgit-rpc worker"

    /// The calling thread's identity: pthread_self, which is what the OS schedules (thread names
    /// are neither unique nor reliable: Linux truncates them to 15 bytes).
    static func currentThreadID() -> UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    /// Whether the caller is the worker thread (then it must not wait for the worker).
    private var onWorker: Bool { state.withLock { $0.worker } == ServerCore.currentThreadID() }
    public let options: ServerOptions
    private let methods: [String: any RPCMethod]
    private let output: @Sendable (JSONValue) -> Void
    /// Guards the queue, the running job and the lifecycle phase.
    private let state = Mutex(State())
    /// Wakes the worker when work arrives and waiters when it drains.
    private let signal = NSCondition()

    public init(methods: [any RPCMethod], options: ServerOptions = ServerOptions(),
                output: @escaping @Sendable (JSONValue) -> Void) {
        var table: [String: any RPCMethod] = [:]
        for method in methods { table[method.name] = method }
        self.methods = table
        self.options = options
        self.output = output
        let started = DispatchSemaphore(value: 0)
        let worker = Thread { [self] in
            state.withLock { $0.worker = ServerCore.currentThreadID() }
            started.signal()
            self.workerLoop()
        }
        worker.name = ServerCore.workerName
        worker.stackSize = 8 << 20
        worker.start()
        started.wait()
    }

    /// The names of the methods served, including the built-in lifecycle and cancel methods.
    public var methodNames: Set<String> {
        Set(methods.keys).union(["shutdown", "exit", "initialized", "$/cancelRequest", "notifications/cancelled"])
    }

    public var phase: Phase { state.withLock { $0.phase } }

    // MARK: Input

    /// Handles one framed line from the transport.
    public func receive(_ frame: LineFramer.Frame) {
        switch frame {
        case .oversized(let count):
            output(Outgoing.error(id: nil, RPCError(AppError(.limitExceeded, "Message of \(count) bytes exceeds the line limit of \(options.maxLineBytes) bytes",
                details: ["limit": .int(options.maxLineBytes), "got": .int(count), "field": .string("line")]))))
        case .line(let bytes):
            receive(IncomingMessage.decode(bytes, maxValues: options.maxJSONValues, maxBatch: options.maxBatchRequests))
        }
    }

    func receive(_ message: IncomingMessage) {
        switch message {
        case .unusable(let error):
            output(Outgoing.error(id: nil, error))
        case .single(.invalid(let id, let error)):
            output(Outgoing.error(id: id, error))
        case .single(.request(let request)):
            dispatch(request)
        case .batch(let items):
            dispatchBatch(items)
        }
    }

    /// Where a request goes: answered at once (a built-in method, a refusal, an unknown method;
    /// nil when nothing is sent) or to a method. The one routing rule for singles and batch items.
    private enum Route {
        case done(JSONValue?)
        case method(any RPCMethod)
    }

    private func route(_ request: Request) -> Route {
        switch handleControl(request) {
        case .answered?: return .done(request.id.map { Outgoing.result(id: $0, .null) })
        case .answeredElsewhere?: return .done(nil)
        case nil: break
        }
        if let refusal = admissionError(for: request) {
            return .done(request.id.map { Outgoing.error(id: $0, RPCError(refusal)) })
        }
        guard let method = methods[request.method] else {
            return .done(request.id.map {
                Outgoing.error(id: $0, RPCError(code: StandardErrorCode.methodNotFound,
                    message: "Method not found: \(AppError.echo(request.method))",
                    data: .object(["reason": .string("method_not_found"), "method": .string(AppError.echo(request.method))])))
            })
        }
        return .method(method)
    }

    private func dispatch(_ request: Request) {
        switch route(request) {
        case .done(let reply):
            if let reply { output(reply) }
        case .method(let method):
            let item = Item(request: request, flag: Cancellation())
            if method.runsImmediately {
                if let response = run(item, method: method) { output(response) }
            } else {
                enqueue(Job(items: [item], isBatch: false, preset: [:]), id: request.id)
            }
        }
    }

    private func dispatchBatch(_ items: [IncomingItem]) {
        var work: [Item] = []
        var preset: [Int: JSONValue] = [:]
        for (position, item) in items.enumerated() {
            switch item {
            case .invalid(let id, let error):
                preset[position] = Outgoing.error(id: id, error)
                work.append(Item(request: Request(id: nil, method: ""), flag: Cancellation()))
            case .request(let request):
                work.append(Item(request: request, flag: Cancellation()))
            }
        }
        enqueue(Job(items: work, isBatch: true, preset: preset), id: nil)
    }

    /// How a built-in method was handled.
    private enum Control {
        /// Done: a request (with an id) is answered with a null result.
        case answered
        /// Done, and its answer (if any) is sent by someone else: the worker after the queued
        /// work (shutdown), or already (exit).
        case answeredElsewhere
    }

    /// Built-in methods. Returns nil when `request` is not one of them.
    private func handleControl(_ request: Request) -> Control? {
        switch request.method {
        case "$/cancelRequest", "notifications/cancelled":
            let params = request.params?.objectValue
            let target = params?["id"] ?? params?["requestId"]
            if let target, let id = RequestIDValue(target) { cancel(id) }
            // A cancel sent as a request (with an id) is answered, so the client is not left waiting.
            return .answered
        case "initialized":
            return .answered
        case "shutdown":
            // New requests are refused from now on; the answer comes after the work queued
            // before it, so a client that waits for it knows everything earlier is done.
            let busy = state.withLock { s -> Bool in
                if s.phase == .running { s.phase = .shutDown }
                return !s.queue.isEmpty || s.running != nil
            }
            if busy, !onWorker {
                let id = request.id
                state.withLock { s in
                    s.queue.append(Job(items: [], isBatch: false, preset: [:], action: { id.map { Outgoing.result(id: $0, .null) } }))
                }
                signal.lock()
                signal.broadcast()
                signal.unlock()
                return .answeredElsewhere
            }
            return .answered
        case "exit":
            // Queued work finishes first (a pipe that sends everything at once gets every answer);
            // SIGTERM is the way to stop at once. Inside a batch (on the worker) the batch's
            // answer, exit's included, is written first: see `execute`.
            if onWorker {
                state.withLock { s in
                    if s.phase == .running || s.phase == .shutDown { s.phase = .exited(code: s.phase == .shutDown ? 0 : 1) }
                }
                return .answered
            }
            waitUntilIdle()
            let code: Int32 = state.withLock { $0.phase == .shutDown ? 0 : 1 }
            // Sent as a request, exit is answered before the process ends.
            if let id = request.id { output(Outgoing.result(id: id, .null)) }
            close(exitCode: code)
            return .answeredElsewhere
        default:
            return nil
        }
    }

    /// Lifecycle checks before a method runs.
    private func admissionError(for request: Request) -> AppError? {
        state.withLock { s in
            if s.phase != .running {
                return AppError(.shuttingDown, "Server is shutting down")
            }
            if request.method == "initialize" { s.initialized = true; return nil }
            if !s.initialized {
                if options.strictLifecycle {
                    // ping is allowed before initialize (MCP), but does not initialize.
                    if request.method == "ping" { return nil }
                    return AppError(.notInitialized, "Server not initialized: send initialize first")
                }
                s.initialized = true
            }
            return nil
        }
    }

    /// The one admission rule for singles and batches: the queue holds at most
    /// `maxQueuedJobs` requests; a job that does not fit is refused whole, every request in it
    /// answered with -32006 (a batch as one array, in order).
    private func enqueue(_ job: Job, id: RequestID?) {
        let size = max(1, job.items.count)
        let full = state.withLock { s -> Bool in
            if s.queuedRequests + size > options.maxQueuedJobs { return true }
            s.queue.append(job)
            return false
        }
        if full {
            let refusal = RPCError(AppError(.queueFull, "Too many queued requests (limit \(options.maxQueuedJobs))",
                details: ["limit": .int(options.maxQueuedJobs), "requests": .int(size)]))
            if job.isBatch {
                var answers: [JSONValue] = []
                for (position, item) in job.items.enumerated() {
                    if let preset = job.preset[position] { answers.append(preset) }
                    else if let rid = item.request.id { answers.append(Outgoing.error(id: rid, refusal)) }
                }
                if !answers.isEmpty { output(.array(answers)) }
            } else if let id {
                output(Outgoing.error(id: id, refusal))
            }
            return
        }
        signal.lock()
        signal.broadcast()
        signal.unlock()
    }

    /// Cancels a queued or running request by id. Queued single requests are removed and
    /// answered at once; running ones stop at their next cancellation check.
    public func cancel(_ id: RequestID) {
        let removed: Job? = state.withLock { s in
            if let index = s.queue.firstIndex(where: { !$0.isBatch && $0.items.first?.request.id == id }) {
                return s.queue.remove(at: index)
            }
            for job in s.queue + [s.running].compactMap({ $0 }) {
                for item in job.items where item.request.id == id { item.flag.cancel() }
            }
            return nil
        }
        if let removed, let item = removed.items.first {
            item.flag.cancel()
            if let rid = item.request.id {
                output(Outgoing.error(id: rid, RPCError(AppError.cancelled(stage: "queued", completedSteps: 0))))
            }
        }
    }

    // MARK: Execution

    /// Runs one request; returns its response (nil for notifications).
    private func run(_ item: Item, method: any RPCMethod) -> JSONValue? {
        let request = item.request
        var progress: ProgressReporter?
        if let token = request.params?.objectValue?["_meta"]?.objectValue?["progressToken"],
           token.stringValue != nil || token.intValue != nil, request.id != nil {
            progress = ProgressReporter(token: token, send: output)
        }
        let context = RequestContext(id: request.id, method: request.method, progress: progress, cancellation: item.flag)
        let result: Result<JSONValue, AppError>
        do throws(AppError) {
            try item.flag.check(stage: "queued", completedSteps: 0)
            let params = try Params(request: request.params)
            result = .success(try method.handle(params, context: context))
        } catch {
            result = .failure(error)
        }
        guard let id = request.id else { return nil }
        switch result {
        case .success(let value): return Outgoing.result(id: id, value)
        case .failure(let error): return Outgoing.error(id: id, RPCError(error))
        }
    }

    private func runBatchItem(_ item: Item) -> JSONValue? {
        switch route(item.request) {
        case .done(let reply): return reply
        case .method(let method): return run(item, method: method)
        }
    }

    private func workerLoop() {
        while true {
            signal.lock()
            var next: Job?
            var stop = false
            while true {
                (next, stop) = state.withLock { s -> (Job?, Bool) in
                    if s.closed { return (nil, true) }
                    guard !s.queue.isEmpty else { return (nil, false) }
                    let job = s.queue.removeFirst()
                    s.running = job
                    return (job, false)
                }
                if next != nil || stop { break }
                signal.wait()
            }
            signal.unlock()
            if stop { break }
            guard let job = next else { continue }
            execute(job)
            state.withLock { $0.running = nil }
            signal.lock()
            signal.broadcast()
            signal.unlock()
        }
        state.withLock { $0.workerFinished = true }
        signal.lock()
        signal.broadcast()
        signal.unlock()
    }

    private func execute(_ job: Job) {
        if let action = job.action {
            if let response = action() { output(response) }
            return
        }
        if !job.isBatch, let item = job.items.first {
            guard let method = methods[item.request.method] else { return }
            if let response = run(item, method: method) { output(response) }
            return
        }
        var responses: [JSONValue] = []
        for (position, item) in job.items.enumerated() {
            if let preset = job.preset[position] {
                responses.append(preset)
            } else if let response = runBatchItem(item) {
                responses.append(response)
            }
        }
        if !responses.isEmpty { output(.array(responses)) }
        // An `exit` in the batch: its answer is in the array above; now stop.
        let pending: Int32? = state.withLock { s in
            if case .exited(let code) = s.phase, !s.closed { return code }
            return nil
        }
        if let pending { close(exitCode: pending) }
    }

    // MARK: Shutdown

    /// Blocks until no job is queued or running (for tests and orderly shutdown). On the worker
    /// thread (which would wait for itself) it returns at once.
    public func waitUntilIdle() {
        if onWorker { return }
        signal.lock()
        while state.withLock({ !$0.queue.isEmpty || $0.running != nil }) {
            signal.wait()
        }
        signal.unlock()
    }

    /// Ends the server: queued work is dropped, the running job is cancelled at its next
    /// check, and the worker thread finishes. Safe to call more than once.
    public func close(exitCode: Int32 = 0) {
        let (first, dropped) = state.withLock { s -> (Bool, [Job]) in
            if s.closed { return (false, []) }
            if case .exited = s.phase {} else { s.phase = .exited(code: exitCode) }
            s.closed = true
            let dropped = s.queue
            s.queue.removeAll()
            if let running = s.running { running.items.forEach { $0.flag.cancel() } }
            return (true, dropped)
        }
        guard first else { return }
        // Every request is answered: the ones dropped from the queue get -32800 too.
        for job in dropped {
            let answers = job.items.compactMap { item in
                item.request.id.map { Outgoing.error(id: $0, RPCError(AppError.cancelled(stage: "queued", completedSteps: 0))) }
            }
            if job.isBatch, !answers.isEmpty { output(.array(answers)) } else { answers.forEach(output) }
        }
        signal.lock()
        signal.broadcast()
        signal.unlock()
        // `exit` inside a batch runs on the worker itself, which then stops on its own.
        if !onWorker { waitForWorker() }
    }

    private func waitForWorker() {
        signal.lock()
        while !state.withLock({ $0.workerFinished }) { signal.wait() }
        signal.unlock()
    }

    /// Blocks until the server has closed (an `exit`, `close` or the end of input handled by the
    /// transport) and the worker has stopped; returns the exit code.
    public func waitForExit() -> Int32 {
        signal.lock()
        while !state.withLock({ $0.closed && $0.workerFinished }) { signal.wait() }
        signal.unlock()
        return exitCode ?? 0
    }

    /// The exit code once `exit` or `close` happened.
    public var exitCode: Int32? {
        if case .exited(let code) = phase { return code }
        return nil
    }
}

/// A request id from a cancel notification's parameter.
private func RequestIDValue(_ value: JSONValue) -> RequestID? {
    switch value {
    case .string(let s): .string(s)
    case .number(let n): .number(n)
    default: nil
    }
}
