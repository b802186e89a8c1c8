"""Who acted: a user, or SYSTEM (recorded without a person); None is refused as a programming error."""

from __future__ import annotations

import pytest

from keyprojects.accounts.models import Region, User
from keyprojects.core.audit import audit_record, audit_records
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM, person, require_actor


def test_require_actor_refuses_none_only():
    with pytest.raises(TypeError):
        require_actor(None)
    require_actor(SYSTEM)
    require_actor(User(username="someone"))


def test_person_stores_the_system_as_nobody():
    user = User(username="someone")
    assert (person(SYSTEM), person(user)) == (None, user)
    with pytest.raises(TypeError):
        person(None)


@pytest.mark.django_db
def test_the_audit_log_refuses_an_unnamed_actor_and_records_the_system_without_a_person():
    julu = Region.objects.get(slug="julu")
    office = User.objects.get(username="office.julu")
    before = AuditEntry.objects.count()

    with pytest.raises(TypeError):
        audit_record(actor=None, action="test.none", target=julu)
    with pytest.raises(TypeError):
        audit_records(actor=None, entries=[("test.none", julu, {})])
    assert AuditEntry.objects.count() == before

    audit_record(actor=SYSTEM, action="test.system", target=julu)
    audit_records(actor=SYSTEM, entries=[("test.systems", julu, {})])
    audit_record(actor=office, action="test.office", target=julu)
    recorded = dict(AuditEntry.objects.filter(action__startswith="test.").values_list("action", "actor_id"))
    assert recorded == {"test.system": None, "test.systems": None, "test.office": office.pk}
