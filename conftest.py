"""Run every test, including a docs page's fences run on their own (pytest docs/x.md), from the
repository root with this interpreter first on PATH: `python` in a shell fence is then the one
that has the project's dependencies."""

import os
import sys
from pathlib import Path

os.chdir(Path(__file__).parent)
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
