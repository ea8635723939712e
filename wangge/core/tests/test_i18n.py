"""The Chinese catalogue is complete and its compiled form is current: the UI must never fall back to English."""

from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


class CatalogueTests:
    def test_it_translates_every_entry(self) -> None:
        po = polib.pofile(str(CATALOGUE / "django.po"))
        untranslated = [entry.msgid for entry in po.untranslated_entries()]
        fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
        assert untranslated == []
        assert fuzzy == []

    def test_it_keeps_the_compiled_catalogue_current(self) -> None:
        po = polib.pofile(str(CATALOGUE / "django.po"))
        mo = polib.mofile(str(CATALOGUE / "django.mo"))
        compiled = {(entry.msgctxt, entry.msgid): (entry.msgstr, entry.msgstr_plural) for entry in mo}
        for entry in po.translated_entries():
            assert compiled.get((entry.msgctxt, entry.msgid)) == (entry.msgstr, entry.msgstr_plural), entry.msgid

    def test_it_speaks_chinese_by_default(self) -> None:
        assert settings.LANGUAGE_CODE == "zh-hans"
        with translation.override("zh-hans"):
            assert translation.gettext("Coverage report") == "包干覆盖报告"
        with translation.override("en"):
            assert translation.gettext("Coverage report") == "Coverage report"
