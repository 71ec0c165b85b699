"""The results schema accepts what the harness writes and rejects bad files with a message naming
the file and the field; nothing is written over a bad file."""

import copy
import json
import os
import re

import pytest

from bench.results import MAX_BYTES, RESULTS, ResultsError, files, load, save
from tests.conftest import REFERENCES, VECTORIZATION

PUBLISHED = REFERENCES[0]


@pytest.mark.parametrize("path", files(RESULTS), ids=lambda p: p.name)
def test_every_results_file_is_valid(path):
    """A contributed machine may hold any experiments; a reference machine holds them all."""
    experiments = load(path)["experiments"]
    assert experiments and (path not in REFERENCES or VECTORIZATION in experiments)


def test_save_round_trips(tmp_path, reference):
    target = tmp_path / PUBLISHED.name
    save(reference, target)
    assert load(target) == reference


def _point(data):
    return data["experiments"][VECTORIZATION]["points"][0]


def _set(path, value):
    """A spoiler that sets one field."""

    def spoil(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return spoil


BAD_DOCUMENTS = {
    # name: (how to spoil a valid document in place, text the error must contain)
    "missing machine": (lambda d: d.pop("machine"), "'machine' is a required property"),
    "wrong type": (_set(["machine", "logical_cores"], "two"), "field machine.logical_cores"),
    "script in machine name": (_set(["machine", "name"], "<script>alert(1)</script>"), "field machine.name"),
    "html in cpu model": (_set(["machine", "cpu"], "Xeon <img src=x onerror=alert(1)>"), "field machine.cpu"),
    "negative sample": (lambda d: _point(d)["samples_ns"].__setitem__(0, -1.0), "samples_ns[0]"),
    "empty samples": (lambda d: _point(d).__setitem__("samples_ns", []), "samples_ns"),
    "unknown schema version": (_set(["schema_version"], 99), "field schema_version"),
    "unknown field": (_set(["machine", "colour"], "red"), "Additional properties"),
    "bad experiment id": (lambda d: d["experiments"].__setitem__("../../etc/passwd", {}), "field experiments"),
    "bad fingerprint": (_set(["experiments", VECTORIZATION, "fingerprint"], "abc"), "fingerprint"),
    "bad build": (_set(["build"], "python 3"), "field build"),
    "edited median": (lambda d: _point(d).__setitem__("median_ns", 0.001), "its samples give"),
    "edited quartile": (lambda d: _point(d).__setitem__("p25_ns", 0.001), ".p25_ns is 0.001 but its samples give"),
    "edited spread": (lambda d: _point(d).__setitem__("spread", 0.0), ".spread is 0.0 but its samples give"),
    "trailing newline": (_set(["machine", "cpu"], "AMD EPYC\n"), "a line break in a text field"),
    "emoji shortcode": (_set(["machine", "cpu"], "Xeon :smile:"), "field machine.cpu"),
    "absurd memory": (_set(["machine", "memory_bytes"], 10**4000), "field machine.memory_bytes"),
    "duplicate point": (
        lambda d: d["experiments"][VECTORIZATION]["points"].append(copy.deepcopy(_point(d))),
        "a second point",
    ),
    "name differs from file": (_set(["machine", "name"], "some-other-machine"), "must match them"),
    "build differs from file": (_set(["build"], "cpython-3.99"), "must match them"),
    "schema 1": (_set(["schema_version"], 1), "python -m bench migrate"),
}


@pytest.mark.parametrize("kind", BAD_DOCUMENTS)
def test_rejects_bad_document(kind, tmp_path, reference):
    spoil, expected = BAD_DOCUMENTS[kind]
    spoil(reference)
    target = tmp_path / PUBLISHED.name
    target.write_text(json.dumps(reference))
    with pytest.raises(ResultsError) as error:
        load(target)
    assert target.name in str(error.value)
    assert expected in str(error.value)


BAD_TEXT = {
    "truncated": (lambda text: text[: len(text) // 2], "not valid JSON at line"),
    "empty": (lambda text: "", "not valid JSON at line 1"),
    "NaN": (lambda text: text.replace('"spread": ', '"spread": NaN, "x": ', 1), "NaN is not a number JSON allows"),
    "duplicate key": (
        lambda text: text.replace('{\n "schema_version": 2,', '{"schema_version": 2, "schema_version": 2,', 1),
        "duplicate key 'schema_version'",
    ),
    "array at top level": (lambda text: f"[{text}]", "field (top level)"),
    "html instead of json": (lambda text: "<html><body>502 Bad Gateway</body></html>", "not valid JSON"),
    "infinite sample": (
        lambda text: text.replace('"samples_ns": [\n', '"samples_ns": [\n1e999,', 1),
        "1e999 is not a finite number",
    ),
    "nested too deeply": (lambda text: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("kind", BAD_TEXT)
def test_rejects_bad_text(kind, tmp_path):
    spoil, expected = BAD_TEXT[kind]
    target = tmp_path / PUBLISHED.name
    target.write_text(spoil(PUBLISHED.read_text()))
    with pytest.raises(ResultsError) as error:
        load(target)
    assert target.name in str(error.value) and expected in str(error.value)


def test_not_utf8(tmp_path):
    target = tmp_path / PUBLISHED.name
    target.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ResultsError, match="not UTF-8"):
        load(target)


@pytest.mark.parametrize("kind", ["folder", "fifo", "symlink", "huge"])
def test_what_is_not_a_results_file_is_named_not_read(kind, tmp_path):
    target = tmp_path / PUBLISHED.name
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)  # reading it would block for ever
    elif kind == "symlink":
        target.symlink_to(PUBLISHED)
    else:
        with open(target, "wb") as out:
            out.truncate(MAX_BYTES + 1)
    with pytest.raises(ResultsError, match=re.escape(target.name)) as error:
        load(target)
    assert {"folder": "not a regular file", "fifo": "not a regular file", "symlink": "symbolic link"}.get(
        kind, "bytes, over the"
    ) in str(error.value)


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(ResultsError, match="make bench"):
        load(tmp_path / "nowhere.json")


def test_save_refuses_invalid_data_and_keeps_the_old_file(tmp_path, reference):
    target = tmp_path / PUBLISHED.name
    save(reference, target)
    before = target.read_bytes()
    broken = copy.deepcopy(reference)
    broken["machine"]["name"] = "<b>bold</b>"
    with pytest.raises(ResultsError):
        save(broken, target)
    assert target.read_bytes() == before
    assert list(tmp_path.iterdir()) == [target]


def test_interrupted_write_keeps_the_old_file(tmp_path, reference, monkeypatch):
    target = tmp_path / PUBLISHED.name
    save(reference, target)
    before = target.read_bytes()

    def dump_then_die(data, out, **kwargs):
        out.write('{"schema_version": 2, "mach')
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", dump_then_die)
    with pytest.raises(KeyboardInterrupt):
        save(reference, target)
    assert target.read_bytes() == before
    assert list(tmp_path.iterdir()) == [target], "the temporary file was left behind"


def test_a_stray_file_in_the_results_folder_is_named(tmp_path, reference):
    save(reference, tmp_path / PUBLISHED.name)
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(ResultsError, match=r"notes.json not named <machine>.<build>.json"):
        files(tmp_path)
