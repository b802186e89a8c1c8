"""The open data: a region's public projects as an OC4IDS package, read without log-in, that the standard's
official validator (libcoveoc4ids, against the schema in ../shared/oc4ids served on loopback) accepts."""

from __future__ import annotations

import functools
import io
import json
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.opendata import oc4ids
from keyprojects.projects.models import Project, Stage
from keyprojects.projects.tests.test_views import project_post

URL = "/api/v1/opendata/oc4ids"
# The schema, its codelists and README, beside the repository (the validator fetches them; nothing here
# reaches the internet).
# KEYPROJECTS_OC4IDS_SCHEMA names it; else ../shared/oc4ids beside the checkout, else the machines' /work/shared
# (a clone elsewhere, such as CI's, has no ../shared of its own).
SCHEMA_DIR = next(
    (
        folder
        for folder in (
            Path(os.environ.get("KEYPROJECTS_OC4IDS_SCHEMA", "/nonexistent")),
            Path(__file__).resolve().parents[3].parent / "shared" / "oc4ids",
            Path("/work/shared/oc4ids"),
        )
        if (folder / "project-package-schema.json").is_file()
    ),
    Path(__file__).resolve().parents[3].parent / "shared" / "oc4ids",
)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the validator's requests are not the test's output
        pass


@pytest.fixture(scope="module")
def schema_host():
    """The schema folder served on a free loopback port for the module; fails, never skips, without it."""
    if not (SCHEMA_DIR / "project-package-schema.json").is_file():
        pytest.fail(
            f"The OC4IDS schema is not at {SCHEMA_DIR} (project-package-schema.json, project-schema.json, "
            "codelists/): the open-data export cannot be validated without it."
        )
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SCHEMA_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def validate(package: dict, host: str, tmp_path: Path) -> dict:
    from libcoveoc4ids.api import oc4ids_json_output
    from libcoveoc4ids.config import LibCoveOC4IDSConfig

    path = tmp_path / "package.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    config = LibCoveOC4IDSConfig({"schema_host": host, "schema_codelists": {"0.9": host + "codelists/"}})
    return oc4ids_json_output(str(tmp_path), str(path), lib_cove_oc4ids_config=config)


def julu_package(client: Client | None = None) -> dict:
    response = (client or Client()).get(URL, {"region": "julu"})
    assert response.status_code == 200, response.content
    return response.json()


def ids(package: dict) -> set[str]:
    return {p["id"] for p in package["projects"]}


@pytest.fixture
def unlocated(db) -> Project:
    """A public Julu project without coordinates or address, nor milestones or reports."""
    project = Project.objects.filter(county__slug="julu", is_public=False).order_by("code").first()
    Project.objects.filter(pk=project.pk).update(is_public=True, lat=None, lng=None, address="")
    project.milestones.all().delete()
    project.refresh_from_db()
    return project


def test_it_publishes_a_package_the_official_validator_accepts(db, schema_host, tmp_path, unlocated):
    package = julu_package()

    result = validate(package, schema_host, tmp_path)

    assert len(package["projects"]) > 10
    assert oc4ids.project_id(unlocated) in ids(package)
    assert result["validation_errors_count"] == 0, result["validation_errors"]
    assert result["additional_closed_codelist_values"] == {}
    assert result["conformance_checks"] == []  # the project ids carry a prefix of the registered form
    assert result["additional_checks"] == []  # no empty field, every amount with its currency, parties found


def test_it_publishes_a_city_package_of_its_units(db, schema_host, tmp_path):
    response = Client().get(URL, {"region": "xingtai"})

    package = response.json()
    assert response.status_code == 200
    assert ids(package) == ids(julu_package())  # the demo publishes Julu's only
    assert validate(package, schema_host, tmp_path)["validation_errors_count"] == 0


def test_it_says_what_the_registry_knows_in_the_standard_s_terms(db):
    project = Project.objects.filter(
        county__slug="julu", is_public=True, stage=Stage.CONSTRUCTION, lat__isnull=False
    ).first()

    package = julu_package()
    out = next(p for p in package["projects"] if p["id"] == f"oc4ids-kprjct-julu-{project.code}")

    assert package["version"] == "0.9"
    assert package["publisher"] == {"name": "巨鹿县重点项目建设办公室"}
    assert package["uri"] == "http://testserver/api/v1/opendata/oc4ids?region=julu"
    assert out["title"] == project.name_zh
    assert out["status"] == "implementation"
    assert out["budget"] == {"amount": {"amount": float(project.total_investment), "currency": "CNY"}}
    assert out["locations"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [float(project.lng), float(project.lat)],
    }
    assert {party["roles"][0] for party in out["parties"]} == {"publicAuthority", "supplier"}
    assert out["publicAuthority"]["id"] in {party["id"] for party in out["parties"]}
    assert {m["id"] for m in out["milestones"]} == set(project.milestones.values_list("code", flat=True))


def test_it_never_shows_a_project_that_is_not_public(db):
    hidden = Project.objects.filter(county__slug="julu", is_public=False).order_by("code").first()

    response = Client().get(URL, {"region": "julu"})

    assert oc4ids.project_id(hidden) not in ids(response.json())
    assert hidden.name_zh not in response.content.decode()


def test_it_answers_without_log_in_and_with_a_token_alike(db, client, login):
    anonymous = julu_package()
    login("office.julu")

    assert ids(julu_package(client)) == ids(anonymous)


@pytest.mark.parametrize(
    "region, status",
    [("nowhere", 404), ("hebei", 404), ("julu-edz", 404), ("ju lu", 400), ("../julu", 400), ("x" * 61, 400)],
)
def test_it_refuses_a_region_that_publishes_nothing(db, region, status):
    response = Client().get(URL, {"region": region})

    assert response.status_code == status
    assert "detail" in response.json()


def test_it_builds_the_package_in_the_same_number_of_queries_for_more_projects(db):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            julu_package()
        return len(captured.captured_queries)

    published = len(julu_package()["projects"])
    few = queries()
    Project.objects.filter(county__slug="julu").update(is_public=True)
    more = queries()

    assert len(julu_package()["projects"]) > published
    assert few == more
    assert few <= 8


def test_it_exports_the_same_package_to_a_file(db, tmp_path):
    out = tmp_path / "julu.json"
    stdout = io.StringIO()

    call_command("export_oc4ids", "--region", "julu", "--out", str(out), stdout=stdout)

    written = json.loads(out.read_text(encoding="utf-8"))
    assert ids(written) == ids(julu_package())
    assert stdout.getvalue().strip() == f"{out}: {len(written['projects'])} projects"


def test_it_lets_the_county_office_publish_a_project_from_its_edit_form(client, login):
    project = Project.objects.filter(county__slug="julu", is_public=False).order_by("code").first()
    login("office.julu")
    edit = reverse("projects:edit", args=["julu", project.code])

    form = client.get(edit)
    client.post(edit, project_post(code=project.code, enterprise=str(project.enterprise_id), is_public="on"))

    assert 'name="is_public"' in form.content.decode()
    assert Project.objects.get(pk=project.pk).is_public
    assert oc4ids.project_id(project) in ids(julu_package())


def test_a_region_without_a_public_project_has_no_package_and_is_told_why(db, tmp_path):
    """The standard's package holds at least one project: an empty one would fail its own validator."""
    Project.objects.filter(county__slug="julu").update(is_public=False)

    response = Client(headers={"Accept-Language": "en"}).get(URL, {"region": "julu"})
    in_chinese = Client(headers={"Accept-Language": "zh-hans"}).get(URL, {"region": "julu"})
    with pytest.raises(CommandError, match=r"has published no project yet|尚未公开任何项目"):
        call_command("export_oc4ids", "--region", "julu", "--out", str(tmp_path / "julu.json"))

    assert response.status_code == 404
    assert response.json()["detail"].startswith("Julu")
    assert "has published no project yet" in response.json()["detail"]
    assert "巨鹿县尚未公开任何项目" in in_chinese.json()["detail"]
    assert not (tmp_path / "julu.json").exists()
