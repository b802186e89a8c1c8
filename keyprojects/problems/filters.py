"""The problem list's filters: drop-downs of what the asking user may see, checked, kept in the query string."""

from __future__ import annotations

import django_filters
import django_filters.fields
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts import selectors as accounts_selectors
from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.filters import CheckFilter, ListFilterSet
from keyprojects.core.forms import IdField
from keyprojects.problems import selectors
from keyprojects.problems.models import Category, Problem, Side, Status

ALL = _("all")
PERIOD = ("year", "month")  # the filters that choose the months the list covers


class LeaderField(django_filters.fields.ModelChoiceField):
    """A leader by id: "abc" is refused as not a number, an id outside the list as not offered."""

    def to_python(self, value):
        if value not in self.empty_values:
            IdField(required=False).clean(value)
        return super().to_python(value)


class DepartmentField(django_filters.fields.ModelChoiceField):
    """Departments by name; with the county's name when the list spans several counties."""

    with_region = False

    def label_from_instance(self, obj) -> str:
        return f"{obj.region.name} · {obj.name}" if self.with_region else obj.name


class LeaderFilter(django_filters.ModelChoiceFilter):
    field_class = LeaderField


class DepartmentFilter(django_filters.ModelChoiceFilter):
    field_class = DepartmentField


class ProblemFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("month") and not cleaned.get("year"):
            self.add_error("month", _("Choose the year of this month."))
        return cleaned


class ProblemFilterSet(ListFilterSet):
    """Filters over the problems a user reads: build it on `selectors.problem_list(user=…)`, which decides the
    scope; the choices offered are those of the user's own counties. An invalid value is shown as an error on
    its field and is not applied; the other filters still are."""

    not_filters = ("sort",)  # the order of the rows: kept in the links, not named among the filters applied

    search = django_filters.CharFilter(label=_("Search"), method="filter_search")
    county = django_filters.ChoiceFilter(
        label=_("County-level unit"), field_name="project__county__slug", empty_label=ALL
    )
    zone = django_filters.ModelChoiceFilter(
        label=_("Development zone"),
        field_name="project__zone",
        to_field_name="slug",
        queryset=Region.objects.none(),
        empty_label=ALL,
    )
    project = django_filters.CharFilter(label=_("Project code"), field_name="project__code")
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices, empty_label=ALL)
    side = django_filters.ChoiceFilter(label=_("Side"), choices=Side.choices, empty_label=ALL)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=ALL)
    department = DepartmentFilter(
        label=_("Department (lead or supporting)"),
        to_field_name="slug",
        queryset=Department.objects.none(),
        method="filter_department",
        empty_label=ALL,
    )
    leader = LeaderFilter(
        label=_("Leader in charge"),
        field_name="leader_in_charge",
        queryset=User.objects.none(),
        empty_label=ALL,
    )
    year = django_filters.TypedChoiceFilter(
        label=_("Year raised"), field_name="raised_at", lookup_expr="year", coerce=int
    )
    month = django_filters.TypedChoiceFilter(
        label=_("Month raised"),
        field_name="raised_at",
        lookup_expr="month",
        coerce=int,
        choices=[("", ALL), *sorted(MONTHS.items())],
        error_messages={"invalid_choice": _("Choose a month from 1 to 12.")},
    )
    overdue = CheckFilter(label=_("Overdue"), method="filter_overdue")
    escalated = CheckFilter(label=_("Escalated"), method="filter_escalated")
    # Empty: the list's own order, newest first (an address carries only the filters set, not the default).
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        choices=[
            ("raised", _("Oldest first")),
            ("deadline", _("Deadline, soonest first")),
            ("-deadline", _("Deadline, latest first")),
            ("project", _("By project")),
            ("status", _("By status")),
        ],
        method="filter_sort",
        empty_label=_("Newest first"),
    )

    class Meta:
        model = Problem
        fields: list[str] = []
        form = ProblemFilterForm

    def __init__(
        self, data: QueryDict | None = None, *, user: User, queryset: QuerySet[Problem] | None = None
    ):
        super().__init__(data, queryset if queryset is not None else selectors.problem_list(user=user))
        counties = list(
            accounts_selectors.region_list(user=user)
            .filter(kind__in=Region.COUNTY_LEVEL_KINDS)
            .order_by("path")
        )
        # Filters with a single choice are not offered; the API still takes that one value (and no other).
        self.only_choices: dict[str, str] = {}
        if len(counties) > 1:
            self.filters["county"].extra["choices"] = [(r.slug, r.name) for r in counties]
        else:
            del self.filters["county"]  # a county's own people see one county: no choice to offer
            self.only_choices["county"] = counties[0].slug if counties else ""
        self.filters["zone"].queryset = accounts_selectors.region_list(
            user=user, kind=Region.Kind.ZONE
        ).order_by("path")
        self.filters["department"].queryset = accounts_selectors.department_list(user=user).order_by(
            "region__path", "slug"
        )
        self.filters["leader"].queryset = (
            User.objects.filter(
                memberships__role=Membership.Role.LEADER,
                memberships__region__in=[r.pk for r in counties],
            )
            .distinct()
            .order_by("username")
        )
        years = selectors.problem_years(user=user)
        self.filters["year"].extra.update(
            choices=[("", ALL), *((y, str(y)) for y in years)],
            error_messages={
                "invalid_choice": _("Choose a year from %(first)s to %(last)s.")
                % {"first": years[-1], "last": years[0]}
            },
        )
        self.filters["department"].field.with_region = len(counties) > 1

    # ---- the filters whose meaning the selectors hold --------------------------------------------------

    def filter_search(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return queryset.filter(selectors.search_q(value))

    def filter_department(self, queryset: QuerySet[Problem], name: str, value) -> QuerySet[Problem]:
        return queryset.filter(selectors.department_q(Q(pk=value.pk)))

    def filter_overdue(self, queryset: QuerySet[Problem], name: str, value: bool) -> QuerySet[Problem]:
        return queryset.filter(selectors.overdue_q(clock.today())) if value else queryset

    def filter_escalated(self, queryset: QuerySet[Problem], name: str, value: bool) -> QuerySet[Problem]:
        return queryset.filter(selectors.escalated_q()) if value else queryset

    def filter_sort(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return queryset.order_by(*selectors.SORTS[value])
