"""The domain and the renderer stay pure: no framework, database, WeChat or service imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = ("app/domain", "app/render")
FORBIDDEN = (
    "flask",
    "sqlalchemy",
    "wechatpy",
    "redis",
    "tencentcloud",
    "pymysql",
    "app.storage",
    "app.web",
    "app.services",
    "app.integrations",
)


def imported_modules(path: Path) -> set[str]:
    """Return every module name a source file imports (relative imports resolved to 'app.*')."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).parent.parts)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def is_forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


SOURCES = sorted(p for pkg in PURE_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_import_no_framework(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) if is_forbidden(m))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_checker_catches_a_framework_import(tmp_path: Path) -> None:
    assert is_forbidden("flask") and is_forbidden("sqlalchemy.orm") and is_forbidden("app.storage.db")
    assert not is_forbidden("app.domain.status") and not is_forbidden("flaskish")
