"""The GitHub workflows, checked here since Actions cannot run locally: zizmor finds no security
issue in them (and does find one in a workflow that has them), and the CI workflow keeps the
project's rules: read-only, every action pinned to a commit, no credentials left in the checkout,
one run per ref, no event data inlined into a shell, every supported CPython and macOS, and only
make targets that exist."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ZIZMOR = Path(sys.executable).parent / "zizmor"


def zizmor(path: Path) -> subprocess.CompletedProcess:
    command = [str(ZIZMOR), "--offline", "--persona", "pedantic", "--no-progress", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_zizmor_finds_nothing_in_the_workflows():
    done = zizmor(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout + done.stderr


def test_zizmor_finds_what_a_careless_workflow_does(tmp_path):
    careless = tmp_path / "careless.yml"
    careless.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v5\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    done = zizmor(careless)
    found = done.stdout + done.stderr
    assert done.returncode != 0
    for audit in ("dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"):
        assert audit in found, f"zizmor did not report {audit}:\n{found}"


def ci() -> tuple[dict, str]:
    text = (WORKFLOWS / "ci.yml").read_text()
    return yaml.safe_load(text), text


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_ci_is_read_only_runs_once_per_ref_and_never_on_pull_request_target():
    workflow, _ = ci()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert {"pull_request", "push"} <= set(triggers) and "pull_request_target" not in triggers
    assert workflow["permissions"] == {"contents": "read"}
    assert "github.ref" in workflow["concurrency"]["group"]


def test_ci_pins_every_action_to_a_commit_and_keeps_no_credentials():
    workflow, text = ci()
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), f"{action}: pin a full commit SHA"
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", comment), f"{action}: say its version in a comment"
    for step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_ci_passes_event_data_through_env_and_calls_only_make_targets_that_exist():
    workflow, _ = ci()
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for step in steps(workflow):
        script = step.get("run", "")
        assert "${{" not in script, f"inlined expression in: {script}"
        for target in re.findall(r"\bmake ([a-z-]+)", script):
            assert target in targets, f"make {target}: no such target"


def test_ci_runs_every_supported_python_and_macos():
    workflow, _ = ci()
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]
    assert matrix["python"] == ["3.11", "3.12", "3.13", "3.14", "3.14t"]
    assert any(entry["os"].startswith("macos") for entry in matrix["include"])
