"""No test module imports another test module or a conftest.py: what tests share lives in
tests/helpers.py (helpers), tests/factories.py (factories and builders) and tests/images.py,
and fixtures reach tests through pytest, not imports."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> list[str]:
    package = ".".join(path.relative_to(TESTS.parent).parent.parts)
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def test_no_test_module_imports_another_or_a_conftest():
    offences = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in _imported_modules(path)
        if name.startswith("tests.")
        and (name.split(".")[-1] == "conftest" or name.split(".")[-1].startswith("test_"))
    ]
    assert offences == []
