"""`python -m bench compare A.json B.json`: two results files' claim ratios side by side, e.g. two
machines, or one machine under two interpreters."""

from pathlib import Path

from bench.claims import ClaimError, judge
from bench.contract import contracts
from bench.discover import experiments
from bench.results import load as load_results
from bench.suite import Machine


def compare(path_a: Path, path_b: Path) -> int:
    machines = [Machine(path, load_results(path), reference=False) for path in (path_a, path_b)]
    rows = []
    known = experiments()
    for experiment, contract in zip(known, contracts(known).values(), strict=True):
        for claim in contract.claims.values():
            cells = [_ratio(claim, machine, experiment, contract) for machine in machines]
            rows.append((claim.sentence(contract.size_unit), *cells))
    width = max([len(r[0]) for r in rows] + [5])
    print(f"{'claim':<{width}}  {machines[0].label:>28}  {machines[1].label:>28}")
    for text, left, right in rows:
        print(f"{text:<{width}}  {left:>28}  {right:>28}")
    print("(ratios are slower/faster medians; 'stale' marks a result measured from another version of the snippet)")
    return 0


def _ratio(claim, machine: Machine, experiment, contract) -> str:
    entry = machine.data["experiments"].get(experiment.id)
    if entry is None or entry["quick"]:
        return "not measured"
    try:
        verdict = judge(claim, entry, contract, machine)
    except ClaimError:
        return "not measured"
    stale = " stale" if entry["fingerprint"] != experiment.fingerprint else ""
    return f"{verdict.ratio:.2f}×{stale} {'ok' if verdict.holds else 'FALSE'}"
