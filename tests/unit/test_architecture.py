"""Imports point one way: core <- adapters <- transports <- composition root."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "counseling",
    "interpreter_pool",
    "storage",
    "rtc_server",
    "recording",
    "signaling",
    "dasan",
}

# What each package may import from among our own packages.
ALLOWED: dict[str, set[str]] = {
    "counseling": set(),
    "interpreter_pool": {"counseling"},
    "storage": {"counseling", "interpreter_pool"},
    "rtc_server": set(),
    "recording": set(),
    # The signaling edge maps media errors to acks; it never builds rooms itself.
    "signaling": {"counseling", "interpreter_pool", "rtc_server.errors"},
    "dasan": OURS,
}

# The pure core: the standard library only, no I/O frameworks.
PURE = {"counseling", "interpreter_pool"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def allowed(package: str, module: str) -> bool:
    top = module.split(".")[0]
    if top not in OURS or top == package:
        return True
    return any(module == a or module.startswith(a + ".") for a in ALLOWED[package])


@pytest.mark.parametrize("package", sorted(p for p in OURS if (ROOT / p).is_dir()))
def test_imports_point_one_way(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules(package)
        for module in imports_of(path)
        if not allowed(package, module)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("package", sorted(PURE))
def test_the_core_uses_the_standard_library_only(package: str) -> None:
    stdlib = sys.stdlib_module_names
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules(package)
        for module in imports_of(path)
        if module.split(".")[0] not in stdlib | OURS
    ]
    assert not wrong, "\n".join(wrong)


def test_the_core_never_reads_the_clock_or_the_environment() -> None:
    wrong = []
    for package in PURE:
        for path in modules(package):
            text = path.read_text()
            for needle in ("datetime.now(", "time.time(", "os.environ", "asyncio"):
                if needle in text:
                    wrong.append(f"{path.relative_to(ROOT)} uses {needle}")
    assert not wrong, "\n".join(wrong)


def test_only_the_composition_root_reads_the_environment() -> None:
    wrong = [
        str(path.relative_to(ROOT))
        for package in OURS - {"dasan"}
        if (ROOT / package).is_dir()
        for path in modules(package)
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ]
    assert not wrong, wrong


def test_the_checker_catches_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from signaling.desk import Desk\nimport aiohttp\n")
    assert not allowed("counseling", "signaling.desk")
    assert imports_of(bad) == {"signaling.desk", "aiohttp"}
