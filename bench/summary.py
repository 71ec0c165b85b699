"""A run's verdict as Markdown for a CI job summary (`--summary FILE`, GitHub's $GITHUB_STEP_SUMMARY):
what stopped the publication, by claim, machine and measured ratio, readable without the log."""

from pathlib import Path


def write(path: Path | None, title: str, head: list[str], rows: list[list[str]], empty: str) -> None:
    """Append a section: a table of what went wrong, or the one line saying nothing did."""
    if path is None:
        return
    lines = [f"### {title}", ""]
    if rows:
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    else:
        lines.append(empty)
    with open(path, "a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n\n")


def _cell(text: str) -> str:
    """One line, no table breaks: an error message may hold both."""
    return " ".join(text.replace("|", "\\|").split())
