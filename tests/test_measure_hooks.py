"""The worker's optional hooks, on a tiny in-memory snippet: what gets called, when, and what is
recorded. No timing is asserted."""

import sys
from types import SimpleNamespace

import pytest

from bench.discover import runs_here
from bench.measure import REPEATS, measure


def snippet(**extra):
    calls = []
    module = SimpleNamespace(
        setup=lambda n: {"n": n, "calls": calls},
        VARIANTS={"a": lambda d: d["n"], "b": lambda d: d["n"]},
        agree=lambda outputs: len(set(outputs.values())) == 1,
        **extra,
    )
    return module, calls


def test_before_sample_prepares_every_sample_of_one_call():
    module, calls = snippet(before_sample=lambda variant, data: data["calls"].append(variant))
    points = measure(module, [3], "quick")
    # one preparation per warm-up call, then one per sample
    assert calls.count("a") == calls.count("b") == 1 + REPEATS["quick"]
    assert all(p["loops"] == 1 for p in points)


def test_teardown_runs_after_each_size_and_after_an_error():
    released = []
    module, _ = snippet(teardown=lambda data: released.append(data["n"]))
    measure(module, [1, 2], "quick")
    assert released == [1, 2]
    module.VARIANTS["b"] = lambda d: 1 / 0
    with pytest.raises(ZeroDivisionError):
        measure(module, [5], "quick")
    assert released == [1, 2, 5]


def test_disagreeing_variants_stop_the_measurement():
    module, _ = snippet()
    module.VARIANTS["b"] = lambda d: d["n"] + 1
    with pytest.raises(SystemExit, match="variants disagree at size 4"):
        measure(module, [4], "quick")


def test_counters_are_recorded_per_point():
    module, _ = snippet(counters=lambda variant, data: {"faults": 2.0 if variant == "a" else 3.0})
    points = measure(module, [7], "quick")
    assert {p["variant"]: p["counters"] for p in points} == {"a": {"faults": 2.0}, "b": {"faults": 3.0}}


def test_work_per_variant_divides_each_variant_by_its_own_work():
    module, _ = snippet(work=lambda n, variant: 1 if variant == "a" else 10**9)
    points = {p["variant"]: p for p in measure(module, [1], "quick")}
    assert max(points["b"]["samples_ns"]) < min(points["a"]["samples_ns"])


def test_limits_leave_a_variant_out_above_its_size():
    module, _ = snippet(LIMITS={"b": 2})
    points = measure(module, [1, 3], "quick")
    assert [(p["variant"], p["size"]) for p in points] == [("a", 1), ("b", 1), ("a", 3)]


def test_platforms_limit_where_a_snippet_runs():
    assert runs_here(SimpleNamespace())
    assert runs_here(SimpleNamespace(PLATFORMS=(sys.platform,)))
    assert not runs_here(SimpleNamespace(PLATFORMS=("plan9",)))
