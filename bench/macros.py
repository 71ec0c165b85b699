"""mkdocs-macros entry point: the only way a measured number reaches a page.

Pages bind an experiment once ({% set e = experiment("memory/latency") %}) and call its methods
(bench.experiment_page); site-wide tables come from bench.site. This module only registers them
and turns their errors into build errors: any false claim on a reference machine, or an
experiment fresh on none of them, stops the build.

Zensical, the successor of Material for MkDocs, reads the same mkdocs.yml and this same file, but
its macros extension runs the file afresh before every page and has no post-page hook. Under it,
one checked Site serves every page (kept in the imported copy of this module, renewed when results
or snippets change), and {{ stamp() }} is rendered where it stands: a page ends with it, and a
number shown after it, or on a page without one, stops the build.
"""

import functools
import sys
from pathlib import Path

# mkdocs-macros loads this file by path, not as part of the package: make `bench` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mkdocs.exceptions import PluginError

from bench.claims import ClaimError
from bench.config import ConfigError
from bench.discover import SNIPPETS, ContractError
from bench.experiment_page import PageError
from bench.results import RESULTS, ResultsError
from bench.site import MACROS, STAMP_TOKEN, Site

_SITE: list[Site] = []  # the Site of the current build, for the post-page hook


def define_env(env):
    """Load and check the results once per build; every problem in one message, or none.
    Zensical calls this before every page, with a page that names its source as `path`."""
    if type(env).__module__.startswith("zensical."):
        from bench import macros  # this file, imported once: its Site outlives Zensical's per-page runs

        return macros.define_page(env)
    site = _checked_site()
    _SITE[:] = [site]
    _register(env, site, lambda: env.page.file.src_uri, {})
    return env


def define_page(env):
    """Zensical: register the macros for one page, whose stamp is rendered where it stands."""
    page = env.page.path
    site = _site_for(_inputs())
    source = Path(env.project_dir, env.conf["docs_dir"], page).read_text(encoding="utf-8")
    shown = site.shown[page] = _ShownBeforeStamp(page, None if "stamp()" in source else "but has no {{ stamp() }}")

    def stamp() -> str:
        shown.closed = "after its {{ stamp() }}"
        return site.fill_stamp(STAMP_TOKEN, page)

    stamp.__doc__ = site.stamp.__doc__
    _register(env, site, lambda: page, {"stamp": stamp})
    return env


def _register(env, site: Site, page, replaced: dict) -> None:
    for name in MACROS:
        env.macro(_on_page(site, page, replaced.get(name) or getattr(site, name)), name)


def _on_page(site: Site, page, method):
    """The macro, told which page it is rendering before it runs; a PageError becomes a build error."""

    def macro(*args, **kwargs):
        site.page = page()
        try:
            return method(*args, **kwargs)
        except PageError as error:
            raise PluginError(str(error)) from None

    macro.__doc__ = method.__doc__
    return macro


def _checked_site() -> Site:
    try:
        site = Site()
    except (ResultsError, ContractError, ClaimError, ConfigError) as error:
        raise PluginError(str(error)) from None
    if problems := site.problems():
        raise PluginError("the results do not support the pages:\n  " + "\n  ".join(problems))
    return site


@functools.lru_cache(maxsize=1)
def _site_for(inputs: tuple) -> Site:
    """One checked Site for as long as the results and snippets stay as they are (`zensical serve`)."""
    return _checked_site()


def _inputs() -> tuple:
    """What a Site is made of: every results and snippet file, by path, modification time and size."""
    files = sorted(p for d in (RESULTS, SNIPPETS) for p in d.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


class _ShownBeforeStamp(set):
    """The experiments a page shows numbers of, under Zensical, where the stamp cannot wait for the
    end of the page: one shown after it (or on a page without one) would be left out of it."""

    def __init__(self, page: str, closed: str | None):
        super().__init__()
        self.page, self.closed = page, closed  # closed: why a number shown now would be left out

    def add(self, eid: str) -> None:
        if self.closed and eid not in self:
            raise PageError(
                f"{self.page} shows numbers of {eid} {self.closed}: under Zensical the stamp is rendered "
                "where it stands, so end the page with {{ stamp() }}"
            )
        super().add(eid)


def on_post_page_macros(env):
    try:
        env.markdown = _SITE[0].fill_stamp(env.markdown, env.page.file.src_uri)
    except PageError as error:
        raise PluginError(str(error)) from None
