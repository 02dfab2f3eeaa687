"""The gettext catalogues (locale/<language>/LC_MESSAGES/django.po and the committed .mo) and the templates that use
them. Checked without the gettext tools, which a fresh machine may lack: the .po is read by a small parser below, the
.mo by Python's own gettext module, and the translatable strings are found the way `makemessages` finds them
(Django's templatize for templates, the Python syntax tree for code)."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.REFERENCE_LANGUAGE]
# Every page a panelist sees and every email they get: each text must go through the catalogues.
PANEL_TEMPLATES = [*sorted((ROOT / "templates" / "panel").glob("*.html")), ROOT / "templates" / "base.html"]
# The emails a panelist gets (the others go to registry users and stay English for now).
EMAIL_TEMPLATES = sorted(
    path for path in (ROOT / "templates" / "emails").glob("*.txt") if path.name.startswith(("panelist_", "round_"))
)
# What must hold no text outside the translation tags: what a panelist reads. The public and facilitator pages are
# English for now (partly marked up already); their catalogue entries may stay empty.
TRANSLATED_TEMPLATES = [*PANEL_TEMPLATES, *EMAIL_TEMPLATES]
CODE_DIRS = ["outcomes", "diseases", "cos_registry"]
GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}


@dataclass
class Entry:
    msgid: str = ""
    msgstr: str = ""
    msgid_plural: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    msgctxt: str | None = None
    flags: set[str] = field(default_factory=set)


_STRING = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def po_entries(path: Path) -> list[Entry]:
    """The entries of a .po file (enough of the format for the catalogues `makemessages` writes)."""
    entries, entry, key = [], Entry(), None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if key is not None:
                entries.append(entry)
            entry, key = Entry(), None
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _append(entry, key, ast.literal_eval(line))
        else:
            match = _STRING.match(line)
            assert match, f"{path}: cannot read {line!r}"
            key = match.group(1)
            if match.group(2) is not None:
                key = int(match.group(2))
            _append(entry, key, ast.literal_eval(match.group(3)), start=True)
    return entries


def _append(entry: Entry, key, text: str, start: bool = False) -> None:
    if isinstance(key, int):
        entry.msgstr_plural[key] = ("" if start else entry.msgstr_plural.get(key, "")) + text
    elif key == "msgid_plural":
        entry.msgid_plural = ("" if start else entry.msgid_plural or "") + text
    elif key == "msgctxt":
        entry.msgctxt = ("" if start else entry.msgctxt or "") + text
    else:
        setattr(entry, key, ("" if start else getattr(entry, key)) + text)


def catalogue(language: str) -> list[Entry]:
    return [e for e in po_entries(ROOT / "locale" / language / "LC_MESSAGES" / "django.po") if e.msgid]


_CALL = re.compile(r"\b(pgettext|ngettext|gettext)\(")
_LITERAL = re.compile(r"""\s*(u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*")\s*,?""")


def template_msgids(path: Path) -> set[str]:
    """What makemessages extracts from a template: Django's templatize turns it into gettext() calls."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = set()
    for call in _CALL.finditer(code):
        literals, position = [], call.end()
        while match := _LITERAL.match(code, position):
            literals.append(ast.literal_eval(match.group(1)))
            position = match.end()
        if literals:
            found.add(literals[1] if call.group(1) == "pgettext" else literals[0])
    return found


def code_msgids(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", None))
        first = node.args[0] if isinstance(node, ast.Call) and node.args else None
        if name in GETTEXT_FUNCTIONS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
    return found


def translatable_strings() -> dict[str, str]:
    """Every string marked for translation in the templates and the code, with where it is."""
    strings: dict[str, str] = {}
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            strings.update({msgid: str(path.relative_to(ROOT)) for msgid in template_msgids(path)})
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if "migrations" not in path.parts:
                strings.update({msgid: str(path.relative_to(ROOT)) for msgid in code_msgids(path)})
    return strings


# --- the catalogues --------------------------------------------------------------------------------------------------


def test_the_registry_offers_english_german_french_spanish_and_italian():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "de", "fr", "es", "it"]


def panel_strings() -> dict[str, str]:
    """What a panelist reads: the panel pages, the base template around them, the emails, and the messages of the
    code (choice labels, refusals, page messages)."""
    strings = {
        msgid: str(p.relative_to(ROOT)) for p in PANEL_TEMPLATES + EMAIL_TEMPLATES for msgid in template_msgids(p)
    }
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if "migrations" not in path.parts:
                strings.update({msgid: str(path.relative_to(ROOT)) for msgid in code_msgids(path)})
    return strings


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_has_no_fuzzy_entry(language):
    header = po_entries(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")[0]
    assert "fuzzy" not in header.flags, "the header is still marked fuzzy"
    assert f"Language: {language}\\n" in header.msgstr.replace("\n", "\\n")
    assert [e.msgid for e in catalogue(language) if "fuzzy" in e.flags] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_holds_every_string_marked_in_the_templates_and_code(language):
    have = {e.msgid for e in catalogue(language)}
    missing = {msgid: where for msgid, where in translatable_strings().items() if msgid not in have}
    assert missing == {}, f"{language}: run `manage.py makemessages -l {language}` and translate these"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_translates_every_string_a_panelist_reads(language):
    """The public and facilitator pages may stay English (an empty entry); the panel pages and emails may not."""
    translated = {
        e.msgid for e in catalogue(language) if e.msgstr or (e.msgstr_plural and all(e.msgstr_plural.values()))
    }
    untranslated = {msgid: where for msgid, where in panel_strings().items() if msgid not in translated}
    assert untranslated == {}, f"{language}: translate these in locale/{language}/LC_MESSAGES/django.po"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_translation_keeps_the_placeholders_of_its_english(language):
    placeholder = re.compile(r"%\([a-z_]+\)s|%%")
    wrong = [
        e.msgid
        for e in catalogue(language)
        if e.msgstr and sorted(placeholder.findall(e.msgid)) != sorted(placeholder.findall(e.msgstr))
    ]
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_is_the_compiled_po_file(language):
    """A .mo that lags behind its .po serves old or no translations; compile with `manage.py compilemessages`."""
    with open(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # msgid -> msgstr (plurals keyed (msgid, n))
    expected = {}
    for e in catalogue(language):
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None and e.msgstr:  # msgfmt leaves an untranslated (English) entry out
            expected[key] = e.msgstr
        elif e.msgid_plural is not None and all(e.msgstr_plural.values()):
            expected.update({(key, n): text for n, text in e.msgstr_plural.items()})
    compiled = {k: v for k, v in compiled.items() if k != ""}  # the header
    assert compiled == expected


# --- templates: no text outside the translation tags ------------------------------------------------------------------

# Text a panel template may hold outside the tags: punctuation, numbers and the "n=" of a group size.
ALLOWED_WORDS = {"n"}
USER_VISIBLE_ATTRIBUTES = re.compile(r'\b(aria-label|title|alt|placeholder|value)="([^"]*)"')


def untranslated_text(path: Path) -> list[str]:
    """Words in a template that are neither in {% translate %} / {% blocktranslate %} nor in a variable or tag:
    text a panelist would read in English whatever their language."""
    tokens = Lexer(path.read_text(encoding="utf-8")).tokenize()
    depth, comment, parts = 0, False, []
    for token in tokens:
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            depth += name in ("blocktranslate", "blocktrans")
            depth -= name in ("endblocktranslate", "endblocktrans")
            comment = (comment or name == "comment") and name != "endcomment"
            parts.append("\x00")
        elif token.token_type == TokenType.VAR:
            parts.append("\x00")
        elif token.token_type == TokenType.TEXT and depth == 0 and not comment:
            parts.append(token.contents)
    text = "".join(parts)
    visible = [value for name, value in USER_VISIBLE_ATTRIBUTES.findall(text) if name != "value"]
    text = re.sub(r"<code\b.*?</code>", " ", text, flags=re.S)  # code (column names, commands) is not translated
    text = re.sub(r"<!doctype[^>]*>|<[^>]*>", " ", text, flags=re.I)  # tags and their attributes
    words = re.findall(r"[^\W\d_]+", " ".join([text, *visible]).replace("\x00", " "))
    return [word for word in words if word not in ALLOWED_WORDS]


@pytest.mark.parametrize("path", TRANSLATED_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_untranslated_text(path):
    """The panel pages and the panelists' emails are translated: no word of theirs escapes the catalogues."""
    words = untranslated_text(path)
    if path.name == "base.html":  # the brand name and the page title's separator are not translated
        words = [w for w in words if w not in {"COS", "Registry"}]
    assert words == [], f"{path.name}: wrap these in {{% translate %}} or {{% blocktranslate %}}"


# Every template of the site (not the admin's and the API browser's, which come with their own): the public and
# facilitator pages may show English for now, but their text is marked up, ready for a translator.
SITE_TEMPLATES = sorted(
    path
    for path in (ROOT / "templates").rglob("*")
    if path.suffix in (".html", ".txt")
    and path.relative_to(ROOT / "templates").parts[0] not in ("admin", "drf_spectacular")
)
# Names that stay as they are in every language.
UNTRANSLATED_NAMES = {"COS", "Registry"}


@pytest.mark.parametrize("path", SITE_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_site_template_is_marked_up_for_translation(path):
    """No word of any site template escapes the catalogues, whether or not its language is translated yet."""
    words = untranslated_text(path)
    if path.name == "base.html":  # the brand name in the title and the header
        words = [w for w in words if w not in UNTRANSLATED_NAMES]
    assert words == [], f"{path.relative_to(ROOT)}: wrap these in {{% translate %}} or {{% blocktranslate %}}"


def test_every_site_template_is_checked():
    """The public, facilitator, registration, error, audit and email templates are all among those checked."""
    folders = {path.relative_to(ROOT / "templates").parts[0] for path in SITE_TEMPLATES}
    assert {"public", "facilitator", "registration", "errors", "audit", "emails", "panel"} <= folders
    assert not folders & {"admin", "drf_spectacular"}


def test_the_untranslated_text_check_finds_text_outside_the_tags(tmp_path):
    template = tmp_path / "t.html"
    template.write_text(
        '{% load i18n %}<p>{% translate "Fine" %}</p><p>Not translated</p>'
        '<a aria-label="Close">{% blocktranslate %}Also fine {{ x }}{% endblocktranslate %}</a>'
    )
    assert untranslated_text(template) == ["Not", "translated", "Close"]
