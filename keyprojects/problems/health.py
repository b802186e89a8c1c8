"""Overdue problems in a project's health, handed to the registry's health rules (projects.rules) when the
app is ready."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from keyprojects.problems.models import OPEN_STATUSES, Problem
from keyprojects.projects.rules import HealthSignal


def _flags(today: date) -> dict:
    overdue = Problem.objects.filter(project=OuterRef("pk"), status__in=OPEN_STATUSES, deadline__lt=today)
    return {
        "has_overdue_problem": Exists(overdue),
        "has_escalated_problem": Exists(overdue.filter(escalation__gt=0)),
    }


OVERDUE_PROBLEMS = HealthSignal(
    name="overdue_problems",
    annotations=_flags,
    red=Q(has_escalated_problem=True),
    amber=Q(has_overdue_problem=True),
    red_text=lambda: _("an overdue problem has been escalated"),
    amber_text=lambda: _("a problem is overdue"),
)
