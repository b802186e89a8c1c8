"""Texts kept per language: filed by the script they are written in, shown in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from keyprojects.core.bilingual import Bilingual, in_active_language, unglued


@pytest.mark.parametrize(
    ("typed", "zh", "en"),
    [
        ("  施工用电不足  ", "施工用电不足", ""),
        ("Temporary power is short", "", "Temporary power is short"),
        ("10kV线路未接入", "10kV线路未接入", ""),  # one Chinese character makes it Chinese
        ("（已办结）", "（已办结）", ""),  # full-width punctuation is Chinese
        ("   ", "", ""),
    ],
)
def test_it_files_a_typed_text_under_the_language_it_is_written_in(typed, zh, en):
    assert Bilingual.of(typed) == Bilingual(zh, en)


def test_it_keeps_a_pair_as_given_and_counts_blank_as_nothing():
    assert Bilingual.of(Bilingual(" 用电 ", " Power ")) == Bilingual("用电", "Power")
    assert not Bilingual.of(Bilingual("  ", ""))
    assert Bilingual("", "x")


def test_it_replaces_only_the_language_a_correction_is_written_in():
    stored = Bilingual("原描述", "Old description")
    assert Bilingual.of("补充了红线图").merged_into(stored) == Bilingual("补充了红线图", "Old description")
    assert Bilingual.of("Map added").merged_into(stored) == Bilingual("原描述", "Map added")


@pytest.mark.parametrize(
    ("language", "zh", "en", "shown"),
    [
        ("zh-hans", "用电", "Power", "用电"),
        ("en", "用电", "Power", "Power"),
        ("en", "用电", "", "用电"),  # no English yet: the Chinese rather than nothing
        ("zh-hans", "", "Power", "Power"),
    ],
)
def test_it_shows_the_reader_s_language_and_falls_back_to_the_other(language, zh, en, shown):
    with translation.override(language):
        assert in_active_language(zh, en) == shown
        assert str(Bilingual(zh, en)) == shown


@pytest.mark.parametrize(
    ("old", "zh", "en"),
    [
        ("已协调解决 / Coordinated and solved", "已协调解决", "Coordinated and solved"),
        ("电力 / 供水", "电力 / 供水", ""),  # both sides Chinese: one Chinese text with a slash in it
        ("A / B", "", "A / B"),
        ("Power / 电力", "Power / 电力", ""),  # not the order offices wrote: kept whole, as Chinese text
        ("用电不足", "用电不足", ""),
        ("", "", ""),
    ],
)
def test_it_unglues_the_texts_written_in_one_field_before_there_were_two(old, zh, en):
    assert unglued(old) == Bilingual(zh, en)
