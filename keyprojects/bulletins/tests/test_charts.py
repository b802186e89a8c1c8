"""The bulletin's charts: what they plot, that every character has a glyph, and that Word and the PDF print them."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace

import pytest
from django.utils import translation
from docx import Document
from PIL import Image
from weasyprint.formatting_structure.boxes import ReplacedBox

from keyprojects.accounts.models import Region
from keyprojects.bulletins.cells import amount
from keyprojects.bulletins.charts import (
    DPI,
    bulletin_charts,
    completion_chart,
    completion_points,
    cumulative_chart,
    cumulative_points,
)
from keyprojects.bulletins.content import RATE, bulletin_content
from keyprojects.bulletins.pdf import bulletin_document
from keyprojects.bulletins.tests.conftest import MONTH
from keyprojects.bulletins.word import bulletin_docx
from keyprojects.core import clock

# The demo's January–September on any day of the year: CI runs these again at a matrix of days. Marked
# for the database so that pytest-django creates the test database the module's fixture reads.
pytestmark = [pytest.mark.calendar, pytest.mark.django_db]

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker) -> dict:
    """Xingtai's and Julu's Chinese bulletins with their charts, Word documents and PDF layouts, made once
    for the module, with every warning matplotlib gave while drawing."""
    year = clock.programme_year(clock.today())
    made = {}
    with django_db_blocker.unblock(), translation.override("zh-hans"):
        for slug in ("xingtai", "julu"):
            bulletin = bulletin_content(region=Region.objects.get(slug=slug), year=year, month=MONTH)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                charts = bulletin_charts(bulletin)
            made[slug] = {
                "bulletin": bulletin,
                "charts": charts,
                "warnings": [str(w.message) for w in caught],
                "docx": bulletin_docx(bulletin),
                "pdf": bulletin_document(bulletin),
            }
    return made


def _replaced_boxes(box):
    if isinstance(box, ReplacedBox):
        yield box
    for child in getattr(box, "children", None) or []:
        yield from _replaced_boxes(child)


@pytest.mark.parametrize("slug", ["xingtai", "julu"])
def test_it_draws_two_pngs_printable_150_mm_wide_with_numbered_captions(rendered, slug):
    charts = rendered[slug]["charts"]

    captions = [caption for caption, _png in charts]
    assert len(charts) == 2 and len(set(captions)) == 2
    assert all(rendered[slug]["bulletin"].period in caption for caption in captions)
    for _caption, png in charts:
        assert png.startswith(PNG)
        image = Image.open(io.BytesIO(png))
        width, height = image.size
        # 150 mm at 200 dpi is 1,181 pixels; a chart is neither a sliver nor a poster.
        assert width == round(150 / 25.4 * DPI)
        assert 250 < height < 2 * width
        assert 10_000 < len(png) < 1_000_000


@pytest.mark.parametrize("slug", ["xingtai", "julu"])
def test_no_character_of_the_chinese_charts_lacks_a_glyph(rendered, slug):
    missing = [message for message in rendered[slug]["warnings"] if "missing from font" in message]

    assert not missing


def test_a_glyph_missing_from_the_face_would_be_caught(rendered):
    """The check above can fail: a name the face cannot draw makes matplotlib warn."""
    bulletin = rendered["julu"]["bulletin"]
    table = next(t for t in bulletin.tables if t.key == "zone")
    rate_at = next(i for i, c in enumerate(table.columns) if c.kind == RATE)
    row = next(r for r in table.rows if r[rate_at] is not None)
    odd = (*row[:1], "\U0001f6a7 zone", *row[2:])  # 🚧: not in Noto Sans CJK
    sections = tuple(
        replace(s, tables=tuple(replace(t, rows=(odd,)) if t is table else t for t in s.tables))
        for s in bulletin.sections
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        completion_chart(replace(bulletin, sections=sections))

    assert any("missing from font" in str(w.message) for w in caught)


def test_the_city_chart_has_a_bar_per_unit_with_a_plan_in_the_ranking_s_order(rendered):
    bulletin = rendered["xingtai"]["bulletin"]
    ranking = bulletin.table("units")
    rate_at = next(i for i, c in enumerate(ranking.columns) if c.kind == RATE)

    points = completion_points(bulletin)

    assert points == [(row[1], row[rate_at]) for row in ranking.rows if row[rate_at] is not None]
    assert len(points) >= 10
    assert ("巨鹿县", next(r[rate_at] for r in ranking.rows if r[1] == "巨鹿县")) in points
    rates = [rate for _name, rate in points]
    assert rates == sorted(rates, reverse=True)


def test_the_county_chart_ranks_its_development_zones(rendered):
    bulletin = rendered["julu"]["bulletin"]
    zones = bulletin.table("zone")

    names = [name for name, _rate in completion_points(bulletin)]

    assert names and set(names) <= set(zones.column(zones.columns[1].header))
    assert names != [name for name, _rate in completion_points(rendered["xingtai"]["bulletin"])]


@pytest.mark.parametrize("slug", ["xingtai", "julu"])
def test_the_cumulative_series_ends_at_the_overview_s_planned_and_completed(rendered, slug):
    bulletin = rendered[slug]["bulletin"]

    months = [point.month for point in bulletin.monthly]
    last = bulletin.monthly[-1]

    assert months == list(range(1, MONTH + 1))
    assert (last.planned_cum, last.completed_cum) == (bulletin.overview.planned, bulletin.overview.completed)
    assert last.completed_cum > 0
    planned = [p for _m, p, _c in cumulative_points(bulletin)]
    assert planned == sorted(planned), "a cumulative figure never falls"
    assert cumulative_points(bulletin)[-1] == (
        MONTH,
        amount(bulletin, bulletin.overview.planned),
        amount(bulletin, bulletin.overview.completed),
    )


def test_the_snapshot_keeps_the_monthly_series_as_text(rendered):
    data = rendered["xingtai"]["bulletin"].as_dict()

    assert data["monthly"][0] == {
        "month": 1,
        "planned_cum": str(rendered["xingtai"]["bulletin"].monthly[0].planned_cum),
        "completed_cum": str(rendered["xingtai"]["bulletin"].monthly[0].completed_cum),
    }


def test_the_same_bulletin_draws_the_same_bytes(rendered):
    bulletin = rendered["julu"]["bulletin"]

    with translation.override("zh-hans"):
        again = [cumulative_chart(bulletin), completion_chart(bulletin)]

    assert again == [rendered["julu"]["charts"][1][1], rendered["julu"]["charts"][0][1]]


@pytest.mark.parametrize("slug", ["xingtai", "julu"])
def test_the_word_document_shows_both_charts_centred_150_mm_wide_after_the_rankings(rendered, slug):
    document = Document(io.BytesIO(rendered[slug]["docx"]))

    shapes = document.inline_shapes
    assert len(shapes) == 2
    assert [round(shape.width.mm) for shape in shapes] == [150, 150]
    bulletin = rendered[slug]["bulletin"]
    texts = [p.text for p in document.paragraphs]
    captions = [caption for caption, _png in rendered[slug]["charts"]]
    positions = [texts.index(caption) for caption in captions]
    ranking, lagging = bulletin.section("ranking").heading, bulletin.section("lagging").heading
    assert ranking == "二、排名"
    assert texts.index(ranking) < positions[0] < positions[1] < texts.index(lagging)
    picture = document.paragraphs[positions[0] - 1]
    assert picture._p.xpath(".//pic:pic") and picture.alignment == 1  # centred


@pytest.mark.parametrize("slug", ["xingtai", "julu"])
def test_the_pdf_prints_both_charts_with_their_captions(rendered, slug):
    document = rendered[slug]["pdf"]

    images = [box for page in document.pages for box in _replaced_boxes(page._page_box)]

    assert len(images) == 2
    for box in images:
        # Within the 156 mm between the margins (WeasyPrint lays out in CSS pixels, 96 to the inch).
        assert 140 < box.width * 25.4 / 96 <= 156
    assert b"/Subtype /Image" in document.write_pdf()
