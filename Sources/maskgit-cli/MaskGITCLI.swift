// maskgit-cli: a thin command line over the libraries. Each subcommand parses its flags and calls
// library code; nothing here is logic of its own.

import ArgumentParser

@main
struct MaskGITCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maskgit-cli",
        abstract: "Tools around the maskgit-rpc engine.",
        subcommands: [RoundTrip.self, Convert.self, Batch.self]
    )
}
