"""Run every test, including a docs page's fences run on their own (pytest docs/x.md), from the
repository root with this interpreter first on PATH: `python` in a shell fence is then the one
that has the project's dependencies. Temporary files go to a folder on the same disk as the
checkout, since /tmp is a memory filesystem on some systems and the storage experiment needs a disk.
The builds of copies of the project share this checkout's cache: a chart is drawn once, a
snippet's contract read once."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parent
os.chdir(ROOT)
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
TMP = ROOT / ".bench-quick" / "tmp"
TMP.mkdir(parents=True, exist_ok=True)
os.environ["TMPDIR"] = tempfile.tempdir = str(TMP)
os.environ.setdefault("BIM_CACHE", str(ROOT / ".cache"))
for publishing_only in ("BIM_RUNNER", "BIM_HISTORY", "BIM_SITE_URL"):  # the tests see the committed results
    os.environ.pop(publishing_only, None)
