"""The Chinese catalogue is complete, matches the source, and is what pages really render with."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trim_whitespace

from keyprojects.accounts.services import user_set_language

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
# What `make messages` reads: makemessages' default extensions, without tests and the catalogue itself.
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
SKIPPED_DIRS = {"locale", "tests", "__pycache__"}
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge")

# %(name)s, %s, %d … and {name}; "%%" (a literal percent sign) is matched only to be dropped.
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|\{[A-Za-z_]\w*\}")
BLOCKTRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b(?P<args>.*?)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}", re.S
)
TEMPLATE_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
TEMPLATE_CONTEXT = re.compile(r"""\bcontext\s+(["'])(.*?)\1""")

Key = tuple[str | None, str]


def _catalogue() -> polib.POFile:
    assert CATALOGUE.exists(), f"{CATALOGUE} is missing: run `make messages` and translate it."
    return polib.pofile(str(CATALOGUE))


def _live(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def _keys(po: polib.POFile) -> set[Key]:
    return {(e.msgctxt, e.msgid) for e in _live(po)}


def _placeholders(text: str) -> tuple[list[str], list[str]]:
    """Named placeholders (each may be used any number of times) and positional ones (counted)."""
    found = [p for p in PLACEHOLDER.findall(text) if p != "%%"]
    named = sorted({p for p in found if p.startswith(("%(", "{"))})
    return named, sorted(p for p in found if not p.startswith(("%(", "{")))


def _where(entry: polib.POEntry) -> str:
    return ", ".join(f"{path}:{line}" for path, line in entry.occurrences) or "?"


def test_it_translates_every_entry_of_the_chinese_catalogue():
    po = _catalogue()
    untranslated = [f"{e.msgid!r} ({_where(e)})" for e in po.untranslated_entries()]
    fuzzy = [f"{e.msgid!r} ({_where(e)})" for e in po.fuzzy_entries()]
    assert not untranslated, "Untranslated in django.po:\n" + "\n".join(untranslated)
    assert not fuzzy, "Fuzzy (machine-guessed, unchecked) in django.po:\n" + "\n".join(fuzzy)
    assert not po.metadata_is_fuzzy, "The header of django.po is still marked fuzzy."
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


def test_it_keeps_every_placeholder_in_the_translation():
    mismatched = []
    for entry in _live(_catalogue()):
        expected = _placeholders(entry.msgid_plural or entry.msgid)
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for msgstr in translations:
            if msgstr and _placeholders(msgstr) != expected:
                mismatched.append(f"{entry.msgid!r} → {msgstr!r}")
    assert not mismatched, "Placeholders differ between msgid and msgstr:\n" + "\n".join(mismatched)


@pytest.fixture
def extracted(tmp_path, settings, monkeypatch) -> polib.POFile:
    """A fresh catalogue extracted by makemessages from a copy of the package; the tree is not touched."""
    missing_tools = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing_tools:
        pytest.fail(
            f"makemessages needs GNU gettext ({', '.join(missing_tools)} not found): "
            "install the Debian package gettext (`make setup` does)."
        )
    copy = tmp_path / "src" / PACKAGE.name
    for path in PACKAGE.rglob("*"):
        relative = path.relative_to(PACKAGE)
        if path.suffix in SOURCE_SUFFIXES and path.is_file() and not SKIPPED_DIRS & set(relative.parts):
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy / relative)
    output = tmp_path / "catalogue"
    output.mkdir()
    settings.LOCALE_PATHS = [output]
    monkeypatch.chdir(tmp_path / "src")
    call_command("makemessages", locale=["zh_Hans"], verbosity=0, stdout=io.StringIO())
    return polib.pofile(str(output / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_it_catalogues_every_translatable_string_in_the_source(extracted):
    catalogued = _keys(_catalogue())
    missing = [
        f"{e.msgid!r} ({_where(e)})" for e in _live(extracted) if (e.msgctxt, e.msgid) not in catalogued
    ]
    assert not missing, (
        f"{len(missing)} strings of the source are not in django.po; run `make messages` and translate them:\n"
        + "\n".join(missing)
    )


def _lazy_msgid(value: object) -> Key | None:
    """The (context, msgid) of a gettext_lazy / pgettext_lazy string, None for anything else."""
    if not isinstance(value, Promise):
        return None
    # A lazy string pickles as (unpickle, (func, args, kwargs, *result classes)): the call it stands for.
    func, args = value.__reduce__()[1][:2]
    if func is translation.gettext:
        return None, args[0]
    if func is translation.pgettext:
        return args[0], args[1]
    return None


def _ours(module: str) -> bool:
    return module.startswith("keyprojects.")


def _model_labels() -> dict[Key, str]:
    """Every lazily translated label our apps and models declare: verbose names, help texts, choices.

    Fields inherited from Django's abstract models (AbstractUser…) and the history models that
    django-simple-history generates are labelled by those packages' own catalogues.
    """
    labels: dict[Key, str] = {}

    def add(value: object, where: str) -> None:
        key = _lazy_msgid(value)
        if key is not None:
            labels.setdefault(key, where)

    for config in apps.get_app_configs():
        if not _ours(config.name):
            continue
        add(config.verbose_name, config.name)
        for model in config.get_models():
            if hasattr(model, "instance_type"):  # a django-simple-history model
                continue
            inherited = {
                field.name
                for base in model.__mro__[1:]
                if getattr(getattr(base, "_meta", None), "abstract", False) and not _ours(base.__module__)
                for field in base._meta.get_fields()
            }
            where = model._meta.label
            add(model._meta.verbose_name, where)
            add(model._meta.verbose_name_plural, where)
            for field in model._meta.get_fields():
                if field.name in inherited or field.auto_created:
                    continue
                add(getattr(field, "verbose_name", None), f"{where}.{field.name}")
                add(getattr(field, "help_text", None), f"{where}.{field.name}")
                for _value, label in getattr(field, "flatchoices", None) or ():
                    add(label, f"{where}.{field.name}")
    return labels


def test_it_catalogues_the_lazy_labels_of_every_model():
    labels = _model_labels()
    assert (None, "leader in charge") in labels, "model introspection found no choices"
    assert (None, "unified social credit code") in labels, "model introspection found no verbose names"
    catalogued = _keys(_catalogue())
    missing = [f"{key[1]!r} ({where})" for key, where in labels.items() if key not in catalogued]
    assert not missing, "Model labels missing from django.po:\n" + "\n".join(missing)


def _blocktranslate_msgids() -> dict[Key, str]:
    """The msgid Django extracts from each {% blocktranslate %} of our templates."""
    found: dict[Key, str] = {}
    for template in sorted(PACKAGE.rglob("templates/**/*.html")):
        if SKIPPED_DIRS & set(template.relative_to(PACKAGE).parts):
            continue
        for match in BLOCKTRANSLATE.finditer(template.read_text(encoding="utf-8")):
            args, body = match["args"], re.split(r"{%\s*plural\s*%}", match["body"])[0]
            if re.search(r"\btrimmed\b", args):
                body = trim_whitespace(body)
            msgid = TEMPLATE_VARIABLE.sub(r"%(\1)s", body.replace("%", "%%"))
            context = TEMPLATE_CONTEXT.search(args)
            found[(context[2] if context else None, msgid)] = str(template.relative_to(PACKAGE))
    return found


def test_it_catalogues_every_blocktranslate_of_the_templates():
    found = _blocktranslate_msgids()
    assert (None, "Page %(n)s of %(total)s") in found, "the template scan found no blocktranslate"
    catalogued = _keys(_catalogue())
    missing = [f"{key[1]!r} ({where})" for key, where in found.items() if key not in catalogued]
    assert not missing, "blocktranslate strings missing from django.po:\n" + "\n".join(missing)


def test_it_has_compiled_the_current_catalogue():
    assert COMPILED.exists(), f"{COMPILED.name} is missing: run `make setup` (it runs compilemessages)."
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(COMPILED)) if e.msgid}
    current = {
        (e.msgctxt, e.msgid): e.msgstr for e in _catalogue().translated_entries() if not e.msgid_plural
    }
    stale = sorted(key[1] for key, msgstr in current.items() if compiled.get(key) != msgstr)
    assert not stale, f"{COMPILED.name} is older than django.po: run `make setup`. Differs for: {stale[:10]}"


def test_it_renders_the_home_page_in_chinese_by_default(client, login):
    user = login("office.julu")
    assert user.language == "zh-hans"

    html = client.get(reverse("dashboards:home")).content.decode()

    assert '<html lang="zh-hans">' in html
    assert f'<a href="{reverse("accounts:department_list")}">部门</a>' in html  # the navigation
    assert "欢迎您，" in html  # a blocktranslate
    assert "<strong>县项目办</strong>" in html  # a lazily translated choice: the user's role
    assert "退出登录" in html
    assert "Departments" not in html
    assert "Log out" not in html


def test_it_renders_the_home_page_in_english_once_the_user_chooses_english(client, login):
    user = login("office.julu")
    user_set_language(user=user, language="en")

    html = client.get(reverse("dashboards:home")).content.decode()

    assert '<html lang="en">' in html
    assert f'<a href="{reverse("accounts:department_list")}">Departments</a>' in html
    assert "Welcome, " in html
    assert "<strong>county project office</strong>" in html
    assert "Log out" in html
    assert "退出登录" not in html
