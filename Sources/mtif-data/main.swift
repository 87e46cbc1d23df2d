// mtif-data: make, convert and split multitask data sets (NDJSON examples).
import Shared

let usage = """
usage: mtif-data <command> [options] [INPUT]

Examples are NDJSON, one per line: {"id":"t01-0007","task":"t01","x":[…],"y":2}.
INPUT defaults to stdin; output goes to stdout unless -o FILE (written atomically).

commands:
  synth        a synthetic multitask set with planted negative transfer
               [--tasks K (6)] [--features D (10)] [--classes C (3) | --regression]
               [--train N (60)] [--val N (40)] [--test N (200)]   per task
               [--unrelated F (1/3)] [--corrupt F (0.15)] [--deviation S (0.3)]
               [--noise S (0.25)] [--seed S (0)]
               marks examples with "split", "corrupted" and "unrelated" fields
  split        per-task seeded split into train/val/test files; examples that all
               carry a "split" field keep it
               (--prefix P | --train F --val F --test F) [--fractions 0.6,0.2,0.2] [--seed S]
               [--tasks A,B,… (keep only these tasks)]
               [--blocks B (cut each task into B contiguous blocks in input order,
               dealt to the parts by the fractions; for time series)]
               [--gap G (with --blocks: drop G examples after each boundary
               between parts, so overlapping windows never straddle it) (0)]
  csv          CSV with a header row → examples
               --task COL --label COL [--id COL] [--features C1,C2,… (all others)]
               [--task-prefix P] [--label-kind auto|index|name|value]
  har          a "UCI HAR Dataset" folder → examples, one task per subject: har DIR
  standardize  (x − mean)/std with mean and std of the training split: --fit TRAIN.ndjson
  stats        one line per task (count, classes) and a total line
  sample       seeded sample without replacement, in input order
               (--count N [--per-task] | --fraction F (per task)) [--seed S]
               [--complement] [--ids (one id per line instead of examples)]
               [--tasks A,B,… (draw from these tasks' examples only)]

  -o, --output FILE   -q, --quiet   -h, --help

examples:
  mtif-data synth --seed 1 | mtif-data split --prefix data/
  zcat har.csv.gz | mtif-data csv --task subject --label activity --task-prefix s > har.ndjson
"""

runTool("mtif-data") {
    let arguments = Array(CommandLine.arguments.dropFirst())
    guard let name = arguments.first, !name.hasPrefix("-") else {
        if arguments.first == "-h" || arguments.first == "--help" { return try printUsage(usage) }
        throw MTIFError.usage("missing command", hint: "see 'mtif-data --help'")
    }
    guard let command = DataCommand(rawValue: name) else {
        throw MTIFError.usage(
            "unknown command '\(name)'", hint: "commands: \(DataCommand.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    try command.run(Array(arguments.dropFirst()), usage: usage)
}
