"""Reading a file as the import does (checked, then read) and the refusal it meets, for the reading tests: the
sample register each format is written with."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from keyprojects.imports import formats, reading
from keyprojects.imports.sheets import ImportRefused, RawSheet

TITLE = ["巨鹿县2025年重点项目台账"]
HEADER = ["项目编号", "项目名称", "总投资（万元）", "计划开工日期", "是否纳统"]
ROWS = [
    TITLE,
    HEADER,
    ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", 12000.5, date(2025, 3, 1), True],
    [],  # a blank row between projects: left out, and the next keeps its number
    ["JL-2025-002", "经济开发区标准化厂房（二期）", 3000, date(2025, 4, 15), False],
]


def read(name: str, content: bytes, max_rows: int = 100) -> list[RawSheet]:
    """The upload checked and read, as the import does."""
    upload = SimpleUploadedFile(name, content)
    file_format = formats.check_upload(upload)
    return reading.read_workbook(upload, file_format=file_format, max_rows=max_rows)


def refusal(name: str, content: bytes, max_rows: int = 100) -> str:
    with pytest.raises(ImportRefused) as refused:
        read(name, content, max_rows)
    assert refused.value.field == "file"
    return refused.value.message


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
