"""Fail when a setting read from the environment is missing from README.md's table, or a
periodic job from the jobs' tables of docs/architecture.md and docs/operations.md.

khaibao/settings.py is the source of truth for configuration and khaibao/wiring.py's
PERIODIC_TASKS for the periodic jobs; the README and docs tables are what operators read. Run by
`make lint`, so a new variable or job cannot ship undocumented.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# khaibao/settings.py and the parts it imports (settings_database.py, settings_messaging.py, …).
SETTINGS = sorted((ROOT / "khaibao").glob("settings*.py"))
README = ROOT / "README.md"
WIRING = ROOT / "khaibao" / "wiring.py"
# The jobs' tables: architecture.md names a job by `app.tasks.name`, operations.md by `name`.
JOB_TABLES = {ROOT / "docs" / "architecture.md": "{app}.tasks.{name}", ROOT / "docs" / "operations.md": "{name}"}


def periodic_jobs_undocumented() -> list[str]:
    block = WIRING.read_text().split("PERIODIC_TASKS", 1)[1].split("]\n", 1)[0]
    jobs = re.findall(r'"khaibao\.(\w+)\.tasks\.(\w+)"', block)
    problems = []
    for doc, form in JOB_TABLES.items():
        first_cells = set(re.findall(r"^\|\s*`([\w.]+)`\s*\|", doc.read_text(), flags=re.MULTILINE))
        for app, name in jobs:
            if form.format(app=app, name=name) not in first_cells:
                problems.append(f"{doc.relative_to(ROOT)}: periodic job {app}.tasks.{name} (PERIODIC_TASKS) is not in the jobs' table")
    return problems


def main() -> int:
    read = set(re.findall(r"\benv_(?:str|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]*)\"", "".join(path.read_text() for path in SETTINGS)))
    # First cell of each table row; a row may document several variables: | `A`, `B` | … |
    first_cells = re.findall(r"^\|([^|]*)\|", README.read_text(), flags=re.MULTILINE)
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}
    missing = sorted(read - documented)
    stale = sorted(documented - read)
    for name in missing:
        print(
            f"README.md: environment variable {name} (khaibao/settings.py) is not in the configuration table"
        )
    for name in stale:
        print(f"README.md: the configuration table lists {name}, which khaibao/settings.py no longer reads")
    jobs = periodic_jobs_undocumented()
    for problem in jobs:
        print(problem)
    return 1 if missing or stale or jobs else 0


if __name__ == "__main__":
    sys.exit(main())
