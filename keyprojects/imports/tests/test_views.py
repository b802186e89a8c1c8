"""The import pages: who may import and confirm (a matrix over every page), the link from the project list, and
the county's recent imports on the upload page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keyprojects.imports import jobs
from keyprojects.imports.tests.registry_files import new_row, own_workbook, run_import, template_file, upload
from keyprojects.projects.models import ImportJob, Project

# ---- who may import -------------------------------------------------------------------------------

PERSONAS = (
    "anonymous",
    "admin",
    "city.xingtai",
    "office.julu",
    "leader.julu",
    "dept.julu.resources",
    "ent.liangshan",
    "office.ningjin",
)
JOB = "<a julu job waiting for its mapping>"

# fmt: off
MATRIX = [
    # url name,          args,         method  anon admin city office leader dept  ent   ningjin
    ("imports:upload",   ("julu",),    "get",  302, 200, 403, 200,   403,   403,  403,  404),
    ("imports:upload",   ("julu",),    "post", 302, 200, 403, 200,   403,   403,  403,  404),
    ("imports:upload",   ("ningjin",), "get",  302, 200, 403, 404,   404,   404,  404,  200),
    ("imports:upload",   ("julu-edz",), "get", 302, 403, 403, 403,   403,   403,  403,  404),
    ("imports:monthly",  ("julu",),    "get",  302, 200, 403, 200,   403,   403,  403,  404),
    ("imports:monthly",  ("julu",),    "post", 302, 200, 403, 200,   403,   403,  403,  404),
    ("imports:template", ("julu",),    "get",  302, 200, 403, 200,   403,   403,  403,  404),
    ("imports:job",      (JOB,),       "get",  302, 302, 404, 302,   404,   404,  404,  404),
    ("imports:mapping",  (JOB,),       "get",  302, 200, 404, 200,   404,   404,  404,  404),
    ("imports:mapping",  (JOB,),       "post", 302, 200, 404, 200,   404,   404,  404,  404),
    ("imports:confirm",  (JOB,),       "post", 302, 302, 404, 302,   404,   404,  404,  404),
    ("imports:errors",   (JOB,),       "get",  302, 200, 404, 200,   404,   404,  404,  404),
    ("imports:retry",    (JOB,),       "post", 302, 302, 404, 302,   404,   404,  404,  404),
    ("imports:remap",    (JOB,),       "post", 302, 302, 404, 302,   404,   404,  404,  404),
]
# fmt: on


@pytest.fixture
def pending_job(office, julu) -> ImportJob:
    return jobs.import_create(actor=office, county=julu, upload=upload(own_workbook()))


@pytest.mark.parametrize(
    "persona_name, url_name, args, method, expected",
    [
        pytest.param(p, url, args, method, row[i], id=f"{p}-{method}-{url}-{args[0]}")
        for url, args, method, *row in MATRIX
        for i, p in enumerate(PERSONAS)
    ],
)
def test_it_lets_only_the_county_office_and_administrators_import(
    client, login, pending_job, persona_name, url_name, args, method, expected
):
    if persona_name != "anonymous":
        login(persona_name)
    url = reverse(url_name, args=[pending_job.pk if a == JOB else a for a in args])
    # An empty post: permitted personas see the form again with its error (or are told the job is not waiting
    # for a confirmation), and nothing starts.
    response = getattr(client, method)(url, {})

    assert response.status_code == expected
    if expected == 404:
        assert pending_job.original_name not in response.content.decode()
    pending_job.refresh_from_db()
    assert pending_job.status == ImportJob.Status.PENDING


@pytest.mark.parametrize("persona_name", ["city.xingtai", "leader.julu", "ent.liangshan", "office.ningjin"])
def test_it_lets_no_one_else_confirm_a_preview(client, login, office, julu, persona_name):
    job = run_import(office, julu, template_file([new_row("JL-IMP-970")]), confirm=False)
    assert job.status == ImportJob.Status.PREVIEW
    login(persona_name)

    response = client.post(reverse("imports:confirm", args=[job.pk]))

    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW
    assert not Project.objects.filter(code="JL-IMP-970").exists()


def test_it_covers_every_import_page_in_the_matrix():
    from keyprojects.imports import urls

    names = {f"imports:{p.name}" for p in urls.urlpatterns}
    assert names == {row[0] for row in MATRIX}


def test_it_links_the_import_page_from_the_project_list_for_the_county_office_only(client, login):
    login("office.julu")
    assert reverse("imports:upload", args=["julu"]) in client.get(reverse("projects:list")).content.decode()
    login("city.xingtai")
    assert 'data-testid="import-link"' not in client.get(reverse("projects:list")).content.decode()


def test_it_shows_the_county_s_recent_imports_on_the_upload_page(client, login, pending_job):
    login("office.julu")
    page = client.get(reverse("imports:upload", args=["julu"]))
    assert list(page.context["jobs"]) == [pending_job]
    login("office.ningjin")
    assert not list(client.get(reverse("imports:upload", args=["ningjin"])).context["jobs"])
