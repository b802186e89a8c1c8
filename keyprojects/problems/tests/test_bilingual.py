"""A problem's texts in each reader's language: the title, the description, what was done and the timeline,
each kept in its own language's field and shown with the other as a fallback."""

from __future__ import annotations

from django.urls import reverse

from keyprojects.core.bilingual import Bilingual
from keyprojects.problems import services
from keyprojects.problems.models import Event, Problem, Status

from .conftest import report


def page(client, login, username: str, language: str, problem: Problem) -> str:
    user = login(username)
    user.language = language
    user.save(update_fields=["language"])
    return client.get(reverse("problems:detail", args=[problem.pk])).content.decode()


def test_each_reader_sees_the_texts_in_their_own_language(client, login, persona, project):
    problem = report(
        persona("ent.liangshan"),
        project,
        title=Bilingual("施工临时用电容量不足", "Temporary power is insufficient"),
        description=Bilingual("影响设备调试。", "It holds up commissioning."),
    )

    chinese = page(client, login, "office.julu", "zh-hans", problem)
    english = page(client, login, "office.julu", "en", problem)

    assert "施工临时用电容量不足" in chinese and "Temporary power is insufficient" not in chinese
    assert "影响设备调试" in chinese and "holds up commissioning" not in chinese
    assert "Temporary power is insufficient" in english and "施工临时用电容量不足" not in english
    assert "It holds up commissioning." in english and "影响设备调试" not in english


def test_a_text_written_in_one_language_is_shown_to_readers_of_the_other(client, login, persona, project, at):
    problem = report(persona("ent.liangshan"), project, title="变压器未到货", description="预计下月到货")
    assert (problem.title_zh, problem.title_en) == ("变压器未到货", "")

    english = page(client, login, "office.julu", "en", problem)

    assert "变压器未到货" in english and "预计下月到货" in english  # rather than nothing


def test_progress_and_resolution_are_filed_under_the_language_they_are_written_in(persona, at):
    problem = at(Status.IN_PROGRESS)
    department = persona("dept.julu.power")

    services.problem_update(actor=department, problem=problem, text="Cable laid, waiting for the meter")
    services.problem_resolve(actor=department, problem=problem, resolution="已通电")

    update = problem.events.filter(kind=Event.Kind.UPDATE).latest("id")
    assert (update.text_zh, update.text_en) == ("", "Cable laid, waiting for the meter")
    problem.refresh_from_db()
    assert (problem.resolution_zh, problem.resolution_en) == ("已通电", "")


def test_a_resubmitted_description_replaces_its_own_language_only(persona, project):
    office, enterprise = persona("office.julu"), persona("ent.liangshan")
    problem = report(enterprise, project, description=Bilingual("原描述", "The first description"))
    services.problem_return(actor=office, problem=problem, reason="请补充红线图")

    services.problem_resubmit(actor=enterprise, problem=problem, description="已补充红线图")

    problem.refresh_from_db()
    assert (problem.description_zh, problem.description_en) == ("已补充红线图", "The first description")


def test_the_report_form_needs_a_title_and_a_description_in_at_least_one_language(client, login, project):
    login("ent.liangshan")
    url = reverse("problems:report", args=["julu", project.code])
    fields = {"category": "electricity", "side": "outside", "severity": "medium"}

    refused = client.post(url, fields | {"title_en": "  ", "description_zh": ""})
    accepted = client.post(
        url, fields | {"title_en": "No power yet", "description_en": "The line is not in."}
    )

    assert refused.status_code == 200
    assert set(refused.context["form"].errors) == {"title_zh", "description_zh"}
    problem = Problem.objects.get(project=project, title_en="No power yet")
    assert accepted["Location"] == reverse("problems:detail", args=[problem.pk])
    assert (problem.title_zh, problem.description_en) == ("", "The line is not in.")


def test_the_report_form_puts_the_reader_s_language_first(client, login, project):
    user = login("ent.liangshan")
    url = reverse("problems:report", args=["julu", project.code])

    chinese = list(client.get(url).context["form"].fields)
    user.language = "en"
    user.save(update_fields=["language"])
    english = list(client.get(url).context["form"].fields)

    assert chinese.index("title_zh") < chinese.index("title_en")
    assert english.index("title_en") < english.index("title_zh")
