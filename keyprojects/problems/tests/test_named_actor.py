"""Every write names who acts: a user, or SYSTEM for the system itself. None is a programming error; and a
problem is raised by a person, never by the system."""

from __future__ import annotations

import pytest

from keyprojects.core.errors import NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.problems.models import Problem
from keyprojects.problems.tests.conftest import report


def test_raising_a_problem_without_a_named_actor_is_refused_and_writes_nothing(project):
    problems, entries = Problem.objects.count(), AuditEntry.objects.count()

    with pytest.raises(TypeError):
        report(None, project)
    with pytest.raises(NotAllowed):
        report(SYSTEM, project)

    assert (Problem.objects.count(), AuditEntry.objects.count()) == (problems, entries)
