"""Names the system makes up for organisations and people known by their Chinese name only (an imported list):
an English name and a slug in pinyin, which the office can edit later."""

from __future__ import annotations

import re
import unicodedata

from django.utils.text import slugify
from pypinyin import lazy_pinyin


def pinyin_name(name_zh: str) -> str:
    """河北梁山新材料有限公司 → He Bei Liang Shan Xin Cai Liao You Xian Gong Si: one word per character, since
    Chinese writes no word breaks to follow; Latin letters and digits in the name are kept as they are."""
    parts = [
        p.capitalize() if p.islower() else p
        for p in (p.strip() for p in lazy_pinyin(unicodedata.normalize("NFKC", name_zh)))
        if p
    ]
    return re.sub(r"\s+", " ", " ".join(parts))[:200] or name_zh[:200]


def unique_slug(name_zh: str, taken: set[str], *, prefix: str = "", max_length: int = 60) -> str:
    """A slug from the pinyin of the name, made unique against `taken` (which is updated)."""
    base = slugify(f"{prefix} {' '.join(lazy_pinyin(name_zh))}")[: max_length - 4].strip("-") or "x"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug
