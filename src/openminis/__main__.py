"""``python -m openminis``: the same as the ``minis`` command (a probe's first try at the CLI)."""

from openminis.cli import app

if __name__ == "__main__":
    app(prog_name="minis")
