"""The GitHub workflows, checked here since Actions cannot run locally: actionlint (with shellcheck
on every script) and zizmor find nothing in them, and do find what a careless workflow has. Every
workflow keeps the project's rules: least privilege, every action pinned to a commit, no
credentials left in the checkout, no event data inlined into a shell, and only make targets and
bench commands that exist. CI tests every supported CPython and macOS; publishing deploys from one
job alone, after the claims are checked, and writes history only to the bench-data branch."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
ZIZMOR = BIN / "zizmor"
CARELESS = (
    "on: pull_request_target\n"
    "jobs:\n"
    "  x:\n"
    "    runs-on: ubuntu-24.04\n"
    "    steps:\n"
    "      - uses: actions/checkout@v5\n"
    "      - run: echo ${{ github.event.pull_request.title }}\n"
    "      - run: cat $FILE\n"
    "      - run: echo ${{ github.event.no_such_thing.x }} ${{ matrix.os }}\n"
)


def actionlint(path: Path) -> subprocess.CompletedProcess:
    """actionlint on a file or every workflow, with the lock's shellcheck and no pyflakes (none is pinned)."""
    targets = [str(path)] if path.is_file() else sorted(str(p) for p in path.glob("*.yml"))
    command = [str(BIN / "actionlint"), "-shellcheck", str(BIN / "shellcheck"), "-pyflakes=", "-no-color", *targets]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)


def zizmor(path: Path) -> subprocess.CompletedProcess:
    command = [str(ZIZMOR), "--offline", "--persona", "pedantic", "--no-progress", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_zizmor_finds_nothing_in_the_workflows():
    done = zizmor(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout + done.stderr


def test_actionlint_finds_nothing_in_the_workflows():
    done = actionlint(WORKFLOWS)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_actionlint_finds_what_a_careless_workflow_does(tmp_path):
    careless = tmp_path / "careless.yml"
    careless.write_text(CARELESS)
    found = actionlint(careless).stdout
    for rule in ("[shellcheck]", "[expression]", "SC2086"):
        assert rule in found, f"actionlint did not report {rule}:\n{found}"


def test_zizmor_finds_what_a_careless_workflow_does(tmp_path):
    careless = tmp_path / "careless.yml"
    careless.write_text(CARELESS)
    done = zizmor(careless)
    found = done.stdout + done.stderr
    assert done.returncode != 0
    for audit in ("dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"):
        assert audit in found, f"zizmor did not report {audit}:\n{found}"


def workflow(name: str) -> tuple[dict, str]:
    text = (WORKFLOWS / name).read_text()
    return yaml.safe_load(text), text


def steps(loaded: dict) -> list[dict]:
    return [step for job in loaded["jobs"].values() for step in job.get("steps", [])]


NAMES = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_there_are_the_two_workflows():
    assert NAMES == ["ci.yml", "publish.yml"]


@pytest.mark.parametrize("name", NAMES)
def test_a_workflow_grants_at_most_read_at_the_top_and_never_runs_on_pull_request_target(name):
    loaded, _ = workflow(name)
    assert "pull_request_target" not in loaded[True]  # YAML 1.1 reads the key `on` as True
    assert loaded["permissions"] in ({}, {"contents": "read"})
    assert "concurrency" in loaded


@pytest.mark.parametrize("name", NAMES)
def test_a_workflow_pins_every_action_to_a_commit_and_keeps_no_credentials(name):
    loaded, text = workflow(name)
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), f"{action}: pin a full commit SHA"
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", comment), f"{action}: say its version in a comment"
    for step in steps(loaded):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", NAMES)
def test_a_workflow_passes_data_through_env_and_calls_only_commands_that_exist(name):
    loaded, _ = workflow(name)
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    commands = set(re.findall(r'add_parser\(\s*"([a-z-]+)"', (ROOT / "bench" / "__main__.py").read_text()))
    for step in steps(loaded):
        script = step.get("run", "")
        assert "${{" not in script, f"inlined expression in: {script}"
        for target in re.findall(r"\bmake ([a-z-]+)", script):
            assert target in targets, f"make {target}: no such target"
        for command in re.findall(r"-m bench ([a-z-]+)", script):
            assert command in commands, f"python -m bench {command}: no such command"


def test_ci_runs_on_pull_requests_and_pushes_and_every_supported_python_and_macos():
    loaded, _ = workflow("ci.yml")
    assert {"pull_request", "push"} <= set(loaded[True])
    assert loaded["permissions"] == {"contents": "read"}
    assert "github.ref" in loaded["concurrency"]["group"]
    matrix = loaded["jobs"]["test"]["strategy"]["matrix"]
    assert matrix["python"] == ["3.11", "3.12", "3.13", "3.14", "3.14t"]
    assert any(entry["os"].startswith("macos") for entry in matrix["include"])


def test_publish_runs_on_main_weekly_and_by_hand_one_run_at_a_time():
    loaded, _ = workflow("publish.yml")
    on = loaded[True]
    assert on["push"] == {"branches": ["main"]} and "workflow_dispatch" in on
    assert re.fullmatch(r"\d+ \d+ \* \* \d", on["schedule"][0]["cron"]), "weekly: a day of the week"
    assert loaded["concurrency"]["cancel-in-progress"] is False


def test_publish_measures_on_the_runner_with_the_reference_build_and_with_3_14t():
    loaded, text = workflow("publish.yml")
    jobs = loaded["jobs"]
    pythons = {
        step["with"]["python-version"]
        for name in ("measure", "measure-free-threaded")
        for step in jobs[name]["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    }
    assert {"3.11", "3.14t"} <= pythons
    assert "make bench SUMMARY=" in text and 'make bench PYTHON="$FREE_THREADED"' in text
    assert jobs["build"]["env"]["BIM_RUNNER"] == "${{ needs.measure.outputs.machine }}"


def test_publish_deploys_only_after_the_check_from_one_privileged_job():
    loaded, _ = workflow("publish.yml")
    jobs = loaded["jobs"]
    granted = {name: job.get("permissions", {}) for name, job in jobs.items()}
    privileged = {name for name, p in granted.items() if p.get("pages") == "write" or "id-token" in p}
    assert privileged == {"deploy"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert [s["uses"].split("@")[0] for s in jobs["deploy"]["steps"]] == ["actions/deploy-pages"]
    assert jobs["deploy"]["needs"] == "build"
    order = [s.get("run", s.get("uses", "")) for s in jobs["build"]["steps"]]
    check = next(i for i, s in enumerate(order) if s.startswith("make check"))
    build = next(i for i, s in enumerate(order) if s.startswith("make build"))
    upload = next(i for i, s in enumerate(order) if s.startswith("actions/upload-pages-artifact@"))
    assert check < build < upload
    site_url = next(s for s in jobs["build"]["steps"] if s.get("run") == "make build")["env"]["BIM_SITE_URL"]
    assert site_url.startswith("${{ steps.pages.outputs.base_url }}")


def test_publish_writes_history_to_bench_data_and_nothing_to_main():
    loaded, text = workflow("publish.yml")
    writers = {name for name, job in loaded["jobs"].items() if job.get("permissions", {}).get("contents") == "write"}
    assert writers == {"record"}
    pushes = re.findall(r"git .*push.*", text)
    assert pushes and all(p.rstrip().endswith("push -q origin bench-data") for p in pushes)
    assert "--force" not in text and " -f " not in text
    assert loaded["jobs"]["build"]["env"]["BIM_HISTORY"] == "history"


def test_dependabot_keeps_the_actions_and_the_lock_current():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "pip"}
