"""The GIL page shows every build that measured its snippet, with whether its GIL was on, and
says the free-threaded case is not yet measured until a free-threaded build's results exist."""

import copy
import json

from bench.config import config
from bench.results import path_for, save
from bench.site import Site

GIL = "parallelism/gil"


def free_threaded_copy(reference_path, results_dir):
    """The reference machine's GIL result as a 3.14t build would store it: no GIL, threads scaling."""
    data = json.loads(reference_path.read_text())
    entry = copy.deepcopy(data["experiments"][GIL])
    entry["software"] |= {"python": "3.14.0", "free_threaded": True, "gil_enabled": False}
    build = "cpython-3.14t"
    save(data | {"build": build, "experiments": {GIL: entry}}, path_for(data["machine"]["name"], build, results_dir))


def test_without_a_free_threaded_build_the_page_says_so(built_site):
    page = (built_site / "parallelism/gil/index.html").read_text()
    assert "Free-threaded Python: not yet measured" in page
    assert "cpython-3.11" in page and "enabled" in page


def test_a_free_threaded_result_is_shown_beside_the_others(results_dir):
    reference = path_for(config().reference_machines[1], config().reference_build, results_dir)
    free_threaded_copy(reference, results_dir)
    site = Site(results_dir)
    gil = site.experiment(GIL)
    assert gil.free_threaded()
    rows = [line for line in gil.speedups_by_build(2).splitlines() if "| cpython-" in line]
    assert any("| cpython-3.14t | disabled |" in row for row in rows), rows
    assert any("| cpython-3.11 | enabled |" in row for row in rows), rows
    assert not Site().experiment(GIL).free_threaded(), "the committed results hold no free-threaded build"
