"""Claims: their two kinds, their names, and the verdict on one machine. These would catch a
claim check that stopped refusing bad keys, an at-most bound that always held, or an unstable
result reported as stable."""

from types import SimpleNamespace

import pytest

from bench.claims import ClaimError, judge, parse_claims
from bench.stats import summarize

CONTRACT = SimpleNamespace(id="test/fake", variants=("a", "b"), sizes=(1, 2), size_unit="calls", bytes_per_size=None)
MACHINE = SimpleNamespace(label="box", caches={})


def claim(**raw):
    return parse_claims({"the-claim": raw}, CONTRACT, "fake.py")["the-claim"]


def entry(a: list[float], b: list[float]) -> dict:
    return {"points": [{"variant": v, "size": 1, **summarize(s)} for v, s in (("a", a), ("b", b))]}


def test_the_two_kinds_read_as_sentences():
    assert claim(faster="a", slower="b", at=1, by_at_least=2).sentence("calls") == (
        "a is at least 2× faster than b at 1 call"
    )
    assert claim(variant="a", faster_at=1, slower_at=2, by_at_most=3).sentence("calls") == (
        "a at 1 call is at most 3× faster than at 2 calls"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"faster": "a", "slower": "b", "at": 1}, "plus by_at_least or by_at_most"),
        ({"faster": "a", "slower": "b", "at": 1, "by_at_least": 2, "by_at_most": 3}, "plus by_at_least"),
        ({"faster": "a", "slower": "b", "size": 1, "by_at_least": 2}, "has keys"),
        ({"faster": "a", "slower": "c", "at": 1, "by_at_least": 2}, "names variant 'c'"),
        ({"faster": "a", "slower": "b", "at": 3, "by_at_least": 2}, "not one of SIZES"),
        ({"faster": "a", "slower": "b", "at": "L2/2", "by_at_least": 2}, "sizes are not working sets"),
        ({"faster": "a", "slower": "b", "at": 1, "by_at_least": 0}, "must be a positive number"),
    ],
)
def test_a_malformed_claim_is_refused(raw, message):
    with pytest.raises(ClaimError, match=r"fake\.py") as error:
        claim(**raw)
    assert message in str(error.value)


def test_a_claim_name_is_a_slug():
    with pytest.raises(ClaimError, match="lowercase words joined by hyphens"):
        parse_claims({"Numpy wins": {"faster": "a", "slower": "b", "at": 1, "by_at_least": 2}}, CONTRACT, "x")


def test_at_least_and_at_most_each_judge_both_ways():
    twice = entry([1.0] * 7, [2.0] * 7)  # b takes twice as long as a
    assert judge(claim(faster="a", slower="b", at=1, by_at_least=1.5), twice, CONTRACT, MACHINE).holds
    assert not judge(claim(faster="a", slower="b", at=1, by_at_least=3), twice, CONTRACT, MACHINE).holds
    assert judge(claim(faster="a", slower="b", at=1, by_at_most=3), twice, CONTRACT, MACHINE).holds
    assert not judge(claim(faster="a", slower="b", at=1, by_at_most=1.5), twice, CONTRACT, MACHINE).holds


def test_a_wide_spread_makes_a_holding_claim_unstable():
    wide = entry([1.0, 1.0, 1.0, 1.0, 3.0, 3.0, 3.0], [2.0] * 7)  # a's quartiles straddle b's times
    verdict = judge(claim(faster="a", slower="b", at=1, by_at_least=1.5), wide, CONTRACT, MACHINE)
    assert verdict.holds and not verdict.stable
    tight = judge(claim(faster="a", slower="b", at=1, by_at_least=1.5), entry([1.0] * 7, [2.0] * 7), CONTRACT, MACHINE)
    assert tight.stable
