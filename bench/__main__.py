"""Command line: python -m bench {list,run,check,compare}."""

import argparse
import sys
from pathlib import Path

from bench import machine
from bench.check import check
from bench.claims import ClaimError
from bench.compare import compare
from bench.discover import ContractError, experiments
from bench.results import PUBLISHED, ResultsError, path_for
from bench.run import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Bits in Motion measurement harness.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="experiment ids found under snippets/")
    run_cmd = commands.add_parser("run", help="measure experiments into results/<machine>.json")
    run_cmd.add_argument("ids", nargs="*", help="experiment ids (default: all)")
    run_cmd.add_argument("--quick", action="store_true", help="small sizes, into .bench-quick/ (never published)")
    run_cmd.add_argument("--large", action="store_true", help="also the opt-in LARGE_SIZES (beyond the budget)")
    run_cmd.add_argument("--results-dir", type=Path, help="write results/<machine>.json under this folder")
    check_cmd = commands.add_parser("check", help="every claim against stored results")
    check_cmd.add_argument("file", nargs="?", type=Path, help=f"results file (default: {PUBLISHED.name})")
    check_cmd.add_argument("--mine", action="store_true", help="check this machine's results file")
    compare_cmd = commands.add_parser("compare", help="two machines' headline ratios side by side")
    compare_cmd.add_argument("a", type=Path)
    compare_cmd.add_argument("b", type=Path)
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            for experiment in experiments():
                print(experiment.id)
            return 0
        if args.command == "run":
            if args.quick and args.large:
                parser.error("--quick and --large exclude each other")
            return run(args.ids, args.quick, args.results_dir, args.large)
        if args.command == "check":
            return check(path_for(machine.machine_name()) if args.mine else args.file or PUBLISHED)
        return compare(args.a, args.b)
    except (ContractError, ClaimError, ResultsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
