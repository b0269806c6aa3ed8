"""Make `taglake` importable when a job runs from a plain checkout (spark-submit jobs/x.py ...).

On a cluster ship the package with `--py-files` (or install the wheel); locally the editable
install already provides it. Entry points stay thin: parse args, call the library, exit code.
"""

import sys
from pathlib import Path

try:
    import taglake  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs"))

from taglake.cli import main  # noqa: E402


def run(command: str) -> None:
    """`spark-submit jobs/<stage>.py ARGS` == `taglake <command> ARGS`."""
    sys.exit(main([command, *sys.argv[1:]]))
