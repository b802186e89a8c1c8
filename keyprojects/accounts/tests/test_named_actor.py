"""Every write names who acts: a user, or SYSTEM for the system itself. None is a programming error."""

from __future__ import annotations

import pytest

from keyprojects.accounts import services
from keyprojects.accounts.models import Department, Region
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM


@pytest.mark.django_db
def test_a_write_without_a_named_actor_is_refused_and_writes_nothing():
    julu = Region.objects.get(slug="julu")
    entries = AuditEntry.objects.count()

    with pytest.raises(TypeError):
        services.department_create(
            actor=None, region=julu, slug="julu-unnamed", name_zh="无名局", name_en="Unnamed", kind="water"
        )
    with pytest.raises(TypeError):
        services.user_create(actor=None, username="unnamed", password=None)

    assert not Department.objects.filter(slug="julu-unnamed").exists()
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_the_system_may_write_and_is_recorded_without_a_person():
    julu = Region.objects.get(slug="julu")

    department = services.department_create(
        actor=SYSTEM, region=julu, slug="julu-by-system", name_zh="系统局", name_en="System", kind="water"
    )

    entry = AuditEntry.objects.get(action="department.create", target_id=str(department.pk))
    assert entry.actor_id is None
