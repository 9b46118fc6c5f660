"""Chinese is the default: every message has a zh-hans translation; the compiled catalogue is current."""

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "src" / "puhui" / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(*, with_plural: bool = False) -> list[tuple]:
    """(msgid, msgstr) of every entry, the first form of a plural one; `with_plural`: (msgid, plural, msgstr)."""
    text = (LOCALE / "django.po").read_text()
    entries = []
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        plural = re.search(r'^msgid_plural ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r"^msgstr(?:\[0\])? ((?:\".*\"\n?)+)", block, re.M)
        if not msgid or not msgstr:
            continue

        def join(group: str) -> str:
            return "".join(re.findall(r'"(.*)"', group)).encode().decode("unicode_escape").encode("latin-1").decode()

        if join(msgid.group(1)):
            texts = (join(msgid.group(1)), join(plural.group(1)) if plural else None, join(msgstr.group(1)))
            entries.append(texts if with_plural else (texts[0], texts[2]))
    return entries


def test_every_message_is_translated():
    entries = _entries()
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in (LOCALE / "django.po").read_text()


def test_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    # a plural entry through ngettext: what gettext() answers for one differs between Python releases
    stale = [
        msgid
        for msgid, plural, msgstr in _entries(with_plural=True)
        if (catalogue.ngettext(msgid, plural, 1) if plural else catalogue.gettext(msgid)) != msgstr
    ]
    assert stale == [], "run `make messages`"
