"""Every snippet keeps the contract, runs on its own within the quick-run memory bound, and its
variants agree on the answer (and agree() can tell when they do not)."""

import re
import subprocess
import sys

import numpy as np
import pytest

from bench import roles
from bench.contract import live
from bench.discover import experiments
from bench.measure import REPEATS
from bench.suite import Suite
from bench.units import format_size

EXPERIMENTS = experiments()
IDS = [e.id for e in EXPERIMENTS]
QUICK_MEMORY_BYTES = 256 * 2**20  # a quick run must fit beside the test suite on a small machine
# A snippet that NEEDS a device also carries its runtime (CUDA's context and libraries) in its process.
DEVICE_RUNTIME_BYTES = 2**30


def loaded(experiment):
    """The snippet, imported here with its quick overrides, or a skip where it cannot run: on another
    platform, or where it NEEDS what this machine lacks (a GPU), with the snippet's own reason.
    Imported under its file's name, as the harness does, so that a pool's workers under forkserver
    (3.14's default) or spawn can import what it pickles."""
    snippet = live(experiment, importable=True)
    if not snippet.contract.runs_here:
        pytest.skip(f"{experiment.id} runs on {', '.join(snippet.contract.platforms)} only")
    if reason := snippet.unavailable():
        pytest.skip(reason)
    snippet.quick()
    return snippet


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_runs_standalone_in_little_memory(experiment):
    """A reader runs the file: it prints the harness's statistic, one row per quick size, a column
    per variant, and its peak memory stays under the quick-run bound."""
    contract = loaded(experiment).contract
    command = [sys.executable, "-c", _RUN_AND_REPORT_PEAK, str(experiment.path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out, peak = done.stdout.rsplit("peak-bytes ", 1)
    assert contract.title in out
    assert f"median of {REPEATS['quick']} samples" in out
    lines = [line.strip() for line in out.splitlines()]
    header = next(line for line in lines if line.startswith(contract.size_unit))
    assert all(name in header for name in contract.variants), header
    for n in contract.quick_sizes:
        assert any(line.startswith(format_size(n, contract.size_unit)) for line in lines), f"no row for {n}"
    bound = QUICK_MEMORY_BYTES + (DEVICE_RUNTIME_BYTES if contract.needs else 0)
    assert int(peak) < bound, f"the quick run peaked at {int(peak) / 2**20:.0f} MiB"


# Runs the snippet as `python <file> --quick` would, in a child, and prints the child's peak memory.
_RUN_AND_REPORT_PEAK = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, sys.argv[1], "--quick"])
print("peak-bytes", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.exit(done.returncode)
"""


def answers(snippet, n) -> dict:
    """Every variant's answer at size n, as the harness's warm-up gets them (hooks included)."""
    before = snippet.hook("before_sample") or (lambda variant, data: None)
    data = snippet.module.setup(n)
    try:
        outputs = {}
        for name, f in snippet.module.VARIANTS.items():
            if snippet.contract.runs_at(name, n):
                before(name, data)
                outputs[name] = f(data)
        return outputs
    finally:
        if teardown := snippet.hook("teardown"):
            teardown(data)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_variants_agree(experiment):
    """At each quick size every variant gives the answer the others give."""
    snippet = loaded(experiment)
    for n in snippet.contract.quick_sizes:
        outputs = answers(snippet, n)
        assert len(outputs) >= 2, f"fewer than two variants run at quick size {n}"
        assert snippet.module.agree(outputs), f"variants disagree at n={n}"


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_agree_catches_a_wrong_answer(experiment):
    """agree() must be able to fail: corrupt one variant's answer and it has to notice."""
    snippet = loaded(experiment)
    outputs = answers(snippet, snippet.contract.quick_sizes[0])
    name = list(outputs)[-1]
    outputs[name] = _corrupt(outputs[name])
    assert not snippet.module.agree(outputs)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_claims_name_measured_points(experiment):
    """Every claim names a declared variant at one of the full sizes, its roles resolved on each
    reference machine, within the variant's limit."""
    contract = live(experiment).contract
    assert contract.claims, f"{experiment.id} declares no claims: say what the reader should see"
    for machine in Suite.load().references:
        for claim in contract.claims.values():
            for variant, size in (claim.faster, claim.slower):
                n = roles.resolve(size, contract.sizes, machine.caches, contract.bytes_per_size, machine.label)
                assert contract.runs_at(variant, n), f"{variant} does not run at {n} on {machine.label}"


def _corrupt(answer):
    wrong = np.array(answer, dtype=float, copy=True)
    wrong.flat[0] += 1.0
    return wrong


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_the_run_it_lines_name_the_file(experiment):
    """A reader copies the docstring's command: it must run this file, not the name it had before."""
    docstring = experiment.path.read_text().split('"""')[1]
    commands = re.findall(r"^\s*(?:Run it:\s+)?python (\S+\.py)", docstring, re.MULTILINE)
    assert commands, f"{experiment.display}: the docstring says how to run it (Run it:  python {experiment.path.name})"
    assert set(commands) == {experiment.path.name}, f"{experiment.display}: Run it names {sorted(set(commands))}"
