"""Text that people write, kept per language.

A county office writes in Chinese; an investor's liaison or a visiting English-speaking official may write in
English, and the office may add a translation. Each translatable text is stored in two fields, ``<name>_zh``
and ``<name>_en``, and shown in the reader's language, falling back to the other one when it is empty: never
both glued together in one field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language

# CJK Unified Ideographs (with extension A) and the CJK punctuation block: enough to tell Chinese from English.
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def language_is_chinese() -> bool:
    return (get_language() or settings.LANGUAGE_CODE).lower().startswith("zh")


def in_active_language(zh: str, en: str) -> str:
    """The text in the reader's language, or the other one when that is empty."""
    if language_is_chinese():
        return zh or en
    return en or zh


def is_chinese_text(text: str) -> bool:
    return bool(_CHINESE.search(text))


@dataclass(frozen=True)
class Bilingual:
    """One text in both languages; either side may be empty."""

    zh: str = ""
    en: str = ""

    @classmethod
    def of(cls, value: str | Bilingual) -> Bilingual:
        """A text as someone typed it in one box is filed under the language it is written in; a pair is kept."""
        if isinstance(value, Bilingual):
            return cls(value.zh.strip(), value.en.strip())
        text = (value or "").strip()
        return cls(zh=text) if is_chinese_text(text) else cls(en=text)

    def __bool__(self) -> bool:
        return bool(self.zh or self.en)

    def __str__(self) -> str:
        return in_active_language(self.zh, self.en)

    def fields(self, name: str) -> dict[str, str]:
        """Model field values: ``{"title_zh": …, "title_en": …}``."""
        return {f"{name}_zh": self.zh, f"{name}_en": self.en}

    def merged_into(self, current: Bilingual) -> Bilingual:
        """A correction typed in one language replaces that language only; the other side is kept."""
        return Bilingual(self.zh or current.zh, self.en or current.en)


def unglued(text: str) -> Bilingual:
    """A text written before the two fields existed: "中文 / English" in one field (as offices used to
    write them) is split; any other text is filed by its script. Used by the data migrations."""
    zh, sep, en = text.partition(" / ")
    if sep and is_chinese_text(zh) and en.strip() and not is_chinese_text(en):
        return Bilingual(zh.strip(), en.strip())
    return Bilingual.of(text)


def stored(instance, name: str) -> Bilingual:
    return Bilingual(getattr(instance, f"{name}_zh"), getattr(instance, f"{name}_en"))


def store(instance, name: str, text: Bilingual) -> list[str]:
    """Put both languages of `text` on the instance; the field names, for save(update_fields=…)."""
    for field, value in text.fields(name).items():
        setattr(instance, field, value)
    return [f"{name}_zh", f"{name}_en"]


def translated(name: str) -> property:
    """A read-only attribute showing ``<name>_zh`` / ``<name>_en`` in the reader's language."""

    def shown(self) -> str:
        return in_active_language(getattr(self, f"{name}_zh"), getattr(self, f"{name}_en"))

    shown.__doc__ = f"The {name} in the reader's language, falling back to the other one."
    return property(shown)
