"""Which stored project each row of a file is. `Lookups` fetches once everything rows may name (the county's
projects, enterprises, zones, leaders, departments, this year's plans, the choices' labels); `Matcher` matches a
row by code where the file has codes, else by name and enterprise (normalised); a sequence number is never an
identity. Shared by the registry list (imports.registry_rows) and the monthly figures (imports.monthly_rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.imports.cells import CellError, identity, normalise
from keyprojects.imports.columns import CHOICE_ALIASES, CHOICE_CLASSES
from keyprojects.investment.models import AnnualPlan
from keyprojects.projects.models import Project


def _choice_index(key: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, label in CHOICE_CLASSES[key].choices:
        index[normalise(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                index[normalise(str(label))] = value
    for alias, value in CHOICE_ALIASES[key].items():
        index.setdefault(normalise(alias), value)
    return index


def _index(objects: Any, *keys: Any) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}
    for obj in objects:
        for key in {identity(k(obj)) for k in keys} - {""}:
            index.setdefault(key, []).append(obj)
    return index


@dataclass
class Lookups:
    """Everything rows may name, fetched once: enterprises, zones, leaders, departments, projects, plans."""

    county: Region
    enterprises: dict[str, list[Enterprise]]
    zones: dict[str, list[Region]]
    leaders: dict[str, list[User]]
    departments: dict[str, list[Department]]
    by_code: dict[str, Project]
    by_name: dict[str, list[Project]]
    plans: dict[int, Decimal]  # project → the year's planned total
    choices: dict[str, dict[str, str]]

    @classmethod
    def load(cls, county: Region, *, plan_year: int) -> Lookups:
        city_path = county.parent.path
        projects = list(
            Project.objects.filter(county=county)
            .select_related("enterprise", "zone", "leader_in_charge")
            .prefetch_related(
                Prefetch("responsible_departments", queryset=Department.objects.select_related("region"))
            )
        )
        for project in projects:
            project.county = county  # the services read county.parent: no query per row
        leaders = User.objects.filter(
            memberships__role=Membership.Role.LEADER, memberships__region=county
        ).distinct()
        plans = {
            project_id: total or Decimal(0)
            for project_id, total in AnnualPlan.objects.filter(project__county=county, year=plan_year)
            .values_list("project_id")
            .annotate(total=Sum("months__amount"))
        }
        return cls(
            county=county,
            enterprises=_index(
                Enterprise.objects.filter(region__path__startswith=city_path).select_related("region"),
                lambda e: e.name_zh,
                lambda e: e.name_en,
                lambda e: e.slug,
                lambda e: e.credit_code,
            ),
            zones=_index(
                Region.objects.filter(parent=county, kind=Region.Kind.ZONE),
                lambda r: r.name_zh,
                lambda r: r.name_en,
                lambda r: r.slug,
            ),
            leaders=_index(
                leaders,
                lambda u: u.username,
                lambda u: u.display_name,
                lambda u: u.get_full_name(),
                lambda u: str(u),
            ),
            departments=_index(
                Department.objects.filter(region__path__startswith=city_path).select_related("region"),
                lambda d: d.name_zh,
                lambda d: d.name_en,
                lambda d: d.slug,
            ),
            by_code={p.code: p for p in projects},
            by_name=_index(projects, lambda p: p.name_zh),
            plans=plans,
            choices={key: _choice_index(key) for key in CHOICE_CLASSES},
        )

    def one(self, index: dict[str, list[Any]], text: str, what: str) -> Any:
        found = index.get(identity(text), [])
        if len(found) > 1 and all(hasattr(o, "region") for o in found):
            # The same name in two counties of the city: the county's own wins.
            found = [o for o in found if o.region.path.startswith(self.county.path)] or found
        if len(found) > 1:
            raise CellError(
                _("More than one %(what)s is called this; write the unique name or code instead.")
                % {"what": what}
            )
        return found[0] if found else None


class Matcher:
    """Which stored project each row of a file is: by code where the file gives one, else by name and enterprise
    (normalised); a project named by two rows of one file is refused. Shared by the registry list and the monthly
    figures (imports.monthly)."""

    def __init__(self, lookups: Lookups, *, by_enterprise: bool) -> None:
        self.lookups = lookups
        # The file has an enterprise column: it tells apart projects of the same name.
        self.by_enterprise = by_enterprise
        self.seen: dict[Any, int] = {}

    def match(self, number: int, parsed: dict[str, Any], fail: Any) -> Project | None:
        """The stored project the row is, from its parsed code, name and enterprise; `fail(key, value, reason)`
        is told why a row cannot be the project it names."""
        code = parsed.get("code") or ""
        name = parsed.get("name_zh") or ""
        enterprise = parsed.get("enterprise")
        if code:
            # Which characters a code may hold is the model's rule (projects.models.validate_project_code),
            # checked with every other field in registry_checks.check_row; here a code is only looked up.
            key: Any = ("code", code)
            project = self.lookups.by_code.get(code)
            same = self.by_name(name, enterprise) if project is None and name else []
            if len(same) == 1:
                fail(
                    "code",
                    code,
                    _("This project is registered as %(code)s; write that code or leave the cell empty.")
                    % {"code": same[0].code},
                )
        else:
            found = self.by_name(name, enterprise) if name else []
            if len(found) > 1:
                # Taking either, or creating a third, would store the row on the wrong project: the office says which.
                reason = (
                    _(
                        "The registry has several projects of this name and enterprise (%(codes)s); add a column "
                        "with their codes so that each row says which."
                    )
                    if self.by_enterprise
                    else _(
                        "The registry has several projects of this name (%(codes)s); add the enterprise column, or "
                        "a column with their codes, so that each row says which."
                    )
                )
                fail("name_zh", name, reason % {"codes": "、".join(sorted(p.code for p in found))})
            project = found[0] if len(found) == 1 else None
            key = ("project", project.pk) if project else ("name", identity(name), _name_of(enterprise))
        if key in self.seen:
            fail(
                "code" if code else "name_zh",
                code or name,
                _("Row %(row)s of this file is the same project.") % {"row": self.seen[key]},
            )
        else:
            self.seen[key] = number
            if project is not None:
                self.seen.setdefault(("project", project.pk), number)
        return project

    def by_name(self, name: str, enterprise: Any) -> list[Project]:
        """The stored projects of this name (and of this enterprise, when the file has the column)."""
        found = self.lookups.by_name.get(identity(name), [])
        if self.by_enterprise:
            found = [p for p in found if identity(p.enterprise.name_zh) == identity(_name_of(enterprise))]
        return found


def _name_of(enterprise: Any) -> str:
    return enterprise.name_zh if enterprise is not None else ""
