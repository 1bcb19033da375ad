"""`python -m diagramlab ...`: the same as the installed `diagramlab` command."""

from diagramlab.cli import run

if __name__ == "__main__":
    run()
