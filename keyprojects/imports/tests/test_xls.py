"""Reading old-format workbooks (.xls, WPS .et): numbers as floats, dates as datetimes."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from keyprojects.imports import formats
from keyprojects.imports.sheets import RawSheet
from keyprojects.imports.tests.reads import HEADER, ROWS, TITLE, read
from keyprojects.imports.tests.workbooks import xls_bytes


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("name", ["台账.xls", "台账.et"])
def test_it_reads_an_old_format_workbook_numbers_as_floats_and_dates_as_datetimes(name):
    assert formats.check_upload(SimpleUploadedFile(name, xls_bytes(ROWS))) == "xls"

    [sheet] = read(name, xls_bytes(ROWS, title="项目台账"))

    assert sheet == RawSheet(
        "项目台账",
        [
            (1, TITLE),
            (2, HEADER),
            (3, ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", 12000.5, datetime(2025, 3, 1), True]),
            (5, ["JL-2025-002", "经济开发区标准化厂房（二期）", 3000.0, datetime(2025, 4, 15), False]),
        ],
    )
    assert isinstance(sheet.rows[3][1][2], float)
