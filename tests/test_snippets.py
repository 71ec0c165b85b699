"""Every snippet runs on its own, keeps the contract, and its variants agree on the answer."""

import subprocess
import sys

import numpy as np
import pytest

from bench import roles
from bench.claims import claims_of
from bench.discover import experiments, load, runs_here
from bench.measure import REPEATS
from bench.suite import Suite
from bench.units import format_size

EXPERIMENTS = experiments()
IDS = [e.id for e in EXPERIMENTS]


def loaded(experiment):
    """The snippet's module, or a skip where it cannot run (it declares PLATFORMS without this one)."""
    module = load(experiment)
    if not runs_here(module):
        pytest.skip(f"{experiment.id} runs on {', '.join(module.PLATFORMS)} only")
    return module


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_runs_standalone(experiment):
    """A reader runs the file: it prints the harness's statistic, one row per quick size, a column per variant."""
    module = loaded(experiment)
    done = subprocess.run(
        [sys.executable, str(experiment.path), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert module.TITLE in done.stdout
    assert f"median of {REPEATS['quick']} samples" in done.stdout
    lines = [line.strip() for line in done.stdout.splitlines()]
    header = next(line for line in lines if line.startswith(module.SIZE_UNIT))
    assert all(name in header for name in module.VARIANTS), header
    for n in module.QUICK_SIZES:
        assert any(line.startswith(format_size(n, module.SIZE_UNIT)) for line in lines), f"no row for {n}"


def answers(module, n) -> dict:
    """Every variant's answer at size n, as the harness's warm-up gets them (hooks included)."""
    limits = getattr(module, "LIMITS", {})
    before = getattr(module, "before_sample", lambda variant, data: None)
    data = module.setup(n)
    try:
        outputs = {}
        for name, f in module.VARIANTS.items():
            if n <= limits.get(name, n):
                before(name, data)
                outputs[name] = f(data)
        return outputs
    finally:
        if hasattr(module, "teardown"):
            module.teardown(data)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_variants_agree(experiment):
    """At each quick size every variant gives the answer the others give."""
    module = loaded(experiment)
    for n in module.QUICK_SIZES:
        outputs = answers(module, n)
        assert len(outputs) >= 2, f"fewer than two variants run at quick size {n}"
        assert module.agree(outputs), f"variants disagree at n={n}"


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_agree_catches_a_wrong_answer(experiment):
    """agree() must be able to fail: corrupt one variant's answer and it has to notice."""
    module = loaded(experiment)
    outputs = answers(module, module.QUICK_SIZES[0])
    name = list(outputs)[-1]
    outputs[name] = _corrupt(outputs[name])
    assert not module.agree(outputs)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_claims_name_measured_points(experiment):
    """Every claim names a declared variant at one of the full sizes, its roles resolved on each
    reference machine, within the variant's limit."""
    module = load(experiment)
    limits = getattr(module, "LIMITS", {})
    claims = claims_of(module, str(experiment.path))
    assert claims, f"{experiment.id} declares no claims: say what the reader should see"
    for machine in Suite.load().references:
        for claim in claims:
            for variant, size in (claim.faster, claim.slower):
                n = roles.resolve(size, module.SIZES, machine.caches, roles.bytes_per_size(module), machine.label)
                assert n <= limits.get(variant, n), f"{variant} does not run at {n} on {machine.label}"


def _corrupt(answer):
    wrong = np.array(answer, dtype=float, copy=True)
    wrong.flat[0] += 1.0
    return wrong
