"""Each chapter's experiments, as last measured on each reference machine, fit the chapter's share
of `make bench` (pyproject.toml's chapter-budgets-s): a snippet that grew slow fails here, named."""

import pytest

from bench.config import config
from bench.contract import contracts
from bench.discover import experiments
from bench.suite import Suite

CHAPTERS = sorted({e.id.split("/")[0] for e in experiments()})


@pytest.fixture(scope="module")
def suite() -> Suite:
    return Suite.load(contracts=contracts(experiments()))


def test_every_chapter_has_a_budget():
    assert set(CHAPTERS) <= set(config().chapter_budgets_s), "add the chapter to chapter-budgets-s in pyproject.toml"


@pytest.mark.parametrize("name", config().reference_machines)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_fits_its_budget_on_each_reference_machine(suite, name, chapter):
    machine = next(m for m in suite.references if m.name == name)
    took = {
        e.id: entry["duration_s"]
        for e in experiments()
        if e.id.startswith(chapter + "/") and (entry := machine.entry(e))
    }
    budget = config().chapter_budgets_s[chapter]
    assert sum(took.values()) <= budget, (
        f"{chapter} took {sum(took.values()):.0f} s on {name}, over {budget:g} s: {took}"
    )
