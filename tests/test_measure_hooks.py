"""The worker on a tiny in-memory snippet: hooks, rotation, the collector, and what is recorded.
No timing is asserted; each test would catch a harness that silently stopped doing its job."""

import gc
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bench.contract import Live, read
from bench.discover import ContractError, Experiment
from bench.measure import REPEATS, measure

FAKE = Experiment("test/fake", Path("fake.py"))


def snippet(**extra) -> tuple[Live, list]:
    calls = []
    module = ModuleType("fake")
    names = {
        "TITLE": "fake",
        "UNIT": "call",
        "SIZE_UNIT": "calls",
        "SIZES": [1],
        "QUICK_SIZES": [1],
        "BUDGET_S": 1,
        "setup": lambda n: {"n": n, "calls": calls},
        "VARIANTS": {"a": lambda d: d["n"], "b": lambda d: d["n"]},
        "agree": lambda outputs: len(set(outputs.values())) == 1,
        "CLAIMS": {"a-like-b": {"faster": "a", "slower": "b", "at": 1, "by_at_most": 10}},
    }
    vars(module).update(names | extra)
    return Live(read(module, FAKE), module), calls


def test_before_sample_prepares_every_sample_of_one_call():
    live, calls = snippet(before_sample=lambda variant, data: data["calls"].append(variant))
    points = measure(live, [3], "quick")
    # one preparation per warm-up call, then one per sample
    assert calls.count("a") == calls.count("b") == 1 + REPEATS["quick"]
    assert all(p["loops"] == 1 for p in points)


def test_teardown_runs_after_each_size_and_after_an_error():
    released = []
    live, _ = snippet(teardown=lambda data: released.append(data["n"]))
    measure(live, [1, 2], "quick")
    assert released == [1, 2]
    live.module.VARIANTS["b"] = lambda d: 1 / 0
    with pytest.raises(ZeroDivisionError):
        measure(live, [5], "quick")
    assert released == [1, 2, 5]


def test_disagreeing_variants_stop_the_measurement():
    live, _ = snippet()
    live.module.VARIANTS["b"] = lambda d: d["n"] + 1
    with pytest.raises(SystemExit, match="variants disagree at size 4"):
        measure(live, [4], "quick")


def test_counters_are_recorded_per_point():
    live, _ = snippet(counters=lambda variant, data: {"faults": 2.0 if variant == "a" else 3.0})
    points = measure(live, [7], "quick")
    assert {p["variant"]: p["counters"] for p in points} == {"a": {"faults": 2.0}, "b": {"faults": 3.0}}


def test_work_per_variant_divides_each_variant_by_its_own_work():
    live, _ = snippet(work=lambda n, variant: 1 if variant == "a" else 10**9)
    points = {p["variant"]: p for p in measure(live, [1], "quick")}
    assert max(points["b"]["samples_ns"]) < min(points["a"]["samples_ns"])


def test_limits_leave_a_variant_out_above_its_size():
    live, _ = snippet(LIMITS={"b": 2}, SIZES=[1, 3])
    points = measure(live, [1, 3], "quick")
    assert [(p["variant"], p["size"]) for p in points] == [("a", 1), ("b", 1), ("a", 3)]


def test_the_variants_take_turns_going_first():
    """Interleaved and rotated, so that no variant always meets the machine in the same state."""
    order = []
    live, _ = snippet(
        before_sample=lambda variant, data: order.append(variant),
        VARIANTS={name: (lambda d: 1) for name in "abc"},
    )
    measure(live, [1], "quick")
    firsts = [order[3 + 3 * r] for r in range(REPEATS["quick"])]  # after the three warm-up calls
    assert firsts == ["a", "b", "c"][: REPEATS["quick"]]


def test_the_collector_is_paused_while_a_sample_runs():
    seen = []

    def variant(data):
        seen.append(gc.isenabled())
        return 1

    live, _ = snippet(VARIANTS={"a": variant, "b": variant})
    measure(live, [1], "quick")
    assert seen[:2] == [True, True], "the warm-up runs with the collector on"
    assert seen[2:] and not any(seen[2:]), "every timed call runs with the collector paused"
    assert gc.isenabled()


def test_platforms_limit_where_a_snippet_runs():
    assert snippet()[0].contract.runs_here
    assert snippet(PLATFORMS=(sys.platform,))[0].contract.runs_here
    assert not snippet(PLATFORMS=("plan9",))[0].contract.runs_here


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"LIMIT": {"a": 1}}, "LIMIT is not part of the contract: did you mean LIMITS?"),
        ({"tear_down": lambda data: None}, "tear_down is not part of the contract: did you mean teardown?"),
        ({"SHOW_AS": "GiB/s", "UNIT": "byte"}, "SHOW_AS must be one of GB/s"),
        ({"SHOW_AS": "GB/s"}, 'set UNIT = "byte"'),
        ({"SIZE_UNIT": "Bytes"}, 'write "bytes" for sizes in bytes'),
        ({"SIZES": [3, 1]}, "SIZES must be a non-empty, ascending list"),
        ({"VARIANTS": {"numpy ×2": lambda d: 1}}, "VARIANTS must map plain-text names"),
        ({"LIMITS": {"c": 1}}, "'c' names no variant"),
        ({"QUICK_OVERRIDES": {"ARRAY_BYTES": 1}}, "'ARRAY_BYTES' names no variant or module-level name"),
        ({"CLAIMS": [{"faster": ("a", 1)}]}, "CLAIMS must map claim names to claims"),
    ],
)
def test_the_contract_refuses_with_the_fix(extra, message):
    with pytest.raises(ContractError, match=r"fake\.py: ") as error:
        snippet(**extra)
    assert message in str(error.value)
