"""Shared test helpers (imported as ``support.<module>``; pytest puts ``tests/`` on the path).

Paths
-----
TESTS : the ``tests/`` folder; REFERENCE : ``tests/reference/`` (committed SAS/R witnesses);
REPO : the repository root.
"""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REFERENCE = TESTS / "reference"
REPO = TESTS.parent
