"""The action forms of a problem's page: supporting departments ticked in a scrolling list of checkboxes (no
Ctrl-click), and every input stacked under its label, as wide as its card."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django import forms
from django.urls import reverse

from keyprojects.accounts.models import Department
from keyprojects.core import clock
from keyprojects.problems.forms import AcceptForm
from keyprojects.problems.models import Status


def page_of(client, problem) -> str:
    return client.get(reverse("problems:detail", args=[problem.pk])).content.decode()


def section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


def test_it_offers_the_supporting_departments_as_checkboxes(project):
    form = AcceptForm(county=project.county)

    assert isinstance(form.fields["supporting_departments"].widget, forms.CheckboxSelectMultiple)


def test_it_lists_every_county_department_in_a_scrolling_fieldset(client, login, at):
    problem = at(Status.REPORTED)
    login("office.julu")

    accept = section(page_of(client, problem), "accept")

    fieldset = accept.split('data-testid="supporting_departments"', 1)[1].split("</fieldset>", 1)[0]
    assert "<legend>" in fieldset and 'class="choices-scroll"' in fieldset
    departments = Department.objects.filter(region__path__startswith=problem.project.county.path)
    boxes = re.findall(r'<input type="checkbox" name="supporting_departments" value="(\d+)"', fieldset)
    assert sorted(map(int, boxes)) == sorted(departments.values_list("pk", flat=True))
    assert "<select" not in fieldset and "multiple" not in accept


def test_it_assigns_the_departments_ticked(client, login, at):
    problem = at(Status.REPORTED)
    power, bank, water = (Department.objects.get(slug=s) for s in ("julu-power", "julu-bank", "julu-water"))
    login("office.julu")

    client.post(
        reverse("problems:action", args=[problem.pk, "accept"]),
        {
            "lead_department": power.pk,
            "supporting_departments": [bank.pk, water.pk],
            "deadline": (clock.today() + timedelta(days=10)).isoformat(),
        },
    )

    problem.refresh_from_db()
    assert problem.status == Status.ACCEPTED
    assert set(problem.supporting_departments.all()) == {bank, water}


def test_it_stacks_each_action_form_s_inputs_under_their_labels(client, login, at):
    reported, in_progress = at(Status.REPORTED), at(Status.IN_PROGRESS)
    login("office.julu")
    accept_page = page_of(client, reported)
    login("dept.julu.power")
    work_page = page_of(client, in_progress)

    for page in (accept_page, work_page):
        assert 'href="/static/css/forms.css"' in page
        forms_ = re.findall(
            r"<form method=\"post\" action=\"/problems/\d+/[^\"]*\"([^>]*)>(.*?)</form>", page, re.S
        )
        assert forms_, "the page should have action forms"
        for attributes, body in forms_:
            assert 'class="stacked-form"' in attributes, attributes
            # Each input, select or textarea sits in a field (or fieldset) right after its label or legend.
            for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", body):
                if 'type="hidden"' in control or 'type="checkbox"' in control:
                    continue
                control_id = re.search(r'id="([^"]+)"', control).group(1)
                field = body.split(control, 1)[0].rsplit('<div class="field', 1)
                assert len(field) == 2, f"{control_id} is not in a stacked field"
                assert f'<label for="{control_id}">' in field[1], f"{control_id} has no label above it"


def test_the_stacked_inputs_take_the_full_width_and_never_more(settings):
    css = (Path(settings.BASE_DIR) / "keyprojects" / "static" / "css" / "forms.css").read_text()

    rule = re.search(r"\.stacked-form \.field input[^{]*\{([^}]*)\}", css, re.S)
    assert rule and "width: 100%" in rule.group(1) and "max-width: 100%" in rule.group(1)
    assert re.search(r"\.choices-scroll \{[^}]*overflow-y: auto", css)
