"""What a build works out the same way every time, kept on disk between builds: the charts it
draws and the snippets' contracts it reads. An entry is named by the hash of everything it is made
from, so any change is a miss, never a stale answer. BIM_CACHE moves the folder (the tests share
one across their copies of the project); deleting it costs only time."""

import hashlib
import json
import os
import tempfile
from pathlib import Path

FOLDER = Path(os.environ.get("BIM_CACHE") or Path(__file__).resolve().parent.parent / ".cache")


def key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def read(kind: str, digest: str) -> str | None:
    try:
        return (FOLDER / kind / digest).read_text(encoding="utf-8")
    except OSError:
        return None


def write(kind: str, digest: str, text: str) -> None:
    """Whole or absent: two builds at once never read half an entry; a read-only folder is no error."""
    folder = FOLDER / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False, encoding="utf-8") as out:
            out.write(text)
        os.replace(out.name, folder / digest)
    except OSError:
        pass
