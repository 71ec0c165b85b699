"""Readers' machines: `python -m bench export` writes a file fit for a pull request (schema fields
only, full and fresh results only, no host or user name, never over a reference machine's file),
a hostile contributed file is refused with its name and field and never rendered, and the
Machines page shows a contributed machine in its chart and its table, its text escaped."""

import copy
import json
import re
import shutil
from pathlib import Path

import markdown
import pytest

from bench import export as export_module
from bench.__main__ import main
from bench.discover import ROOT
from bench.export import cpu_slug, project
from bench.render import plain
from bench.results import MAX_BYTES, SCHEMA_PATH, ResultsError, load, path_for
from bench.suite import Suite
from tests.conftest import REFERENCES, VECTORIZATION, build, doctor

LATENCY = "memory/latency"
BANDWIDTH = "memory/bandwidth"
CPU = "Reader CPU 9000 (__bold__)"  # valid text, with Markdown in it
NAME = "reader-9000-bold-2c"  # what `make bench` would call it: the CPU's slug and its cores
BUILD = "cpython-3.11"


@pytest.fixture
def reference() -> dict:
    """The AMD reference machine's results, fresh for every experiment this file uses."""
    return json.loads(REFERENCES[1].read_text())


@pytest.fixture
def contributed(tmp_path, reference) -> Path:
    """A reader's file as `make bench BIM_MACHINE=alice-box` left it, with what export must drop:
    fields the schema does not have, at several levels, a quick result and a stale one."""
    reference["machine"] |= {"name": "alice-box", "cpu": CPU, "hostname": "alice-box.example.org"}
    kept = {eid: reference["experiments"][eid] for eid in (LATENCY, VECTORIZATION, BANDWIDTH, "memory/stream")}
    kept[BANDWIDTH]["quick"] = True
    kept["memory/stream"]["fingerprint"] = "0" * 64
    kept[LATENCY]["uploaded_by"] = "alice"
    kept[LATENCY]["points"][0]["timer"] = "perf_counter"
    kept[LATENCY]["software"]["venv"] = "/home/alice/.venv"
    doctor(reference | {"experiments": kept}, VECTORIZATION, "numpy", 10_000, ("python loop", 10_000), 2)
    data = reference | {"experiments": kept, "user": {"name": "alice"}}
    source = tmp_path / "src" / "alice-box.cpython-3.11.json"
    source.parent.mkdir()
    source.write_text(json.dumps(data))
    return source


@pytest.fixture(autouse=True)
def host(monkeypatch):
    """This host is alice-laptop.example.org, its user alice: whatever machine runs the tests."""
    monkeypatch.setattr(export_module, "gethostname", lambda: "alice-laptop.example.org")
    monkeypatch.setattr(export_module, "getuser", lambda: "alice")


def _keys(node, prefix=""):
    """Every key path in a document, lists flattened to []."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{prefix}.{key}"
            yield from _keys(value, f"{prefix}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item, f"{prefix}[]")


def test_export_keeps_the_schema_fields_and_the_fresh_results(contributed, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["export", "--from", str(contributed), "--out", str(out)]) == 0
    target = path_for(NAME, BUILD, out)
    data = load(target)  # valid, and named after its machine
    assert sorted(data["experiments"]) == sorted([LATENCY, VECTORIZATION])
    printed = capsys.readouterr().out
    assert f"{BANDWIDTH} (only a quick result)" in printed
    assert "memory/stream (measured from an older version of the snippet)" in printed
    assert f"git add {target.relative_to(ROOT)}" in printed
    text = target.read_text()
    assert "alice" not in text.lower() and "hostname" not in text and "timer" not in text
    source = json.loads(contributed.read_text())
    samples = [e[LATENCY]["points"][0]["samples_ns"] for e in (data["experiments"], source["experiments"])]
    assert samples[0] == samples[1]
    assert set(_keys(data)) < set(_keys(source)), "only fields dropped, none added"


def test_projection_drops_only_what_the_schema_does_not_declare(reference):
    schema = json.loads(SCHEMA_PATH.read_text())
    assert project(reference, schema) == reference, "a file as the harness writes it loses nothing"
    tlb = {"level": 1, "kind": "data", "pages": "4K", "entries": 64, "source": "cpuid"}
    spoiled = copy.deepcopy(reference) | {"x": 1}
    spoiled["machine"]["tlbs"] = [tlb | {"y": 2}]
    cleaned = project(spoiled, schema)
    assert "x" not in cleaned and cleaned["machine"]["tlbs"] == [tlb]


def test_the_default_name_is_the_cpu_slug_that_make_bench_gives():
    assert cpu_slug({"cpu": "Intel(R) Xeon(R) Processor", "logical_cores": 2}) == "intel-xeon-processor-2c"
    assert cpu_slug({"cpu": "AMD EPYC 7B13 @ 2.45GHz", "logical_cores": 8}) == "amd-epyc-7b13-8c"
    assert cpu_slug({"cpu": CPU, "logical_cores": 2}) == NAME


@pytest.mark.parametrize(
    ("field", "value", "name", "expected"),
    [
        ("name", None, "alice-laptop-2c", "field machine.name ('alice-laptop-2c') contains"),
        ("kernel", "6.1.0-alice-laptop", None, "--allow-name alice-laptop"),  # the host's short name
        ("os", "Linux for Alice", None, "field machine.os ('Linux for Alice') contains"),  # the user's
        ("cpu", "Alice-Laptop.example.org CPU", "reader-2c", "--allow-name alice-laptop.example.org"),
    ],
)
def test_export_refuses_the_host_or_user_name(contributed, tmp_path, capsys, field, value, name, expected):
    if value is not None:
        data = json.loads(contributed.read_text())
        data["machine"][field] = value
        contributed.write_text(json.dumps(data))
    named = [f"--name={name}"] if name else []
    assert main(["export", "--from", str(contributed), "--out", str(tmp_path / "out"), *named]) == 2
    error = capsys.readouterr().err
    assert contributed.name in error and expected in error, error
    assert not (tmp_path / "out").exists()


def test_a_coincidence_is_allowed_by_name(contributed, tmp_path):
    data = json.loads(contributed.read_text())
    data["machine"]["os"] = "Linux for Alice"
    contributed.write_text(json.dumps(data))
    assert main(["export", "--from", str(contributed), "--out", str(tmp_path), "--allow-name", "alice"]) == 0
    assert load(path_for(NAME, BUILD, tmp_path))["machine"]["os"] == "Linux for Alice"


@pytest.mark.parametrize("name", ["Alice Box", "-box", "box_1", "a" * 64])
def test_a_name_that_is_not_a_slug_is_refused(contributed, tmp_path, name, capsys):
    assert main(["export", "--from", str(contributed), "--out", str(tmp_path), f"--name={name}"]) == 2
    assert f"--name {name!r}: use lowercase letters, digits and hyphens" in capsys.readouterr().err


def test_export_never_writes_over_a_reference_machines_file(contributed, results_dir, capsys):
    amd = results_dir / REFERENCES[1].name
    before = amd.read_bytes()
    for force in ([], ["--force"]):
        args = ["--from", str(contributed), "--out", str(results_dir), "--name", "amd-epyc-2c", *force]
        assert main(["export", *args]) == 2
        assert "amd-epyc-2c is a reference machine" in capsys.readouterr().err
    assert amd.read_bytes() == before


def test_another_machines_file_is_replaced_only_with_force(contributed, results_dir, capsys):
    other = json.loads(REFERENCES[1].read_text())
    other["machine"] |= {"name": "bob-box-2c", "cpu": "Another CPU"}
    target = path_for("bob-box-2c", BUILD, results_dir)
    target.write_text(json.dumps(other))
    args = ["export", "--from", str(contributed), "--out", str(results_dir), "--name", "bob-box-2c"]
    assert main(args) == 2
    assert "holds another machine's results; choose another --name, or replace it with --force" in (
        capsys.readouterr().err
    )
    assert load(target)["machine"]["cpu"] == "Another CPU"
    assert main([*args, "--force"]) == 0
    assert load(target)["machine"]["cpu"] == CPU
    assert main(args) == 0, "the same machine again updates its own file"


def test_this_machines_files_are_found_by_what_the_machine_is(results_dir, reference, monkeypatch):
    monkeypatch.setattr(export_module, "describe", lambda: reference["machine"] | {"name": "whatever"})
    assert export_module.this_machines_files(results_dir) == sorted(results_dir.glob("amd-epyc-2c.*.json"))
    monkeypatch.setattr(export_module, "describe", lambda: reference["machine"] | {"cpu": "Elsewhere"})
    with pytest.raises(ResultsError, match="holds no results of this machine: measure with `make bench`"):
        export_module.this_machines_files(results_dir)


def _written(spoil):
    """A writer of the document, spoiled."""

    def write(target: Path, data: dict) -> None:
        spoil(data)
        target.write_text(json.dumps(data))

    return write


def _huge(target: Path, data: dict) -> None:
    with open(target, "wb") as out:
        out.truncate(MAX_BYTES + 1)


def _cpu(text: str):
    return _written(lambda data: data["machine"].__setitem__("cpu", text))


# A contributed file, spoiled: (how it is written, what the error must say besides the file's name).
HOSTILE = {
    "malformed JSON": (lambda target, data: target.write_text(json.dumps(data)[:500]), "not valid JSON at line"),
    "wrong type": (_written(lambda d: d["machine"].__setitem__("logical_cores", "two")), "field machine.logical_cores"),
    "script in a text field": (_cpu("<script>alert(1)</script>"), "field machine.cpu"),
    "markdown link in a text field": (_cpu("[Xeon](javascript:alert(1))"), "field machine.cpu"),
    "emoji shortcode in a text field": (_cpu("Xeon :smile:"), "field machine.cpu"),
    "name unlike the file's": (_written(lambda d: d["machine"].__setitem__("name", "amd-epyc-2c")), "must match them"),
    "huge file": (_huge, "bytes, over the"),
    "symbolic link": (lambda target, data: target.symlink_to(REFERENCES[0]), "a symbolic link"),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_contributed_file_is_named_and_refused(kind, results_dir, reference):
    """By the suite every page is built from, and by export."""
    write, expected = HOSTILE[kind]
    reference["machine"]["name"] = "a-reader-2c"  # sorts first: the suite reads it before the others
    reference["experiments"] = {VECTORIZATION: reference["experiments"][VECTORIZATION]}
    target = path_for("a-reader-2c", BUILD, results_dir)
    write(target, reference)
    for attempt in (lambda: Suite.load(results_dir), lambda: export_module.contribution(target)):
        with pytest.raises(ResultsError) as error:
            attempt()
        assert target.name in str(error.value) and expected in str(error.value), str(error.value)


@pytest.mark.parametrize("text", ["__bold__ #1 (x=y)", "<script>alert(1)</script>", "a | b :smile: [x](y) *z* `c`"])
def test_text_from_a_results_file_renders_as_text(text):
    html = markdown.markdown(f"| {plain(text)} |\n|---|\n| x |", extensions=["tables", "pymdownx.emoji"])
    assert not re.search(r"<(strong|em|script|a|code|img)\b", html), html
    assert len(re.findall(r"<th\b", html)) == 1, "a | in the text split the cell"
    assert text in re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), html), "it reads as it was written"


def test_unescaped_the_same_text_becomes_markup():
    assert "<strong>" in markdown.markdown("__bold__ #1 (x=y)")
    assert "<img" in markdown.markdown("a :smile:", extensions=["pymdownx.emoji"])


@pytest.fixture
def machines_project(tmp_path):
    """A copy of the project whose pages, but the Machines page, are stubs: the build draws its charts only."""
    project = tmp_path / "project"
    for name in ("docs", "snippets", "bench", "results"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
    for name in ("mkdocs.yml", "CONTRIBUTING.md", "pyproject.toml"):
        shutil.copy(ROOT / name, project / name)
    for page in (project / "docs").rglob("*.md"):
        if page.name not in ("machines.md", "contributing.md"):
            page.write_text(f"# {page.stem}\n")
    config = project / "mkdocs.yml"  # without a nav, the stubs need not be listed
    config.write_text(re.sub(r"^nav:\n(?:[ \t].*\n|\n)*", "", config.read_text(), flags=re.M))
    return project


def test_an_exported_file_is_on_the_machines_page(contributed, machines_project):
    assert main(["export", "--from", str(contributed), "--out", str(machines_project / "results")]) == 0
    done = build(machines_project, machines_project / "site")
    assert done.returncode == 0, done.stderr
    page = (machines_project / "site/machines/index.html").read_text()
    chart = page[page.index('<figure class="bim-chart">') :]
    chart = chart[: chart.index("</figure>")]
    assert chart.count(f">{NAME}<") == 1 and chart.count(">amd-epyc-2c<") == 1, "a line per fresh machine"
    table = page[page.index("<table>") :]
    table = table[: table.index("</table>")]
    head = table[: table.index("</thead>")]
    assert f"{NAME}<br><small>Reader CPU 9000 (&#95;&#95;bold&#95;&#95;), a reader's machine</small>" in head, head
    assert "<strong>" not in table
    rows = {re.search(r"<code>([^<]+)</code>", row).group(1): row for row in table.split("<tr>")[2:]}
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", rows[VECTORIZATION])
    assert cells[-1] == "0.5× ✗", "the reader's false claim is marked, not failed"
    assert re.findall(r"<td[^>]*>([^<]*)</td>", rows[BANDWIDTH])[-1] == "not measured", "a quick result is not shown"


def test_a_hostile_file_stops_the_build_before_any_page(machines_project, reference):
    reference["machine"] |= {"name": "a-reader-2c", "cpu": "<script>alert(1)</script>"}
    path_for("a-reader-2c", BUILD, machines_project / "results").write_text(json.dumps(reference))
    done = build(machines_project, machines_project / "site")
    assert done.returncode != 0
    assert "a-reader-2c.cpython-3.11.json: field machine.cpu" in done.stderr
    assert not (machines_project / "site/machines/index.html").exists()
    assert not any("alert(1)" in p.read_text() for p in (machines_project / "site").rglob("*.html"))
