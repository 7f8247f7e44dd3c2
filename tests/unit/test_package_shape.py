"""The package's shape holds: a cheap contract, a core without the web, no import cycles."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import model_service

PACKAGE = Path(model_service.__file__).resolve().parent
WEB_STACK = ("flask", "werkzeug", "gunicorn", "prometheus_client")
CONTRACT_MUST_NOT_LOAD = WEB_STACK + ("apispec", "jsonschema", "fastjsonschema", "pydantic",
                                      "pydantic_core")


def loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Run ``statement`` in a fresh interpreter; return which of ``modules`` it loaded."""
    probe = (f"import sys\n{statement}\n"
             f"print(' '.join(m for m in {modules!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    return result.stdout.split()


def test_importing_the_contract_loads_none_of_the_web_stack():
    assert loaded_after("from model_service import MLModel", CONTRACT_MUST_NOT_LOAD) == []


def core_modules() -> list[str]:
    return sorted(f"model_service.core.{path.stem}" for path in (PACKAGE / "core").glob("*.py")
                  if path.stem != "__init__")


@pytest.mark.parametrize("module", core_modules())
def test_core_modules_import_nothing_of_the_web(module):
    assert loaded_after(f"import {module}", WEB_STACK) == []


def test_create_app_is_still_importable_from_the_package():
    from model_service import create_app, get_registry

    assert callable(create_app) and callable(get_registry)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports when it is imported (not inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        statements = node.body if isinstance(node, ast.Try) else [node]
        for statement in statements:
            if isinstance(statement, ast.Import):
                found |= {alias.name for alias in statement.names}
            elif isinstance(statement, ast.ImportFrom):
                base = statement.module or ""
                if statement.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - statement.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found.add(base)
                found |= {f"{base}.{alias.name}" for alias in statement.names}
    return {module for module in found if module.startswith("model_service")}


def test_no_module_of_the_package_imports_itself_back_at_run_time():
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: {m for m in _runtime_imports(path) if m in modules and m != name}
             for name, path in modules.items()}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target):] + [target] if target in trail
                              else trail + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []
