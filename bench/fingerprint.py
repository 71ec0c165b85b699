"""The fingerprint of what a snippet measures: its code, sizes and setup, not its prose.

Like asv's benchmark `version`, it hashes only what changes a measurement. Comments, docstrings,
the claims, the title, the budget, the `if __name__ == "__main__":` block and imports that the
rest never uses are left out, so a typo fixed in a docstring shown on a page, a claim restated or
the script part rewritten costs no re-measurement.
"""

import ast
import hashlib
import json

# Never part of a published measurement:
NOT_MEASURED = frozenset({"CLAIMS", "TITLE", "BUDGET_S", "QUICK_OVERRIDES", "NEEDS"})


def fingerprint(source: str) -> str:
    """sha256 of the snippet's measured code, normalised through its syntax tree. The tree is
    written out by _canonical, not ast.unparse, whose text changes between Python versions (3.12
    quotes f-strings anew): every interpreter that builds the site must agree on it."""
    canonical = json.dumps(_canonical(measured_tree(source)), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def measured_tree(source: str) -> ast.Module:
    """The snippet's syntax tree without what it does not measure."""
    tree = _Strip().visit(ast.parse(source))
    _drop_unused_imports(tree)
    return tree


def _canonical(node):
    """Node type and fields, leaving out what differs between versions for the same code: load and
    store contexts, and fields that are empty (3.12 added type_params to every function and class)."""
    if isinstance(node, ast.AST):
        fields = {
            name: _canonical(value)
            for name, value in ast.iter_fields(node)
            if name not in {"ctx", "kind", "type_comment"} and value is not None and value != []
        }
        return [type(node).__name__, fields]
    if isinstance(node, list):
        return [_canonical(value) for value in node]
    return [type(node).__name__, repr(node)]


def _drop_unused_imports(tree: ast.Module) -> None:
    """Module-level imports whose names nothing else uses (the script part's, once it is gone)."""
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    body = []
    for statement in tree.body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            statement.names = [a for a in statement.names if (a.asname or a.name.split(".")[0]) in used]
            if not statement.names:
                continue
        body.append(statement)
    tree.body = body


class _Strip(ast.NodeTransformer):
    """Drops docstrings, the script guard and the assignments that are page text, not code."""

    def visit_Module(self, node):
        node.body = [s for s in _without_docstring(node.body) if not _unmeasured(s)]
        return self.generic_visit(node)

    def visit_FunctionDef(self, node):
        node.body = _without_docstring(node.body) or [ast.Pass()]
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef


def _without_docstring(body: list) -> list:
    first = body[0] if body else None
    is_doc = isinstance(first, ast.Expr) and isinstance(getattr(first.value, "value", None), str)
    return body[1:] if is_doc else body


def _unmeasured(statement) -> bool:
    if isinstance(statement, ast.If) and ast.unparse(statement.test) in {
        "__name__ == '__main__'",
        "'__main__' == __name__",
    }:
        return True
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    return bool(names) and names <= NOT_MEASURED
