"""Fill khaibao/locale/vi/LC_MESSAGES/django.po with msgstr values from other .po files.

Used to merge translation work done in parts: `python scripts/po_merge.py part1.po part2.po ...`.
Only empty or fuzzy entries are filled; existing translations are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

TARGET = Path(__file__).resolve().parent.parent / "khaibao" / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def main(parts: list[str]) -> None:
    with TARGET.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    source = {}
    for part in parts:
        with open(part, "rb") as fh:
            for message in read_po(fh, locale="vi"):
                if message.id and message.string:
                    source[(message.context, message.id if isinstance(message.id, str) else tuple(message.id))] = message.string
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        key = (message.context, message.id if isinstance(message.id, str) else tuple(message.id))
        empty = (
            not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
            or message.fuzzy  # makemessages' guesses from similar strings are not translations
        )
        if empty and key in source:
            message.string = source[key]
            message.flags.discard("fuzzy")
            filled += 1
    with TARGET.open("wb") as fh:
        write_po(fh, catalog, width=0)
    missing = sum(1 for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not any(m.string))))
    print(f"filled {filled}; still untranslated {missing}")


if __name__ == "__main__":
    main(sys.argv[1:])
