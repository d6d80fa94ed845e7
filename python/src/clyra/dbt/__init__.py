"""The dbt integration: ``init`` a project, plan and gate an invocation before it runs
(``gate``, plan-v0.md), ``run_dbt`` through dbt's programmatic runner with the facts callback,
and ``seal_run`` a finished run into a signed DEF bundle (def-v0.md)."""

from .init import init
from .project import ClyraDir, SetupError
from .seal import Sealed, seal_run

__all__ = ["ClyraDir", "Sealed", "SetupError", "init", "seal_run"]
