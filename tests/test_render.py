"""Rendering from results: knees located on the caches, bandwidth display, counters, escaping."""

import re
from types import SimpleNamespace

import pytest

from bench import cache, charts, render
from bench.units import format_ratio, format_size

CACHES = {"L1d": 48 * 2**10, "L2": 2 * 2**20, "L3": 260 * 2**20}


def entry(variant_costs: dict, size_unit="bytes"):
    points = [
        {"variant": v, "size": size, "median_ns": ns, "samples_ns": [ns], "spread": 0.0}
        for v, costs in variant_costs.items()
        for size, ns in costs.items()
    ]
    return {"size_unit": size_unit, "unit": "access", "points": points}


def test_knees_are_found_and_located_on_the_caches():
    costs = {32 * 2**10: 1.0, 64 * 2**10: 3.0, 1 * 2**20: 3.2, 2 * 2**20: 3.3, 4 * 2**20: 10.0, 64 * 2**20: 11.0}
    found = render.knees(entry({"walk": costs}), "walk", CACHES, 1, threshold=1.3)
    assert [(k["from"], k["to"], k["caches"]) for k in found] == [
        (32 * 2**10, 64 * 2**10, ["L1d"]),
        (2 * 2**20, 4 * 2**20, ["L2"]),
    ]
    ends_at_l3 = render.knees(entry({"walk": {128 * 2**20: 1.0, 260 * 2**20: 1.9}}), "walk", CACHES, 1, 1.3)
    assert ends_at_l3[0]["caches"] == ["L3"], "a working set the size of a cache already overflows it"
    e = entry({"walk": costs})
    sentence = render.knees_sentence(found, e, CACHES)
    assert "between 32 KiB and 64 KiB (×3; L1d (48 KiB) fills there)" in sentence


def test_a_flat_curve_has_no_knee():
    e = entry({"walk": {2**10: 1.0, 2**20: 1.1, 2**30: 1.2}})
    assert render.knees_sentence(render.knees(e, "walk", CACHES, 1, 1.3), e, CACHES) == (
        "no step between neighbouring sizes"
    )


def test_bandwidth_display_inverts_ns_per_byte():
    shown = render.display(SimpleNamespace(show_as="GB/s", unit="byte"))
    assert shown.label == "GB/s"
    assert shown.fmt(0.1) == "10 GB/s"
    plain = render.display(SimpleNamespace(show_as=None, unit="element"))
    assert plain.fmt(2500.0) == "2.5 µs per element"


def test_variants_table_escapes_names():
    e = entry({"<b>x</b>": {1024: 2.0}})
    table = render.variants_table(e, render.display(SimpleNamespace(show_as=None, unit="access")))
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "<b>" not in table
    assert "| 1 KiB | 2 ±0% |" in table


def test_counters_table_lists_each_counter():
    e = entry({"naive": {1000: 5.0}, "numexpr": {1000: 2.0}}, size_unit="elements")
    e["points"][0]["counters"] = {"minor page faults": 12.0}
    e["points"][1]["counters"] = {"minor page faults": 0.0}
    table = render.counters_table(e)
    assert "| naive | 1,000 elements | 12 |" in table
    assert "| numexpr | 1,000 elements | 0 |" in table


def test_speedup_chart_draws_each_variant_beside_the_ideal():
    costs = {"numexpr": {1: 10.0, 2: 5.0, 4: 5.0}, "numpy pool": {1: 8.0, 2: 6.0, 4: 6.4}}
    e = entry(costs, size_unit="threads")
    for p in e["points"]:
        p["p25_ns"], p["p75_ns"] = 0.9 * p["median_ns"], 1.1 * p["median_ns"]
    shown = charts.speedups(e, "numexpr")
    assert [n for n, *_ in shown] == [1, 2, 4]
    assert shown[1][1:] == pytest.approx((2.0, 2 / 1.1, 2 / 0.9)), "time at one thread over time at two, with the band"
    svg = charts.speedup_chart([("m1", e, 2), ("m2", e, 64)], ["numexpr", "numpy pool"], salt="t")
    assert svg.startswith("<svg") and "currentColor" in svg
    legend = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert [t for t in legend if t in ("ideal", "numexpr", "numpy pool")] == ["ideal", "numexpr", "numpy pool"]
    assert svg.count("stroke-dasharray") >= 3, "the ideal is dashed, in each panel and the legend"
    assert "2 cores" in svg and "64 cores" not in svg, "cores past the largest size are not marked"


def test_crossing_names_the_sizes_around_the_break_even():
    pool, serial = {10: 9.0, 100: 5.0, 1000: 1.0, 10000: 0.5}, {10: 1.0, 100: 2.0, 1000: 2.0, 10000: 2.0}
    e = entry({"pool": pool, "serial": serial})
    e["size_unit"] = "iterations"
    assert render.crossing(e, "pool", "serial") == "between 100 and 1,000 iterations"
    assert render.crossing(e, "serial", "pool") == "not faster at the largest size measured, 10,000 iterations"
    ahead = entry({"a": {1: 1.0, 2: 1.0}, "b": {1: 2.0, 2: 2.0}}, size_unit="threads")
    assert render.crossing(ahead, "a", "b") == "faster at every size measured, from 1 thread"
    in_bytes = entry({"a": {2**20: 2.0, 2**22: 1.0}, "b": {2**20: 1.0, 2**22: 2.0}})
    assert render.crossing(in_bytes, "a", "b") == "between 1 MiB and 4 MiB"
    with pytest.raises(ValueError, match="share no size"):
        render.crossing(entry({"a": {1: 1.0}, "b": {2: 1.0}}), "a", "b")


def test_a_chart_is_drawn_once_and_redrawn_when_its_data_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "FOLDER", tmp_path)
    e = entry({"numpy": {1024: 2.0, 2048: 3.0}})
    for p in e["points"]:
        p["p25_ns"], p["p75_ns"] = p["median_ns"], p["median_ns"]
    first = charts.line_chart([("m1", e, {})], salt="t", ylabel="ns per access")
    (stored,) = (tmp_path / "charts").iterdir()
    assert stored.read_text() == first
    stored.write_text("<svg>read back</svg>")
    assert charts.line_chart([("m1", e, {})], salt="t", ylabel="ns per access") == "<svg>read back</svg>"
    e["points"][0]["median_ns"] = 2.5
    assert charts.line_chart([("m1", e, {})], salt="t", ylabel="ns per access").startswith("<svg"), "new data"
    assert len(list((tmp_path / "charts").iterdir())) == 2
    assert charts.line_chart([("m1", e, {})], salt="t", ylabel="GB/s") != "<svg>read back</svg>"


def test_one_of_a_size_unit_is_singular():
    assert [format_size(1, u) for u in ("threads", "processes", "tasks per chunk")] == [
        "1 thread",
        "1 process",
        "1 task per chunk",
    ]
    assert format_size(4096, "tasks per chunk") == "4,096 tasks per chunk"


def test_a_ratio_past_a_thousand_is_a_whole_number():
    assert [format_ratio(r) for r in (1.784, 205.8, 1001.14, 12345.6)] == ["1.78×", "206×", "1,001×", "12,346×"]
