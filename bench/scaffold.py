"""`python -m bench new <chapter>/<name>`: a snippet from the template and its page section, which
pass the tests as created. The page shows its numbers only once a machine has measured it; until
then it says how to measure, and the build lists it as not yet measured rather than failing."""

import re
from pathlib import Path

from bench.contract import ContractError
from bench.discover import ROOT

ID = re.compile(r"(?P<chapter>[a-z0-9-]+)/(?P<name>[a-z][a-z0-9_]*)")


def new(eid: str, root: Path = ROOT) -> int:
    """Write the snippet, then add a section to the page it belongs to, or a new page in the nav."""
    found = ID.fullmatch(eid)
    if not found:
        raise ContractError(f"{eid!r}: an id is <chapter>/<name>, e.g. memory/stride_gather (lower case, _ in names)")
    chapter, name = found["chapter"], found["name"]
    docs, snippets = root / "docs" / chapter, root / "snippets" / chapter
    if not (docs / "index.md").is_file():
        chapters = sorted(p.parent.name for p in (root / "docs").glob("*/index.md"))
        raise ContractError(
            f"no chapter {chapter!r}: docs/{chapter}/index.md is missing; chapters: {', '.join(chapters)}"
        )
    snippet = snippets / f"{name}.py"
    if snippet.exists():
        raise ContractError(f"{snippet.relative_to(root)} exists already: choose another name, or edit it")
    page, added_page = _page_for(docs, name)
    snippet.write_text(_snippet_text(chapter, name, (root / "snippets" / "_template.py").read_text()))
    section = _section(eid, name, new_page=added_page)
    if added_page:
        page.write_text(section)
        _add_to_nav(root / "mkdocs.yml", chapter, page.name, _title(name))
    else:
        page.write_text(_with_section(page.read_text(), eid, section))
    print(
        f"wrote {snippet.relative_to(root)} and {'the page' if added_page else 'a section of'} {page.relative_to(root)}"
    )
    print(f"next: edit both, run `python {snippet.relative_to(root)} --quick`, then `make bench ONLY={eid}`")
    return 0


def _page_for(docs: Path, name: str) -> tuple[Path, bool]:
    """The page a snippet belongs to: the one named after its first word (layout_aos_soa -> layout.md)
    when it exists, else a new one named after it (cache_lines -> cache-lines.md)."""
    family = docs / f"{name.split('_')[0]}.md"
    if "_" in name and family.exists():
        return family, False
    page = docs / f"{name.replace('_', '-')}.md"
    if page.exists():
        raise ContractError(f"{page.name} exists already and shows another experiment: choose another name")
    return page, True


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _snippet_text(chapter: str, name: str, template: str) -> str:
    """The template, its docstring pointing at the new file."""
    return template.replace("snippets/<chapter>/<topic>.py", f"snippets/{chapter}/{name}.py").replace(
        "Template: copy me to", "A new experiment, scaffolded from the template at"
    )


def _section(eid: str, name: str, new_page: bool) -> str:
    variable = name
    lines = [f"# {_title(name)}", ""] if new_page else [f"## {_title(name)}", ""]
    lines += [
        f'{{% set {variable} = experiment("{eid}") %}}',
        "",
        "**Question:** say in one sentence what the reader will learn, and why it matters to their code.",
        "",
        "**Experiment:** say what the variants compute, which effect they isolate and which sizes cross",
        "which boundary (name sizes by role: in L1, twice L3).",
        "",
        f"{{{{ {variable}.snippet() }}}}",
        "",
        f"{{% if {variable}.measured() %}}",
        f'{{{{ {variable}.chart("Median time per element against n, both log scale, a panel per machine.") }}}}',
        "",
        "Say what the reader sees in the chart, and why.",
        "",
        f"{{{{ {variable}.claims() }}}}",
        "",
        f"{{{{ {variable}.variants_table() }}}}",
        "{% else %}",
        '!!! note "Not yet measured"',
        "",
        f"    No machine has measured this experiment yet: `make bench ONLY={eid}` does.",
        "{% endif %}",
        "",
        "{{ stamp() }}" if new_page else "",
    ]
    return "\n".join(lines).rstrip() + "\n"


def _with_section(text: str, eid: str, section: str) -> str:
    """The section before the page's stamp, so that the stamp stays last."""
    if f'experiment("{eid}")' in text:
        raise ContractError(f"the page already binds {eid}")
    stamp = "{{ stamp() }}"
    if stamp in text:
        head, tail = text.rsplit(stamp, 1)
        return f"{head.rstrip()}\n\n{section}\n{stamp}{tail}"
    return f"{text.rstrip()}\n\n{section}\n{stamp}\n"


def _add_to_nav(mkdocs: Path, chapter: str, page: str, title: str) -> None:
    """After the chapter's last entry in the nav; a text edit, so comments and tags stay."""
    lines = mkdocs.read_text().splitlines(keepends=True)
    anchor = next((i for i, line in enumerate(lines) if line.strip() == f"- {chapter}/index.md"), None)
    if anchor is None:
        raise ContractError(f"mkdocs.yml: no nav entry `- {chapter}/index.md` to add {page} after")
    indent = lines[anchor][: len(lines[anchor]) - len(lines[anchor].lstrip())]
    last = anchor
    while last + 1 < len(lines) and lines[last + 1].startswith(indent + "- "):
        last += 1
    lines.insert(last + 1, f"{indent}- {title}: {chapter}/{page}\n")
    mkdocs.write_text("".join(lines))
