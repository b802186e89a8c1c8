"""The map page carries its legend of health colours and the texts of Leaflet's controls, translated:
project_map.js places them on the map (a browser shows them; here, what the page hands it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation


def map_page(client) -> str:
    response = client.get(reverse("projects:map"))
    assert response.status_code == 200
    return response.content.decode()


def legend_items(html: str) -> dict[str, str]:
    legend = html.split('id="map-legend"', 1)[1].split("</ul>", 1)[0]
    return {
        health: re.sub(r"<[^>]+>", "", text).strip()
        for health, text in re.findall(r'<li data-health="([a-z]*)">(.*?)</li>', legend, re.S)
    }


def test_the_legend_names_every_health_colour_in_chinese(client, login):
    login("office.julu")

    items = legend_items(map_page(client))

    assert items == {"red": "红灯", "amber": "黄灯", "green": "绿灯", "": items[""]}
    assert items[""]  # the points without a health have a label too


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_zoom_titles_and_attribution_prefix_come_translated_from_the_page(client, login, language):
    user = login("office.julu")
    user.language = language
    user.save(update_fields=["language"])

    html = map_page(client)

    with translation.override(language):
        expected = {
            "data-zoom-in-title": translation.gettext("Zoom in"),
            "data-zoom-out-title": translation.gettext("Zoom out"),
            "data-attribution-prefix": translation.gettext("Map engine: Leaflet"),
        }
    for attribute, text in expected.items():
        assert f'{attribute}="{text}"' in html
    if language == "en":
        assert 'data-zoom-in-title="Zoom in"' in html and legend_items(html)["red"] == "red"


def test_the_script_builds_its_controls_from_the_page_s_texts():
    """The script must read those attributes, not Leaflet's English defaults."""
    script = Path(finders.find("js/project_map.js")).read_text(encoding="utf-8")

    assert "zoomControl: false" in script
    assert "el.dataset.zoomInTitle" in script and "el.dataset.zoomOutTitle" in script
    assert "setPrefix" in script and 'getElementById("map-legend")' in script
