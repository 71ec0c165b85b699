"""Command line: python -m bench {list,run,check,compare,migrate,rename,export,machine,history,new}."""

import argparse
import sys
from pathlib import Path

from bench.check import check
from bench.claims import ClaimError
from bench.compare import compare
from bench.config import ConfigError
from bench.contract import contracts
from bench.discover import ContractError, experiments
from bench.export import export
from bench.history import append_history
from bench.migrate import migrate, refingerprint, rename
from bench.results import RESULTS, ResultsError
from bench.run import machine_name_here, run
from bench.scaffold import new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Bits in Motion measurement harness.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="experiment ids found under snippets/, each snippet's contract checked")
    run_cmd = commands.add_parser("run", help="measure experiments into results/<machine>.<build>.json")
    run_cmd.add_argument("ids", nargs="*", help="experiment ids (default: all)")
    run_cmd.add_argument("--quick", action="store_true", help="small sizes, into .bench-quick/ (never published)")
    run_cmd.add_argument("--large", action="store_true", help="also the opt-in LARGE_SIZES (beyond the budget)")
    run_cmd.add_argument("--results-dir", type=Path, help="write results/<machine>.<build>.json under this folder")
    run_cmd.add_argument("--python", help="measure with this interpreter (it needs numpy and numexpr)")
    run_cmd.add_argument("--summary", type=Path, help="append failures as Markdown here (CI: the job summary)")
    check_cmd = commands.add_parser("check", help="every claim on every machine with fresh results")
    check_cmd.add_argument("ids", nargs="*", help="experiment ids (default: all)")
    check_cmd.add_argument("--results-dir", type=Path, default=RESULTS, help="the results folder (default: results/)")
    check_cmd.add_argument("--summary", type=Path, help="append false claims as Markdown here (CI: the job summary)")
    machine_cmd = commands.add_parser("machine", help="the name this machine's results are stored under")
    machine_cmd.add_argument("--results-dir", type=Path, default=RESULTS, help="the results folder (default: results/)")
    new_cmd = commands.add_parser("new", help="a snippet from the template and its page section: new <chapter>/<name>")
    new_cmd.add_argument("id", help="<chapter>/<name>, e.g. memory/stride_gather")
    history_cmd = commands.add_parser("history", help="append the results' claim ratios to a history folder")
    history_cmd.add_argument("folder", type=Path, help="the folder of history.jsonl (the bench-data branch)")
    history_cmd.add_argument("--results-dir", type=Path, default=RESULTS, help="the results folder (default: results/)")
    compare_cmd = commands.add_parser("compare", help="two results files' claim ratios side by side")
    compare_cmd.add_argument("a", type=Path)
    compare_cmd.add_argument("b", type=Path)
    migrate_cmd = commands.add_parser("migrate", help="upgrade results files written before schema 2")
    migrate_cmd.add_argument("files", nargs="+", type=Path)
    migrate_cmd.add_argument("--results-dir", type=Path, default=RESULTS, help="where the upgraded files go")
    migrate_cmd.add_argument(
        "--fingerprints", action="store_true", help="fingerprints written before the canonical form, in place"
    )
    rename_cmd = commands.add_parser("rename", help="move an experiment's results to its new id in every results file")
    rename_cmd.add_argument("old")
    rename_cmd.add_argument("new")
    rename_cmd.add_argument("--results-dir", type=Path, default=RESULTS)
    export_cmd = commands.add_parser("export", help="this machine's results as a file for a pull request")
    export_cmd.add_argument(
        "--from",
        dest="sources",
        type=Path,
        action="append",
        metavar="FILE",
        help="a results file (default: this machine's, in results/)",
    )
    export_cmd.add_argument("--name", help="the machine's name on the site (default: from its CPU and cores)")
    export_cmd.add_argument("--out", type=Path, default=RESULTS, help="where the file goes (default: results/)")
    export_cmd.add_argument("--force", action="store_true", help="replace another machine's file of that name")
    export_cmd.add_argument(
        "--allow-name",
        action="append",
        default=[],
        metavar="TEXT",
        help="a host or user name that may appear: a coincidence",
    )
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            for eid in contracts(experiments()):
                print(eid)
            return 0
        if args.command == "run":
            if args.quick and args.large:
                parser.error("--quick and --large exclude each other")
            return run(args.ids, args.quick, args.results_dir, args.large, args.python, args.summary)
        if args.command == "check":
            return check(args.ids, args.results_dir, args.summary)
        if args.command == "machine":
            print(machine_name_here(args.results_dir))
            return 0
        if args.command == "new":
            return new(args.id)
        if args.command == "history":
            return append_history(args.folder, args.results_dir)
        if args.command == "migrate":
            return refingerprint(args.files) if args.fingerprints else migrate(args.files, args.results_dir)
        if args.command == "rename":
            return rename(args.old, args.new, args.results_dir)
        if args.command == "export":
            return export(args.sources, args.name, args.out, args.force, args.allow_name)
        return compare(args.a, args.b)
    except (ContractError, ClaimError, ResultsError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: the experiment being measured was dropped, its worker stopped and its files "
            "removed; experiments saved before it are kept",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
