"""Guessing which of our fields a file's column is, from its header in Chinese or English."""

from __future__ import annotations

from keyprojects.imports.cells import unit_in_header
from keyprojects.imports.columns import guess_mapping, remembered_key


def test_it_guesses_columns_from_english_headers_and_units():
    headers = ["No.", "Project code", "Project name", "Total investment (yuan)", "Start date", "Enterprise"]

    guessed = {i: g.field for i, g in guess_mapping(headers, {}).items()}

    assert guessed == {1: "code", 2: "name_zh", 3: "total_investment", 4: "start_date", 5: "enterprise"}
    assert unit_in_header("Total investment (yuan)") == 1
    assert unit_in_header("总投资（亿元）") == 100_000_000
    # Changed on purpose: no unit in the header is no longer read as 万元; it is unknown, and asked for.
    assert unit_in_header("项目总投资") is None


def test_it_keeps_the_monthly_figures_answers_apart_from_the_registry_list_s():
    assert remembered_key("registry", "项目名称") == "项目名称"
    assert remembered_key("monthly", "项目名称") == "monthly:项目名称"
