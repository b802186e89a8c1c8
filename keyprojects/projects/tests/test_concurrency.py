"""Two people editing one key project from forms opened at the same version: the first save is kept, the
second is refused and told to reload; and no save overwrites what someone else stored meanwhile."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects import services
from keyprojects.projects.models import Project, Stage, next_stage
from keyprojects.projects.tests.conftest import project_data
from keyprojects.projects.tests.test_views import in_english, project_post

SAVED_MEANWHILE = (
    "Someone else saved this key project since you opened it; your changes were not saved. "
    "Reload to see their changes."
)


def data_of(project: Project, **changes) -> services.ProjectData:
    """The project's own data (as its edit form would show it), with `changes`."""
    fields = {name: getattr(project, name) for name in services.ProjectData.__dataclass_fields__}
    fields["responsible_departments"] = tuple(project.responsible_departments.all())
    return project_data(**{**fields, **changes})


def test_it_keeps_the_first_of_two_edits_opened_at_the_same_version(own_project, persona):
    office = persona("office.julu")
    opened = own_project.version
    first, second = Project.objects.get(pk=own_project.pk), Project.objects.get(pk=own_project.pk)

    services.project_update(
        actor=office, project=first, data=data_of(first, name_zh="第一次保存"), expected_version=opened
    )
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.project_update(
            actor=office, project=second, data=data_of(second, name_zh="第二次保存"), expected_version=opened
        )

    assert refused.value.message == SAVED_MEANWHILE
    stored = Project.objects.get(pk=own_project.pk)
    assert (stored.name_zh, stored.version) == ("第一次保存", opened + 1)
    assert second.name_zh == "第一次保存"  # the refused caller's instance shows what is stored


def test_it_saves_without_a_check_for_the_system_and_still_takes_the_next_version(own_project):
    opened = own_project.version

    services.project_update(actor=SYSTEM, project=own_project, data=data_of(own_project, name_en="Renamed"))

    assert Project.objects.get(pk=own_project.pk).version == own_project.version == opened + 1


def test_it_keeps_what_others_stored_meanwhile_when_saving_from_an_older_instance(own_project, persona):
    """The edit form does not carry the stage: a stage change made while it was open must survive its save."""
    office = persona("office.julu")
    older = Project.objects.get(pk=own_project.pk)
    stage = next_stage(own_project.stage) if own_project.stage != Stage.OUTPUT else Stage.OPERATION
    services.project_change_stage(
        actor=office, project=own_project, stage=stage, on=clock.today(), note="纠正"
    )

    services.project_update(actor=office, project=older, data=data_of(older, total_investment=Decimal(1)))

    stored = Project.objects.get(pk=own_project.pk)
    assert (stored.stage, stored.total_investment) == (stage, Decimal(1))


def test_it_takes_the_next_version_on_every_change_so_an_edit_form_opened_before_is_refused(
    own_project, persona
):
    office = persona("office.julu")
    opened = own_project.version

    services.project_pause(actor=office, project=own_project, reason="funding", on=clock.today())
    services.project_resume(actor=office, project=own_project, on=clock.today())
    services.project_override_health(actor=office, project=own_project, health="red", rationale="资金断档")
    assert Project.objects.get(pk=own_project.pk).version == opened + 3

    with pytest.raises(DomainError):
        services.project_update(
            actor=office, project=own_project, data=data_of(own_project), expected_version=opened
        )


def test_it_keeps_the_first_of_two_edit_pages_and_shows_the_refusal_on_the_second(client, login, own_project):
    in_english(login("office.julu"))
    url = reverse("projects:edit", args=["julu", own_project.code])
    form = client.get(url).context["form"]
    version = form["version"].value()
    assert version == own_project.version
    assert 'type="hidden" name="version"' in str(form["version"])
    post = project_post(code=own_project.code, enterprise=str(own_project.enterprise_id), version=version)

    first = client.post(url, {**post, "name_zh": "第一次保存"})
    second = client.post(url, {**post, "name_zh": "第二次保存"})

    assert first.status_code == 302
    assert second.status_code == 200
    assert SAVED_MEANWHILE in second.content.decode()
    stored = Project.objects.get(pk=own_project.pk)
    assert (stored.name_zh, stored.version) == ("第一次保存", version + 1)
    assert client.get(url).context["form"]["version"].value() == version + 1  # a reload opens the new one
