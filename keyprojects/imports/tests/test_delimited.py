"""Reading CSV files in their encoding (GBK, UTF-8 with or without its mark) and with their delimiter (comma,
semicolon or tab), and refusing one that cannot be parsed, naming the line."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from keyprojects.imports import formats
from keyprojects.imports.sheets import RawSheet
from keyprojects.imports.tests.reads import HEADER, ROWS, TITLE, read, refusal
from keyprojects.imports.tests.workbooks import csv_bytes


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "encoding, delimiter",
    [
        pytest.param("gbk", ",", id="GBK, as Excel saves CSV on Chinese Windows"),
        pytest.param("utf-8-sig", ",", id="UTF-8 with its byte order mark: Excel's CSV UTF-8"),
        pytest.param("utf-8", ",", id="UTF-8 without it"),
        pytest.param("gb18030", ";", id="semicolons"),
        pytest.param("utf-16", "\t", id="UTF-16 with tabs: Excel's Unicode text"),
    ],
)
def test_it_reads_a_csv_file_in_its_encoding_and_with_its_delimiter(encoding, delimiter):
    rows = [*ROWS, ["JL-2025-003", "堤村乡“美丽乡村”建设, 含道路; 及绿化", "1,250.75", "2025/5/1", "是"]]

    [sheet] = read("巨鹿县台账.csv", csv_bytes(rows, encoding=encoding, delimiter=delimiter))

    assert sheet == RawSheet(
        "巨鹿县台账",
        [
            (1, TITLE),
            (2, HEADER),
            (3, ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", "12000.5", "2025-03-01", "True"]),
            (5, ["JL-2025-002", "经济开发区标准化厂房（二期）", "3000", "2025-04-15", "False"]),
            (6, ["JL-2025-003", "堤村乡“美丽乡村”建设, 含道路; 及绿化", "1,250.75", "2025/5/1", "是"]),
        ],
    )


def test_it_tells_semicolons_from_decimal_commas():
    rows = [["项目编号", "总投资", "完成投资"], ["JL-1", "1,5", "0,75"], ["JL-2", "12", "3,25"]]

    [sheet] = read("台账.txt", csv_bytes(rows, encoding="utf-8", delimiter=";"))

    assert [values for _number, values in sheet.rows] == rows


def test_it_reads_a_tab_separated_export_named_xls_as_text():
    rows = [["项目编号", "项目名称"], ["JL-1", "巨鹿县医院"]]
    content = csv_bytes(rows, encoding="gbk", delimiter="\t")

    assert formats.check_upload(SimpleUploadedFile("导出.xls", content)) == "csv"
    assert read("导出.xls", content)[0].rows == [(1, rows[0]), (2, rows[1])]


def test_it_refuses_a_csv_file_it_cannot_parse_naming_the_line(settings):
    content = csv_bytes([["项目编号", "备注"], ["JL-1", "长" * 200_000]], encoding="utf-8")

    assert "line 2" in refusal("台账.csv", content)
