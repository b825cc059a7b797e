// The method registry: every method the server serves, wired to one context. (shutdown, exit,
// initialized and the cancel notifications are built into ServerCore.) A new method is one file
// in this folder plus one line here.

import JSONRPC
import Sessions

/// Every method of the server.
public func makeMethods(context: ServerContext, methodNames: @escaping @Sendable () -> [String]) -> [any RPCMethod] {
    [
        InitializeMethod(context: context, methodNames: methodNames), PingMethod(), DiscoverMethod(context: context),
        ModelsListMethod(context: context),
        SessionOpenMethod(context: context), SessionForkMethod(context: context), SessionInfoMethod(context: context),
        SessionUndoMethod(context: context), SessionRedoMethod(context: context),
        SessionExportMethod(context: context), SessionCloseMethod(context: context), SessionListMethod(context: context),
    ] + editMethods(context: context).map { $0 as any RPCMethod }
}

/// The edit methods (for in-process callers of the protocol's parameters: `maskgit-cli batch`).
public func editMethods(context: ServerContext) -> [any RPCMethod] {
    [GenerateMethod(context: context), InpaintMethod(context: context), OutpaintMethod(context: context),
     ClassEditMethod(context: context)]
}
