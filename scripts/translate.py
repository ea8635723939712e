"""Developer tool: compile a catalogue to .mo without GNU gettext, and report untranslated entries.

    python scripts/translate.py wangge/locale/zh_Hans/LC_MESSAGES/django.po [TABLE.py ...]

With TABLE.py files (each defining ZH: msgid → msgstr and PLURAL: msgid → the one Chinese form), entries are
filled from them first (later tables win). Exits 1 while any entry is untranslated.
"""

import runpy
import sys

import polib


def main(po_path: str, *table_paths: str) -> int:
    singular: dict[str, str] = {}
    plural: dict[str, str] = {}
    for table_path in table_paths:
        table = runpy.run_path(table_path)
        singular.update(table.get("ZH", {}))
        plural.update(table.get("PLURAL", {}))
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            # makemessages guesses fuzzy translations from similar strings: never trust a guess.
            entry.msgstr = ""
            entry.msgstr_plural = {index: "" for index in entry.msgstr_plural}
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        if entry.msgid_plural:
            if entry.msgid in plural:
                entry.msgstr_plural = {0: plural[entry.msgid]}
        elif entry.msgid in singular:
            entry.msgstr = singular[entry.msgid]
        if not (entry.msgstr or any(entry.msgstr_plural.values())):
            missing.append(entry.msgid)
    po.metadata_is_fuzzy = False
    po.header = "Simplified Chinese translation of wangge."
    po.metadata["Project-Id-Version"] = "wangge"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Language"] = "zh_Hans"
    po.save()
    po.save_as_mofile(po_path[:-3] + ".mo")
    for msgid in missing:
        print(f"missing: {msgid!r}")
    print(f"{len(po) - len(missing)} translated, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
