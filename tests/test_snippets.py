"""Every snippet runs on its own, keeps the contract, and its variants agree on the answer."""

import subprocess
import sys

import numpy as np
import pytest

from bench.claims import claims_of
from bench.discover import experiments, load

EXPERIMENTS = experiments()
IDS = [e.id for e in EXPERIMENTS]


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_runs_standalone(experiment):
    """A reader copies the file and runs it: it prints a table with one row per quick size."""
    done = subprocess.run(
        [sys.executable, str(experiment.path), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    module = load(experiment)
    assert module.TITLE in done.stdout
    for n in module.QUICK_SIZES:
        assert f"{n:,}" in done.stdout, f"no row for size {n}:\n{done.stdout}"


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_variants_agree(experiment):
    """At each quick size every variant gives the answer the others give."""
    module = load(experiment)
    limits = getattr(module, "LIMITS", {})
    for n in module.QUICK_SIZES:
        data = module.setup(n)
        outputs = {name: f(data) for name, f in module.VARIANTS.items() if n <= limits.get(name, n)}
        assert len(outputs) >= 2, f"fewer than two variants run at quick size {n}"
        assert module.agree(outputs), f"variants disagree at n={n}"


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_agree_catches_a_wrong_answer(experiment):
    """agree() must be able to fail: corrupt one variant's answer and it has to notice."""
    module = load(experiment)
    n = module.QUICK_SIZES[0]
    data = module.setup(n)
    outputs = {name: f(data) for name, f in module.VARIANTS.items() if n <= getattr(module, "LIMITS", {}).get(name, n)}
    name = list(outputs)[-1]
    outputs[name] = _corrupt(outputs[name])
    assert not module.agree(outputs)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_claims_name_measured_points(experiment):
    """Every claim names a declared variant at one of the full sizes, within the variant's limit."""
    module = load(experiment)
    limits = getattr(module, "LIMITS", {})
    claims = claims_of(module, str(experiment.path))
    assert claims, f"{experiment.id} declares no claims: say what the reader should see"
    for claim in claims:
        for variant, size in (claim.faster, claim.slower):
            assert size <= limits.get(variant, size), f"{variant} does not run at {size}"


def _corrupt(answer):
    wrong = np.array(answer, dtype=float, copy=True)
    wrong.flat[0] += 1.0
    return wrong
