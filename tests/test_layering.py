"""Which rooms may import what.

1. The torch-free rooms stay torch-free: every module of `labeler/`, `diagram/` and (once trainer/
   is split into sub-packages) `trainer/core/` and `trainer/data/`, imported one after another in a
   fresh interpreter, pulls in none of torch, transformers, trl, peft. The labeler stays light only
   through delayed imports; this names the first module that breaks that.
2. The trainer's sub-packages import only their own layer and the layers below it at module level
   (core < data < generation < training < loop), when trainer/ is split.
3. Test tools stay out of what ships: the installed packages import neither `testing`, `tests` nor
   `benchmarks`; tests import no benchmarks; benchmarks import no tests (both use `testing/`).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "trl", "peft")
TORCH_FREE_TRAINER = ("core", "data")  # trainer sub-packages that must not import HEAVY
LAYERS = ("core", "data", "generation", "training", "loop")
SHIPPED = ("diagram", "trainer", "labeler", "diagramlab")
# Known debt, listed so it cannot grow unseen: the outside-corpus test checks the corpus tool that
# lives beside its data in benchmarks/ (issue 21); its pure parts belong in testing/.
TESTS_ON_BENCHMARKS = {"tests/test_outside_corpus.py"}  # imports benchmarks.bench_outside, benchmarks.outside.build


def modules_in(folder: Path, prefix: str) -> list[str]:
    return [f"{prefix}.{p.stem}" for p in sorted(folder.glob("*.py")) if p.stem not in ("__init__", "__main__")]


def torch_free_modules() -> list[str]:
    """Lowest layers first, so the module blamed is the one that imports the heavy package itself."""
    found = []
    for pkg in TORCH_FREE_TRAINER:
        if (REPO / "trainer" / pkg / "__init__.py").is_file():
            found += modules_in(REPO / "trainer" / pkg, f"trainer.{pkg}")
    return found + modules_in(REPO / "diagram", "diagram") + modules_in(REPO / "labeler", "labeler")


PROBE = """
import importlib, json, sys
heavy = {heavy!r}
culprits = {{}}
for name in {modules!r}:
    before = {{m for m in heavy if m in sys.modules}}
    importlib.import_module(name)
    pulled = sorted(m for m in heavy if m in sys.modules and m not in before)
    if pulled:
        culprits[name] = pulled
print(json.dumps(culprits))
"""


def test_the_labeler_diagram_and_the_trainer_core_never_import_torch():
    modules = torch_free_modules()
    assert "labeler.app" in modules and "diagram.parse" in modules
    probe = PROBE.format(heavy=HEAVY, modules=modules)
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    culprits = json.loads(done.stdout.strip().splitlines()[-1])
    assert culprits == {}, f"these modules pull in {'/'.join(HEAVY)} at import time: {culprits}"


def _imports(path: Path, module_level_only: bool) -> set[str]:
    """Dotted names a file imports (`from trainer import X` gives trainer.X)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)) and not (module_level_only and inside):
                if isinstance(child, ast.Import):
                    names.update(a.name for a in child.names)
                elif child.module and not child.level:
                    names.add(child.module)
                    names.update(f"{child.module}.{a.name}" for a in child.names)
            visit(child, nested)

    visit(tree, False)
    return names


def test_trainer_sub_packages_import_only_their_own_layer_and_below():
    present = [pkg for pkg in LAYERS if (REPO / "trainer" / pkg / "__init__.py").is_file()]
    if not present:
        flat = len(list((REPO / "trainer").glob("*.py")))
        assert flat > 1  # the flat layout of today: nothing to check yet (the split adds the layers)
        return
    upward = []
    for pkg in present:
        for path in sorted((REPO / "trainer" / pkg).glob("*.py")):
            for name in _imports(path, module_level_only=True):
                parts = name.split(".")
                if len(parts) > 1 and parts[0] == "trainer" and parts[1] in LAYERS \
                        and LAYERS.index(parts[1]) > LAYERS.index(pkg):
                    upward.append(f"trainer/{pkg}/{path.name} imports {name}")
    assert upward == []
    assert sorted(p.name for p in (REPO / "trainer").glob("*.py")) == ["__init__.py"]


def _python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((REPO / folder).rglob("*.py"))]


def test_test_tools_stay_out_of_what_ships_and_tests_and_benchmarks_share_only_testing():
    def offenders(folders: tuple[str, ...], banned: tuple[str, ...]) -> list[str]:
        return [f"{path.relative_to(REPO)}: {name}" for path in _python_files(*folders)
                for name in sorted(_imports(path, module_level_only=False))
                if name.split(".")[0] in banned]

    assert offenders(SHIPPED, ("testing", "tests", "benchmarks", "fakes", "conftest")) == []
    assert {line.split(":")[0] for line in offenders(("tests",), ("benchmarks",))} <= TESTS_ON_BENCHMARKS
    assert offenders(("benchmarks", "scripts"), ("tests", "fakes", "conftest")) == []
    assert (REPO / "testing" / "fakes.py").is_file() and not (REPO / "labeler" / "faults.py").exists()
