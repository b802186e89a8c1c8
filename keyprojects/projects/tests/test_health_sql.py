"""The list's health is computed from each signal's subquery once per project, not once per mention."""

from __future__ import annotations

import pytest

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.projects import selectors
from keyprojects.projects.rules import health_signals

pytestmark = pytest.mark.django_db

CORRELATED = '"project_id" = ("projects_project"."id")'  # how each correlated subquery meets its project


def test_it_writes_each_correlated_subquery_of_the_list_once(persona):
    sql = str(selectors.project_list(user=User.objects.get(username="city.xingtai")).query)

    # The late milestones shown, the severely late and the late-or-at-risk counts, and each signal's inputs.
    inputs = sum(len(s.annotations(clock.today())) for s in health_signals())
    assert inputs >= 4  # the investment sums and the problem flags are handed in
    assert sql.count(CORRELATED) == 1 + 2 + inputs
