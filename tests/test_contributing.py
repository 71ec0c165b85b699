"""What a contributor meets on GitHub: issue forms GitHub can render, a pull-request template that
names only commands that exist, and code owners for the workflows."""

import fnmatch
import re

import pytest
import yaml

from bench.discover import ROOT

GITHUB = ROOT / ".github"
FORMS = sorted(p for p in (GITHUB / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")
FIELD_TYPES = {"markdown", "textarea", "input", "dropdown", "checkboxes"}


@pytest.mark.parametrize("form", FORMS, ids=lambda p: p.name)
def test_an_issue_form_is_one_github_renders(form):
    loaded = yaml.safe_load(form.read_text())
    assert {"name", "description", "body"} <= set(loaded), f"{form.name}: name, description and body"
    ids = [item["id"] for item in loaded["body"] if "id" in item]
    assert len(ids) == len(set(ids)), f"{form.name}: ids must be unique"
    for item in loaded["body"]:
        assert item["type"] in FIELD_TYPES, f"{form.name}: no field type {item['type']!r}"
        assert ("value" if item["type"] == "markdown" else "label") in item["attributes"]
        if item["type"] != "markdown":
            assert re.fullmatch(r"[a-z][a-z0-9_-]*", item["id"]), f"{form.name}: field {item} needs an id"
    assert any(item.get("validations", {}).get("required") for item in loaded["body"])


def test_blank_issues_point_to_the_forms_and_the_guide():
    assert FORMS, "no issue forms"
    config = yaml.safe_load((GITHUB / "ISSUE_TEMPLATE" / "config.yml").read_text())
    assert config["blank_issues_enabled"] is False
    assert config["contact_links"][0]["url"].endswith("CONTRIBUTING.md")


def owner_of(path: str) -> str | None:
    """CODEOWNERS semantics for the patterns used here: the last matching line wins."""
    owner = None
    for line in (GITHUB / "CODEOWNERS").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        anchored = pattern.lstrip("/")
        if pattern == "*" or (pattern.endswith("/") and path.startswith(anchored)) or fnmatch.fnmatch(path, anchored):
            owner = owners[0] if owners else None
    return owner


@pytest.mark.parametrize(
    "path", [".github/workflows/publish.yml", ".github/CODEOWNERS", "bench/run.py", "results/x.cpython-3.11.json"]
)
def test_code_owners_review_the_workflows_the_harness_and_the_results(path):
    assert owner_of(path) == "@bits-in-motion/maintainers"


def test_the_pull_request_template_names_commands_that_exist():
    text = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text()
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    commands = set(re.findall(r'add_parser\(\s*"([a-z-]+)"', (ROOT / "bench" / "__main__.py").read_text()))
    assert set(re.findall(r"`make ([a-z-]+)", text)) <= targets
    named = set(re.findall(r"python -m bench ([a-z-]+)", text))
    assert named and named <= commands
