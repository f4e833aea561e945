import Foundation

/// The software version, written into logs and checkpoints.
let cocoopVersion = "0.1.0"

let commands: [any Command.Type] = [
    TrainCommand.self, SweepCommand.self, InspectCommand.self, ExportCommand.self, TokenizeCommand.self,
    EmbedCommand.self, ZeroshotCommand.self, PredictCommand.self, InitWeightsCommand.self, DataCommand.self,
    DemoDataCommand.self, PackCommand.self, MPICheckCommand.self, EnvCommand.self, BenchCommand.self,
]

func printTopLevelHelp() {
    print("""
    cocoop \(cocoopVersion): CoCoOp / CoOp prompt learning on a frozen CLIP, data-parallel over MPI.

    usage: cocoop <command> [options]    (cocoop <command> --help for details)

    commands:
    """)
    for c in commands { print("  \(c.name.padding(toLength: 14, withPad: " ", startingAt: 0))\(c.summary)") }
    print("\n  --version     print the version")
}

let argv = Array(CommandLine.arguments.dropFirst())
guard let first = argv.first else { printTopLevelHelp(); exit(2) }
switch first {
case "--version", "version":
    print("cocoop \(cocoopVersion)")
case "--help", "-h", "help":
    printTopLevelHelp()
default:
    guard let command = commands.first(where: { $0.name == first }) else {
        FileHandle.standardError.write("cocoop: unknown command '\(first)' (see cocoop --help)\n".data(using: .utf8)!)
        exit(2)
    }
    let rest = Array(argv.dropFirst())
    if rest.contains("--help") || rest.contains("-h") { print(command.usage); exit(0) }
    do {
        exit(try command.run(rest))
    } catch let error as UsageError {
        FileHandle.standardError.write(
            "cocoop \(command.name): \(error)\n(see cocoop \(command.name) --help)\n".data(using: .utf8)!)
        exit(2)
    } catch {
        FileHandle.standardError.write("cocoop \(command.name): error: \(error)\n".data(using: .utf8)!)
        exit(1)
    }
}
