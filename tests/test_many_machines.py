"""Many machines, one truth, without MkDocs: fingerprints, roles, identities, builds, and the
macros (bench.macros.Site) over the committed results and doctored copies of them."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import migrate as migrate_module
from bench import roles
from bench.__main__ import main
from bench.config import ConfigError, config
from bench.discover import ROOT, experiments
from bench.fingerprint import fingerprint
from bench.machine import distinct_name, identity
from bench.results import save
from bench.site import STAMP_TOKEN, Site
from bench.software import build_of
from tests.conftest import REFERENCES, VECTORIZATION

SNIPPET = (Path(__file__).parent.parent / "snippets/memory/cache_lines.py").read_text()
NAMES = [path.name.split(".")[0] for path in REFERENCES]


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace('"""', '"""Edited: ', 1),  # the docstring
        lambda s: s.replace("\nCLAIMS = {", "\n# a comment\nCLAIMS = {"),
        lambda s: s.replace('"by_at_least": 2.5}', '"by_at_least": 2}'),  # a claim
        lambda s: s.replace("QUICK_OVERRIDES = {", "QUICK_OVERRIDES = {'TOUCHED': 8, "),  # quick runs only
        lambda s: s.replace('TITLE = "', 'TITLE = "The stride: '),
        lambda s: s + "    print('and a line more in the script part')\n",
    ],
)
def test_fingerprint_ignores_what_is_not_measured(edit):
    assert edit(SNIPPET) != SNIPPET
    assert fingerprint(edit(SNIPPET)) == fingerprint(SNIPPET)


def other_pythons() -> list[str]:
    """Other CPythons 3.12 and newer on this machine, those that start: PATH, then pyenv's."""
    names = [f"python3.{minor}{t}" for minor in range(12, 16) for t in ("", "t")]
    found = [shutil.which(name) for name in names]
    found += sorted(str(p) for p in (Path.home() / ".pyenv" / "versions").glob("3.1[2-9]*/bin/python3"))
    works = []
    for python in filter(None, found):
        done = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 12))"], capture_output=True)
        if done.returncode == 0 and done.stdout.strip() == b"True":
            works.append(python)
    return works


@pytest.mark.parametrize("python", other_pythons() or [pytest.param(None, marks=pytest.mark.skip("no CPython 3.12+"))])
def test_fingerprints_are_the_same_on_every_python(python):
    """3.12 changed ast.unparse's text of f-strings: a fingerprint hashed from it made every build on
    3.12 and newer call results stale. Every snippet's, computed by another interpreter, is this one's."""
    code = (
        "import json, sys; from pathlib import Path; from bench.fingerprint import fingerprint; "
        "print(json.dumps({str(p): fingerprint(p.read_text()) for p in sorted(Path('snippets').rglob('*.py'))}))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    ours = {str(p.relative_to(ROOT)): fingerprint(p.read_text()) for p in sorted((ROOT / "snippets").rglob("*.py"))}
    assert theirs == ours


def test_old_fingerprints_move_to_the_canonical_form_and_stale_ones_stay(results_dir):
    path = REFERENCES[1].name
    data = json.loads((results_dir / path).read_text())
    vectorization = next(e for e in experiments() if e.id == VECTORIZATION)
    data["experiments"][VECTORIZATION]["fingerprint"] = vectorization.fingerprint_by(migrate_module._unparsed)
    stale = next(eid for eid in data["experiments"] if eid != VECTORIZATION)
    data["experiments"][stale]["fingerprint"] = "0" * 64
    save(data, results_dir / path)
    assert main(["migrate", "--fingerprints", str(results_dir / path)]) == 0
    moved = json.loads((results_dir / path).read_text())["experiments"]
    assert moved[VECTORIZATION]["fingerprint"] == vectorization.fingerprint
    assert moved[stale]["fingerprint"] == "0" * 64


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("TOUCHED = 2**17", "TOUCHED = 2**16"),  # how much each call reads
        lambda s: s.replace("SIZES = [8, 16,", "SIZES = [8, 24,"),
        lambda s: s.replace('return np.add.reduce(next_view(data, "sum"))', 'return np.sum(next_view(data, "sum"))'),
    ],
)
def test_fingerprint_sees_what_is_measured(edit):
    assert edit(SNIPPET) != SNIPPET
    assert fingerprint(edit(SNIPPET)) != fingerprint(SNIPPET)


SMALL = {"L1d": 32 * 2**10, "L2": 512 * 2**10, "L3": 8 * 2**20}
LARGE = {"L1d": 48 * 2**10, "L2": 2 * 2**20, "L3": 256 * 2**20}
SIZES = [2**k for k in range(12, 31)]


@pytest.mark.parametrize(
    ("role", "small", "large"),
    [("L1d/2", 16 * 2**10, 16 * 2**10), ("L2/2", 256 * 2**10, 2**20), ("L3/4", 2 * 2**20, 64 * 2**20)],
)
def test_a_role_resolves_from_each_machines_caches(role, small, large):
    assert roles.resolve(role, SIZES, SMALL, 1, "small") == small
    assert roles.resolve(role, SIZES, LARGE, 1, "large") == large


def test_outside_a_cache_a_role_takes_the_farthest_size_that_qualifies():
    assert roles.resolve("L3*2", SIZES, SMALL, 1, "small") == 2**30
    assert roles.resolve("L3*2", SIZES, LARGE, 1, "large") == 2**30
    with pytest.raises(roles.RoleError, match="no size in SIZES is at least twice L3 on big"):
        roles.resolve("L3*2", SIZES, {"L3": 2**30}, 1, "big")
    with pytest.raises(roles.RoleError, match="does not report its L3"):
        roles.resolve("L3/2", SIZES, {"L3": None}, 1, "vague")


def test_roles_read_as_words():
    assert roles.describe("L1d/2", "bytes") == "half of L1d"
    assert roles.describe("L3*4", "bytes") == "four times L3"
    assert roles.describe(4096, "bytes") == "4 KiB"
    with pytest.raises(roles.RoleError):
        roles.check_role("L4/2", "x.py")


def test_identity_ignores_the_name_and_a_few_kib_of_memory(reference):
    a = reference["machine"]
    b = a | {"name": "elsewhere", "kernel": "7.0", "memory_bytes": a["memory_bytes"] - 8192}
    assert identity(a) == identity(b)
    assert identity(a) != identity(a | {"caches": a["caches"] | {"L3": 1}})


def test_a_different_machine_under_a_stored_name_gets_a_suffix(reference):
    me = reference["machine"]
    assert distinct_name(me, {me["name"]: [me]}) == me["name"]
    assert distinct_name(me, {}) == me["name"]
    other = me | {"cpu": "A different CPU"}
    name = distinct_name(me, {me["name"]: [other]})
    assert name.startswith(me["name"] + "-") and name == distinct_name(me, {me["name"]: [other]})


@pytest.mark.parametrize(
    ("python", "implementation", "free_threaded", "build"),
    [("3.11.7", "CPython", False, "cpython-3.11"), ("3.14.0", "CPython", True, "cpython-3.14t")],
)
def test_the_build_says_version_and_free_threading(python, implementation, free_threaded, build):
    assert build_of({"python": python, "implementation": implementation, "free_threaded": free_threaded}) == build


def test_config_without_reference_machines_is_an_error(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.bits-in-motion]\nreference-build = "cpython-3.11"\n')
    with pytest.raises(ConfigError, match="reference-machines must list machine names"):
        config.__wrapped__(path)


@pytest.fixture(scope="module")
def site() -> Site:
    site = Site()
    site.page = "test.md"
    return site


def test_every_macro_value_names_each_reference_machine(site):
    page = site.experiment(VECTORIZATION)
    text = page.value("numpy", "L2/2")
    ratio = page.ratio("numpy", "python loop", 10_000)
    for name in NAMES:
        assert f"({name})" in text and f"× ({name})" in ratio
    assert text.count("ns per element") == len(site.suite.fresh(site.known[VECTORIZATION]))


def test_tables_come_as_linked_tabs_one_per_machine(site):
    tabs = site.experiment(VECTORIZATION).variants_table()
    fresh = [m.label for m, _ in site.suite.fresh(site.known[VECTORIZATION])]
    assert [line for line in tabs.splitlines() if line.startswith("===")] == [f'=== "{n}"' for n in fresh]
    assert all(line == "" or line.startswith(("===", "    ")) for line in tabs.splitlines())


def test_the_claims_table_has_a_column_per_machine(site):
    table = site.experiment(VECTORIZATION).claims()
    header = next(line for line in table.splitlines() if "| claim |" in line)
    judged = [m.label for m in site.judged[VECTORIZATION].verdicts]
    assert header.strip() == "| claim | " + " | ".join(judged) + " |"
    assert "(10,000 elements vs 100,000,000 elements)" in table, "a role's resolved sizes are shown"


def test_the_stamp_names_each_machine_and_a_stale_one(results_dir, monkeypatch):
    amd = REFERENCES[1]
    data = json.loads(amd.read_text())
    data["experiments"][VECTORIZATION]["fingerprint"] = "0" * 64
    save(data, results_dir / amd.name)
    site = Site(results_dir)
    site.page = "x.md"
    assert "(" + NAMES[1] + ")" not in site.experiment(VECTORIZATION).value("numpy", 10_000), "a stale one drops out"
    stamp = site.fill_stamp(f"text\n{STAMP_TOKEN}\n", "x.md")
    assert f"**{NAMES[0]}**" in stamp and f"`{VECTORIZATION}` is not yet re-measured on {NAMES[1]}" in stamp


def test_interpreters_side_by_side(site):
    table = site.experiment(VECTORIZATION).builds_table(10_000)
    builds = sorted({p.name.split(".", 1)[1][:-5] for p in Path("results").glob(f"{NAMES[1]}.*.json")})
    assert all(f"{NAMES[1]}, {b}" in table for b in builds)


def test_contributing_shows_the_contract_as_declared():
    from bench.contract import contract_table

    assert contract_table() in (Path(__file__).parent.parent / "CONTRIBUTING.md").read_text()
