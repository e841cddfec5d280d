"""Fail when a setting read from the environment is missing from README.md's table.

khaibao/settings.py is the source of truth for configuration; the README table is what
operators read. Run by `make lint`, so a new variable cannot ship undocumented.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# khaibao/settings.py and the parts it imports (settings_database.py, settings_messaging.py, …).
SETTINGS = sorted((ROOT / "khaibao").glob("settings*.py"))
README = ROOT / "README.md"


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
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
