"""`python -m bench compare A.json B.json`: the headline ratios (each claim's) of two machines side by side."""

from pathlib import Path

from bench.claims import claims_of, judge
from bench.discover import experiments, load
from bench.results import load as load_results


def compare(path_a: Path, path_b: Path) -> int:
    a, b = load_results(path_a), load_results(path_b)
    rows = []
    for experiment in experiments():
        module = load(experiment)
        for claim in claims_of(module, str(experiment.path)):
            cells = [_ratio(claim, data, experiment, module.SIZE_UNIT) for data in (a, b)]
            rows.append((claim.sentence(module.SIZE_UNIT), *cells))
    names = (a["machine"]["name"], b["machine"]["name"])
    width = max([len(r[0]) for r in rows] + [5])
    print(f"{'claim':<{width}}  {names[0]:>24}  {names[1]:>24}")
    for text, left, right in rows:
        print(f"{text:<{width}}  {left:>24}  {right:>24}")
    print("(ratios are slower/faster medians; '*' marks a result measured from an older snippet)")
    return 0


def _ratio(claim, data: dict, experiment, size_unit: str) -> str:
    entry = data["experiments"].get(experiment.id)
    if entry is None or entry["quick"]:
        return "not measured"
    points = {(p["variant"], p["size"]) for p in entry["points"]}
    if claim.faster not in points or claim.slower not in points:
        return "not measured"
    verdict = judge(claim, entry, size_unit, experiment.id)
    old = "*" if entry["snippet_sha256"] != experiment.sha256 else ""
    return f"{verdict.ratio:.2f}×{old} {'ok' if verdict.holds else 'FALSE'}"
