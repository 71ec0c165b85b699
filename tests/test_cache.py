"""A snippet's contract is read once, in a subprocess, and read back from disk by later builds,
until its source, a sibling's, the harness's or the interpreter changes."""

import shutil

import pytest

from bench import cache
from bench import contract as contract_module
from bench.discover import ROOT, Experiment


@pytest.fixture
def snippet(tmp_path, monkeypatch) -> Experiment:
    monkeypatch.setattr(cache, "FOLDER", tmp_path / "cache")
    monkeypatch.setattr(contract_module, "_CACHE", {})
    folder = tmp_path / "snippets" / "test"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "snippets" / "_template.py", folder / "cached.py")
    return Experiment("test/cached", folder / "cached.py")


def refuse_subprocess(monkeypatch):
    def refuse(experiment):
        raise AssertionError(f"{experiment.id} was read again")

    monkeypatch.setattr(contract_module, "_read_in_subprocess", refuse)


def test_a_contract_read_once_is_read_back_from_disk(snippet, monkeypatch):
    first = contract_module.contract(snippet)
    assert len(list((cache.FOLDER / "contracts").iterdir())) == 1
    refuse_subprocess(monkeypatch)
    monkeypatch.setattr(contract_module, "_CACHE", {})  # a later build: a new process
    assert contract_module.contract(snippet) == first


def test_an_edited_snippet_is_read_again(snippet, monkeypatch):
    contract_module.contract(snippet)
    refuse_subprocess(monkeypatch)
    snippet.path.write_text(snippet.source.replace("BUDGET_S = 10", "BUDGET_S = 11"))
    with pytest.raises(AssertionError, match="test/cached was read again"):
        contract_module.contract(snippet)
