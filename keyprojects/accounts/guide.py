"""The user guides: one short Markdown file per role and language in docs/guide/, rendered in the product.

The files are written to be read on GitHub as they are: they link to each other as `office.md` and show
the browser tests' screenshots as `../../screenshots/home-zh.png`. Rendering rewrites those links to the
product's own addresses (the guide pages and the screenshot view), so one file serves both readers.

Pure functions over the files; the views (guide_views.py) only pick the language and answer.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from pathlib import Path, PurePosixPath

import markdown
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import strip_tags
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

from keyprojects.accounts.models import Membership
from keyprojects.accounts.permissions import scope_for

Role = Membership.Role
# A membership's role → its guide (docs/guide/<language>/<guide>.md), in the order the index lists them.
GUIDE_FOR_ROLE = {
    Role.COUNTY_OFFICE: "office",
    Role.LEADER: "leader",
    Role.DEPARTMENT: "department",
    Role.ENTERPRISE: "enterprise",
    Role.CITY_OFFICE: "city",
}
# The guides' titles are the roles' own names.
ROLES: dict[str, Promise] = {guide: role.label for role, guide in GUIDE_FOR_ROLE.items()}
LANGUAGES = ("zh", "en")
INDEX = "index"
SCREENSHOT_NAME = re.compile(r"^[a-z0-9-]+\.png$")
SCREENSHOT_PREFIX = "../../screenshots/"
FIRST_HEADING = re.compile(r"\s*<h1[^>]*>(.*?)</h1>\s*", re.S)


def docs_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs"


def guide_language(language_code: str | None) -> str:
    """The guides' language for a Django language code: Chinese for any zh-*, English otherwise."""
    return "zh" if (language_code or "").lower().startswith("zh") else "en"


def guide_file(name: str, language: str) -> Path | None:
    """docs/guide/<language>/<name>.md if it exists: `name` is a role or "index"."""
    if (name not in ROLES and name != INDEX) or language not in LANGUAGES:
        return None
    path = docs_dir() / "guide" / language / f"{name}.md"
    return path if path.is_file() else None


def guide_roles() -> list[str]:
    """The roles that have a guide in at least one language, in the index's order."""
    return [role for role in ROLES if any(guide_file(role, lang) for lang in LANGUAGES)]


def roles_for_user(user) -> list[str]:
    """The guides of the roles the user holds (an administrator holds no guide role of their own)."""
    held = {GUIDE_FOR_ROLE.get(role) for role in scope_for(user).roles}
    return [role for role in ROLES if role in held]


def screenshot_file(name: str) -> Path | None:
    """docs/screenshots/<name> when `name` is a plain lower-case .png name that exists, else None."""
    if not SCREENSHOT_NAME.match(name):
        return None
    path = docs_dir() / "screenshots" / name
    return path if path.is_file() else None


@dataclass(frozen=True)
class Guide:
    name: str  # a role, or "index"
    language: str  # the language of the file shown: the one asked for, or the other when it is missing
    title: str  # the first heading, as plain text
    html: str  # everything after the first heading (the page draws the heading itself)
    fell_back: bool  # shown in the other language because the asked one has no file


def guide_render(name: str, language: str) -> Guide | None:
    """The guide `name` in `language`, or in the other language when that file is missing; None when
    neither exists (an unknown role included)."""
    language = language if language in LANGUAGES else "en"
    order = (language, *(lang for lang in LANGUAGES if lang != language))
    for lang in order:
        path = guide_file(name, lang)
        if path is not None:
            stat = path.stat()
            title, html = _render(str(path), stat.st_mtime_ns, stat.st_size)
            return Guide(name=name, language=lang, title=title, html=html, fell_back=lang != language)
    return None


@lru_cache(maxsize=64)
def _render(path: str, mtime_ns: int, size: int) -> tuple[str, str]:
    """(first heading, HTML) of a guide file; cached until the file changes (mtime and size are the key)."""
    md = markdown.Markdown(
        extensions=["tables", "toc", _ProductLinks()],
        extension_configs={"toc": {"slugify": slugify_unicode}},  # Chinese headings keep readable anchors
        output_format="html",
    )
    html = md.convert(Path(path).read_text(encoding="utf-8"))
    first = FIRST_HEADING.match(html)
    if first is None:
        return Path(path).stem, html
    return unescape(strip_tags(first.group(1))).strip(), html[first.end() :]


def referenced_screenshots(text: str) -> list[str]:
    """The screenshot names a guide's Markdown refers to (`../../screenshots/<name>`), in order."""
    return re.findall(r"\.\./\.\./screenshots/([^)\s\"']+)", text)


def _product_url(target: str) -> str | None:
    """The product's address for a link written for GitHub, or None to leave the link as it is."""
    if target.startswith(SCREENSHOT_PREFIX):
        name = target[len(SCREENSHOT_PREFIX) :]
        if SCREENSHOT_NAME.match(name):
            return reverse("accounts:guide_screenshot", kwargs={"name": name})
        return None
    if "/" in target or ":" in target or not target.endswith(".md"):
        return None  # another site, an anchor, or a file elsewhere in the repository
    stem = PurePosixPath(target).stem
    if stem == INDEX:
        return reverse("accounts:guide_index")
    if stem in ROLES:
        return reverse("accounts:guide", kwargs={"role": stem})
    return None


class _LinksTreeprocessor(Treeprocessor):
    """Repository links → product addresses; tables into a scrolling wrapper (a phone is 390 px wide)."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("src", "href"):
                value = element.get(attribute)
                if value:
                    url = _product_url(value)
                    if url is not None:
                        element.set(attribute, url)
            if element.tag == "img":
                element.set("loading", "lazy")
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "table":
                    # Focusable, so that a keyboard can scroll a table wider than the phone.
                    wrap = etree.Element("div", {"class": "table-wrap", "tabindex": "0"})
                    parent.remove(child)
                    wrap.append(child)
                    wrap.tail, child.tail = child.tail, None
                    parent.insert(index, wrap)


class _ProductLinks(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinksTreeprocessor(md), "keyprojects_links", 5)


def help_url(user) -> str:
    """Where the top bar's "?" leads: straight to the user's guide when they hold exactly one guide role,
    else to the index that lists theirs first."""
    roles = roles_for_user(user)
    if len(roles) == 1 and roles[0] in guide_roles():
        return reverse("accounts:guide", kwargs={"role": roles[0]})
    return reverse("accounts:guide_index")


def help_link(request: HttpRequest) -> dict:
    """Context processor: the "?" link's address for a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"shell_help_url": help_url(user)}
