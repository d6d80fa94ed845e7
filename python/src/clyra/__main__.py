"""The ``clyra`` console script: the Rust command line, plus ``clyra dbt``."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from . import _clyra

DBT_HELP = """
Python package commands:
  dbt   Evidence for dbt runs: `clyra dbt init`, `clyra dbt plan -- <dbt args>`, `clyra dbt build -- <dbt args>`,
        `clyra dbt resume HOLD`, `clyra dbt seal`
"""


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Runs ``clyra ARGS``: ``dbt`` here, every other command in the Rust CLI; exits with its code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["dbt"]:
        from .dbt.cli import main as dbt_main

        sys.exit(dbt_main(args[1:]))
    sys.stdout.flush()
    sys.stderr.flush()
    code = _clyra.run(["clyra", *args])
    if not args or args[0] in ("-h", "--help", "help"):
        (sys.stdout if code == 0 else sys.stderr).write(DBT_HELP)
    sys.exit(code)


if __name__ == "__main__":
    main()
