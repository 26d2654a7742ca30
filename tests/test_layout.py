"""The package's folders are layers: a module may import only from its own layer or lower ones.

Every module of `publisher/` is parsed (never imported) and each `import`/`from … import` of
`publisher` (absolute or relative, at the top or inside a function) is checked against the table
below. A module that no row of the table places is an error too, so new code gets a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "publisher"

# A module's layer is the first prefix of its dotted name found here.
LAYER_OF = {
    "publisher": "base",  # the package docstring and version
    "publisher.errors": "base",
    "publisher.clock": "base",
    "publisher.options": "base",
    "publisher.paths": "base",
    "publisher.parallel": "base",
    "publisher.content": "content",
    "publisher.incremental": "incremental",
    "publisher.render": "render",
    "publisher.search": "render",
    "publisher.build": "build",
    "publisher.subscribers": "subscribers",
    "publisher.delivery": "delivery",
    "publisher.subscriptions": "subscriptions",
    "publisher.importers": "importers",
    "publisher.commands": "commands",
    "publisher.cli": "cli",
    "publisher.__main__": "cli",
}

# What each layer may import, itself included.
ALLOWED = {
    "base": {"base"},
    "content": {"base", "content"},
    "incremental": {"base", "content", "incremental"},
    "render": {"base", "content", "incremental", "render"},
    "build": {"base", "content", "incremental", "render", "build"},
    "subscribers": {"base", "content", "subscribers"},
    "delivery": {"base", "content", "render", "subscribers", "delivery"},
    "subscriptions": {"base", "content", "render", "subscribers", "delivery", "subscriptions"},
    "importers": {"base", "content", "subscribers", "importers"},
    "commands": {
        "base",
        "content",
        "incremental",
        "render",
        "build",
        "subscribers",
        "delivery",
        "subscriptions",
        "importers",
        "commands",
    },
    "cli": set(LAYER_OF.values()),
}

MAX_TOP_LEVEL_MODULES = 8  # besides __init__.py and __main__.py


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        layer = LAYER_OF.get(".".join(parts[:end]))
        if layer is not None and (end > 1 or module == "publisher"):
            return layer
    return None


def module_name(file: Path) -> str:
    relative = file.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every `publisher…` module `source` imports, with its line, relative imports resolved."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == "publisher":  # `from publisher import build` imports publisher.build
                found += [(node.lineno, f"publisher.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name == "publisher" or name.startswith("publisher.")]


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """`line: module imports target (layer a may not import layer b)` for each upward import."""
    own = layer_of(module)
    if own is None:
        return [f"1: {module} is in no layer: add it to LAYER_OF in tests/test_layout.py"]
    problems = []
    for line, target in imported_modules(source, module, is_package):
        layer = layer_of(target)
        if layer is None:
            continue  # `from publisher import __version__` and the like: names, not modules
        if layer not in ALLOWED[own]:
            problems.append(f"{line}: {module} imports {target} ({own} may not import {layer})")
    return problems


def test_no_module_imports_upward() -> None:
    problems = []
    for file in sorted(PACKAGE.rglob("*.py")):
        module = module_name(file)
        for problem in violations(file.read_text(encoding="utf-8"), module, file.name == "__init__.py"):
            problems.append(f"{file.relative_to(REPO)}:{problem}")
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "publisher.content.posts",
            "from publisher.render.site import Job\n",
            ["1: publisher.content.posts imports publisher.render.site (content may not import render)"],
        ),
        (
            "publisher.content.posts",
            "def f():\n    from ..incremental import cache\n",
            ["2: publisher.content.posts imports publisher.incremental (content may not import incremental)"],
        ),
        (
            "publisher.render.site",
            "import publisher.build\n",
            ["1: publisher.render.site imports publisher.build (render may not import build)"],
        ),
        (
            "publisher.render.feeds",
            "from publisher import cli\n",
            ["1: publisher.render.feeds imports publisher.cli (render may not import cli)"],
        ),
        ("publisher.render.feeds", "from publisher import __version__\n", []),
        ("publisher.build", "from publisher.render.site import Job\n", []),
        (
            "publisher.gadgets",
            "",
            ["1: publisher.gadgets is in no layer: add it to LAYER_OF in tests/test_layout.py"],
        ),
    ],
)
def test_the_layer_check_catches_upward_imports(module: str, source: str, expected: list[str]) -> None:
    assert violations(source, module) == expected


def test_few_top_level_modules() -> None:
    modules = [p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}]
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, sorted(modules)


def test_subpackages_say_what_they_do_and_re_export_nothing() -> None:
    packages = sorted(p for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE)
    assert packages, "no subpackages"
    for init in packages:
        tree = ast.parse(init.read_text(encoding="utf-8"))
        docstring = ast.get_docstring(tree)
        assert docstring and len(docstring.split()) >= 15, f"{init}: say what the part does and must not do"
        code = [node for node in tree.body[1:] if not _is_future_import(node)]
        assert code == [], f"{init}: an __init__ holds only its docstring"


def _is_future_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"
