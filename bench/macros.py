"""mkdocs-macros entry point: the only way a measured number reaches a page.

Pages bind an experiment once ({% set e = experiment("memory/latency") %}) and call its methods
(bench.experiment_page); site-wide tables come from bench.site. This module only registers them
and turns their errors into build errors: any false claim on a reference machine, or an
experiment fresh on none of them, stops the build.
"""

import sys
from pathlib import Path

# mkdocs-macros loads this file by path, not as part of the package: make `bench` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mkdocs.exceptions import PluginError

from bench.claims import ClaimError
from bench.config import ConfigError
from bench.discover import ContractError
from bench.experiment_page import PageError
from bench.results import ResultsError
from bench.site import MACROS, Site

_SITE: list[Site] = []  # the Site of the current build, for the post-page hook


def define_env(env):
    """Load and check the results once; every problem in one message, or none."""
    try:
        site = Site()
    except (ResultsError, ContractError, ClaimError, ConfigError) as error:
        raise PluginError(str(error)) from None
    if problems := site.problems():
        raise PluginError("the results do not support the pages:\n  " + "\n  ".join(problems))
    _SITE[:] = [site]
    for name in MACROS:
        env.macro(_on_page(env, site, getattr(site, name)), name)
    return env


def _on_page(env, site: Site, method):
    """The macro, told which page it is rendering before it runs; a PageError becomes a build error."""

    def macro(*args, **kwargs):
        site.page = env.page.file.src_uri
        try:
            return method(*args, **kwargs)
        except PageError as error:
            raise PluginError(str(error)) from None

    macro.__doc__ = method.__doc__
    return macro


def on_post_page_macros(env):
    try:
        env.markdown = _SITE[0].fill_stamp(env.markdown, env.page.file.src_uri)
    except PageError as error:
        raise PluginError(str(error)) from None
