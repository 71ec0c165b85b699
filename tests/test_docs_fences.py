"""pytest-codeblocks runs only fences tagged exactly python, sh or bash; anything else that looks
like Python would be skipped without a word. This guard makes that skip loud."""

import re
from io import StringIO
from pathlib import Path

import pytest
from pytest_codeblocks.main import extract_from_buffer

from bench.discover import ROOT

COLLECTED = {"python", "sh", "bash"}  # what pytest-codeblocks runs
PYTHONISH = re.compile(r"^\{?\s*\.?(py|python|python3|py3|pycon|ipython)\b", re.IGNORECASE)
INCLUDE = re.compile(r'^--8<-- "(snippets/[^"]+\.py)"$')
DOCS = sorted((ROOT / "docs").rglob("*.md"))


def silently_skipped(markdown: str) -> list[str]:
    """Python-looking fences pytest-codeblocks would not run, unless they only include a snippet file
    (snippet files are run directly by test_snippets)."""
    problems = []
    for block in extract_from_buffer(StringIO(markdown)):
        syntax = (block.syntax or "").strip()
        if syntax in COLLECTED or not PYTHONISH.match(syntax):
            continue
        include = INCLUDE.match(block.code.strip())
        if include and (ROOT / include.group(1)).is_file():
            continue
        problems.append(f"line {block.lineno}: ```{syntax} is never run; tag it exactly ```python")
    return problems


@pytest.mark.parametrize("page", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_no_python_fence_is_silently_skipped(page: Path):
    assert silently_skipped(page.read_text()) == []


@pytest.mark.parametrize(
    "fence",
    [
        "```py\nprint(1)\n```",
        '```python title="x.py"\nprint(1)\n```',
        "```{.python}\nprint(1)\n```",
        "```python3\nprint(1)\n```",
        '```python title="x"\n--8<-- "snippets/missing/nothing.py"\n```',
    ],
)
def test_guard_catches(fence):
    assert len(silently_skipped(fence + "\n")) == 1


@pytest.mark.parametrize(
    "fence",
    [
        "```python\nprint(1)\n```",
        "```text\nprint(1)\n```",
        '```python title="v.py"\n--8<-- "snippets/computing-units/vectorization.py"\n```',
    ],
)
def test_guard_allows(fence):
    assert silently_skipped(fence + "\n") == []
