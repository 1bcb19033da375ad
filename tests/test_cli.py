"""The `diagramlab` dispatcher: usage, unknown commands, and lazy imports."""

import subprocess
import sys

import pytest

from diagramlab import cli


def test_usage_lists_every_command(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert f"  {name}" in out


def test_unknown_command_exits_2_with_usage(capsys):
    assert cli.main(["nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'nope'" in err and "commands:" in err


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_builds_its_parser(name):
    parser = cli.build_parser(name)
    assert parser.prog == f"diagramlab {name}"
    assert callable(parser.get_default("_run"))


def test_check_command_does_not_import_torch(tmp_path):
    # `diagramlab check` is used in editors and scripts: it must stay light (pandas is the
    # gallery's, and took most of check's start-up time)
    text = tmp_path / "d.txt"
    text.write_text("[0, 100, 100, 'circle', 40, 40, 'solid arrow', (255, 255, 255), (0, 0, 0), []]\n")
    code = (
        "import sys; from diagramlab import cli; rc = cli.main(['check', sys.argv[1]]); "
        "heavy = [m for m in ('torch', 'pandas') if m in sys.modules]; "
        "assert not heavy, f'{heavy} imported'; sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(text)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_console_script_is_the_dispatcher_above_the_packages():
    import importlib
    import tomllib

    from conftest import REPO_ROOT

    target = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]["diagramlab"]
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr) is cli.run and module == "diagramlab.cli"


def test_no_module_below_the_dispatcher_names_a_package_above_it():
    # labeler -> trainer -> diagram: trainer never names labeler, diagram names neither
    from conftest import REPO_ROOT

    for package, above in (("trainer", ("labeler", "diagramlab")), ("diagram", ("trainer", "labeler", "diagramlab")),
                           ("labeler", ("diagramlab",))):
        for path in (REPO_ROOT / package).glob("*.py"):
            text = path.read_text()
            for name in above:
                assert f"import {name}" not in text and f"from {name}" not in text and f'"{name}.' not in text, \
                    f"{path.name} names {name}"
