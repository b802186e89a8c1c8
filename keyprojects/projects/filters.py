"""The registry list's filters, declared once: the list page, the map, the exports and the API filter by them.
The drop-downs offer what the asking user's offices cover; the values are kept in the query string."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.accounts.permissions import paths_q, scope_for
from keyprojects.core.filters import CheckFilter, ListFilterSet
from keyprojects.projects import selectors
from keyprojects.projects.models import Category, Health, Level, Project, Stage

ALL = _("all")
# The most departments a drop-down lists before it asks for a county-level unit first.
OFFERED_AT_MOST = 300


class ProjectFilterSet(ListFilterSet):
    """Filters over the projects a user reads: built on `selectors.project_list(user=…)`, which decides the
    scope. An invalid value is shown as an error on its field and is not applied; the other filters still
    are, so a list never claims a filter it does not apply."""

    not_filters = ("sort",)  # the order of the rows: kept in the links, not named among the filters applied

    search = django_filters.CharFilter(label=_("Search"), method="filter_search")
    county = django_filters.ChoiceFilter(
        label=_("County-level unit"), field_name="county__slug", empty_label=ALL
    )
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Level.choices, empty_label=ALL)
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices, empty_label=ALL)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices, empty_label=ALL)
    zone = django_filters.ChoiceFilter(label=_("Development zone"), field_name="zone__slug", empty_label=ALL)
    leader = django_filters.TypedChoiceFilter(
        label=_("Leader in charge"), field_name="leader_in_charge", coerce=int, empty_value=None
    )
    department = django_filters.ChoiceFilter(
        label=_("Responsible department"), field_name="responsible_departments__slug", empty_label=ALL
    )
    # The health in force and the late milestones are annotations of project_list.
    health = django_filters.ChoiceFilter(label=_("Health"), choices=Health.choices, empty_label=ALL)
    late_milestone = CheckFilter(label=_("With a late milestone"), method="filter_late_milestone")
    paused = CheckFilter(label=_("Paused"), method="filter_paused")
    sort = django_filters.ChoiceFilter(
        label=_("Sort"), choices=[(k, k) for k in selectors.SORTS], method="filter_sort", empty_label=None
    )

    class Meta:
        model = Project
        fields: list[str] = []

    def __init__(
        self, data: QueryDict | None = None, *, user: User, queryset: QuerySet[Project] | None = None
    ):
        super().__init__(data, queryset if queryset is not None else selectors.project_list(user=user))
        # The drop-downs: the regions under the user's offices (all for an administrator), in four queries.
        scope = scope_for(user)
        visible = (
            Region.objects.all()
            if scope.is_admin
            else Region.objects.filter(paths_q(scope.office_paths, "path"))
        )
        counties = list(visible.filter(kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path"))
        zones = visible.filter(kind=Region.Kind.ZONE).order_by("path")
        self.filters["zone"].extra["choices"] = [(r.slug, r.name) for r in zones]
        leaders = User.objects.filter(
            memberships__role=Membership.Role.LEADER, memberships__region__in=[r.pk for r in counties]
        ).distinct()
        self.filters["leader"].extra["choices"] = [("", ALL), *((u.pk, str(u)) for u in leaders)]
        departments = Department.objects.filter(region__in=[r.pk for r in counties]).order_by(
            "region__path", "slug"
        )
        self.filters["department"].extra["choices"] = [(d.slug, d.name) for d in departments]
        self._department_unit = {d.slug: d.region_id for d in departments}
        self._unit_by_slug = {r.slug: r.pk for r in counties}
        # Filters with a single choice are not offered; the API still takes that one value (and no other).
        self.only_choices: dict[str, str] = {}
        if len(counties) > 1:
            self.filters["county"].extra["choices"] = [(r.slug, r.name) for r in counties]
        else:
            del self.filters["county"]  # a county office sees one county: no choice to offer
            self.only_choices["county"] = counties[0].slug if counties else ""

    @property
    def form(self):
        form = super().form
        if not getattr(self, "_offered", False):
            self._offered = True
            self._offer_departments(form)
        return form

    def _offer_departments(self, form) -> None:
        """A province holds ~1,200 departments: above OFFERED_AT_MOST the drop-down offers those of the chosen
        county-level unit only (and the one selected), and its empty choice says to choose a unit first. Any
        department in scope stays a valid value (a link, the API): only what the page lists is narrowed."""
        field = form.fields.get("department")
        if field is None or len(self._department_unit) <= OFFERED_AT_MOST:
            return
        unit = self._unit_by_slug.get(self.data.get("county", "")) if self.data else None
        selected = self.data.get("department", "") if self.data else ""
        offered = [
            (slug, name)
            for slug, name in self.filters["department"].extra["choices"]
            if (unit is not None and self._department_unit[slug] == unit) or slug == selected
        ]
        empty = ALL if unit is not None else _("all (choose a county-level unit to pick one)")
        field.widget.choices = [("", empty), *offered]

    # ---- the filters whose meaning the selectors hold --------------------------------------------------

    def filter_search(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return queryset.filter(selectors.search_q(value))

    def filter_late_milestone(self, queryset: QuerySet[Project], name: str, value: bool) -> QuerySet[Project]:
        return queryset.filter(late_milestones__gt=0) if value else queryset

    def filter_paused(self, queryset: QuerySet[Project], name: str, value: bool) -> QuerySet[Project]:
        return queryset.filter(paused_since__isnull=False) if value else queryset

    def filter_sort(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return queryset.order_by(*selectors.SORTS[value])

    # ---- what the page and the export say about the filters ------------------------------------------
