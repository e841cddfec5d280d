"""Fail when the Vietnamese catalogue is stale or incomplete.

Vietnamese is the default language, so an English msgid without a translation is a bug a
citizen sees. Re-extracts the strings with `makemessages` (into a scratch copy of the
catalogue, restored afterwards), then checks that no msgid is missing and none is untranslated.
Run by `make lint`; fix with `make messages` and translate what it adds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "khaibao" / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def _ids(path: Path) -> tuple[set[object], set[object]]:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    ids, untranslated = set(), set()
    for message in catalog:
        if not message.id:
            continue
        key = (message.context, message.id if isinstance(message.id, str) else tuple(message.id))
        ids.add(key)
        empty = not message.string or (isinstance(message.string, tuple) and not all(message.string))
        if empty or message.fuzzy:
            untranslated.add(key)
    return ids, untranslated


def main() -> int:
    committed, untranslated = _ids(PO)
    backup = Path(tempfile.mkdtemp()) / "django.po"
    shutil.copy2(PO, backup)
    try:
        env = {**os.environ, "DEBUG": "1"}
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
            [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "vi", "--no-location", "--no-obsolete"],
            cwd=ROOT / "khaibao", env=env, check=True, capture_output=True,
        )
        extracted, _ = _ids(PO)
    finally:
        shutil.copy2(backup, PO)
    missing = extracted - committed
    problems = 0
    for _context, msgid in sorted(missing, key=str):
        print(f"not in the catalogue (run `make messages`): {msgid!r}")
        problems += 1
    for _context, msgid in sorted(untranslated & extracted, key=str):
        print(f"untranslated or fuzzy in django.po: {msgid!r}")
        problems += 1
    if problems:
        print(f"{problems} translation problem(s)", file=sys.stderr)
        return 1
    print(f"translations: {len(extracted)} strings, all in Vietnamese")
    return 0


if __name__ == "__main__":
    sys.exit(main())
