"""Spreadsheet files built for tests, as offices' programs save them: .xlsx (with the values Excel stores with
formulas), .xlsm, .xls, CSV in GBK or UTF-8, and the compound documents of password-protected workbooks."""

from __future__ import annotations

import csv
import io
import math
import re
import struct
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree

import xlwt
from openpyxl import Workbook
from xlwt.CompoundDoc import XlsDoc

Rows = list[list[Any]]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHARED_STRINGS_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


# ---- .xlsx and .xlsm ----------------------------------------------------------------------------------


def xlsx_bytes(
    rows: Rows, *, sheets: dict[str, Rows] | None = None, merges: Sequence[str] = (), title: str = "Sheet"
) -> bytes:
    """A workbook whose first worksheet `title` holds `rows` (cells merged over `merges`, e.g. "A1:Y1"), then
    a worksheet for each of `sheets`, in order. A text starting with "=" is written as a formula, without the
    value Excel would store with it (see `with_cached_values`)."""
    # Write-only: a registry of 20,000 rows is built in seconds.
    workbook = Workbook(write_only=True)
    for name, content in {title: rows, **(sheets or {})}.items():
        worksheet = workbook.create_sheet(name)
        for row in content:
            worksheet.append(row)
        if name == title:
            for cells in merges:
                worksheet.merged_cells.add(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_cached_values(xlsx: bytes, values: dict[tuple[str, str], Any]) -> bytes:
    """The workbook with a value stored in the formula cells named by (sheet, cell) as Excel stores the result
    of its last calculation; openpyxl stores none."""
    parts = _sheet_parts(xlsx)
    by_part: dict[str, dict[str, Any]] = {}
    for (sheet, cell), value in values.items():
        by_part.setdefault(parts[sheet], {})[cell] = value

    def store(name: str, data: bytes) -> bytes:
        for cell, value in by_part.get(name, {}).items():
            data, found = re.subn(
                rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>'.encode(),
                lambda m, cell=cell, value=value: _formula_cell(cell, m[1], m[2], value),
                data,
            )
            assert found == 1, f"no formula in {cell} of {name}"
        return data

    return _rewritten(xlsx, store)


def as_saved_by_excel(xlsx: bytes) -> bytes:
    """The workbook with its texts in the shared strings, as Excel and WPS save them (openpyxl writes each
    text in its cell): each text once, the cells pointing at it."""
    texts: dict[bytes, int] = {}

    def share(match: re.Match[bytes]) -> bytes:
        index = texts.setdefault(match[2], len(texts))
        return b'<c%s t="s"><v>%d</v></c>' % (match[1], index)

    def move_texts(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/"):
            return re.sub(rb'<c([^>]*?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', share, data)
        return data

    shared = _rewritten(xlsx, move_texts)  # the worksheets first, so that the texts are known
    strings = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in texts)
    count = len(texts)
    sst = b'<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>' % (MAIN.encode(), count, count, strings)

    def declare(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/></Types>'
                % SHARED_STRINGS_TYPE,
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Type="%s/sharedStrings" Target="sharedStrings.xml" Id="rIdSST"/></Relationships>'
                % RELATIONSHIPS.encode(),
            )
        return data

    return _rewritten(shared, declare, {"xl/sharedStrings.xml": sst})


def xlsm_bytes(rows: Rows, **options: Any) -> bytes:
    """A macro-enabled workbook as Excel saves one: the macro content type, and a VBA project beside the
    worksheets (never run)."""

    def enable_macros(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            data = data.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
            return data.replace(
                b"</Types>",
                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                b'Target="vbaProject.bin" Id="rIdVBA"/></Relationships>',
            )
        return data

    project = b'ID="{00000000-0000-0000-0000-000000000000}"\r\nDocument=ThisWorkbook/&H00000000\r\n'
    return _rewritten(
        xlsx_bytes(rows, **options), enable_macros, {"xl/vbaProject.bin": ole_bytes({"PROJECT": project})}
    )


def _formula_cell(cell: str, attributes: bytes, formula: bytes, value: Any) -> bytes:
    if isinstance(value, bool):
        kind, text = ' t="b"', str(int(value))
    elif isinstance(value, int | float):
        kind, text = "", repr(value)
    else:
        kind, text = ' t="str"', str(value).replace("&", "&amp;").replace("<", "&lt;")
    attributes = re.sub(rb'\s*t="[^"]*"', b"", attributes)
    return b'<c r="%s"%s%s><f>%s</f><v>%s</v></c>' % (
        cell.encode(),
        attributes,
        kind.encode(),
        formula,
        text.encode(),
    )


def _sheet_parts(xlsx: bytes) -> dict[str, str]:
    """Each worksheet's name, and the part that holds it."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:  # built by the test itself: trusted
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
        relationships = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    targets = {
        r.get("Id"): r.get("Target", "")
        for r in relationships.iter(f"{{{PACKAGE_RELATIONSHIPS}}}Relationship")
    }
    parts = {}
    for sheet in workbook.iter(f"{{{MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{RELATIONSHIPS}}}id")]
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return parts


def _rewritten(
    xlsx: bytes, change: Callable[[str, bytes], bytes], added: dict[str, bytes] | None = None
) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in source.infolist():
            archive.writestr(info.filename, change(info.filename, source.read(info)))
        for name, data in (added or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


# ---- .xls ---------------------------------------------------------------------------------------------


def xls_bytes(rows: Rows, *, sheets: dict[str, Rows] | None = None, title: str = "Sheet1") -> bytes:
    """An Excel 97-2003 workbook (what xlwt writes: BIFF8), dates formatted as dates so that they read back
    as dates. Formulas are not written: xlwt stores no value with them."""
    workbook = xlwt.Workbook(encoding="utf-8")
    as_date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name, content in {title: rows, **(sheets or {})}.items():
        worksheet = workbook.add_sheet(name)
        for r, row in enumerate(content):
            for c, value in enumerate(row):
                if isinstance(value, date | datetime):
                    worksheet.write(r, c, value, as_date)
                elif value is not None:
                    worksheet.write(r, c, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def password_protected_xls(rows: Rows) -> bytes:
    """An .xls saved with a password to open: its records are encrypted after a FILEPASS record that
    follows the first BOF (here the records stay plain; no reader gets that far)."""
    workbook = xlwt.Workbook(encoding="utf-8")
    worksheet = workbook.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            worksheet.write(r, c, value)
    biff = workbook.get_biff_data()
    (bof_length,) = struct.unpack_from("<H", biff, 2)
    # RC4 encryption: type 1, version 1.1, then salt, verifier and its hash (16 bytes each).
    filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + bytes(48)
    out = io.BytesIO()
    XlsDoc().save(out, biff[: 4 + bof_length] + filepass + biff[4 + bof_length :])
    return out.getvalue()


def password_protected_xlsx() -> bytes:
    """An .xlsx saved with a password to open, as Excel and WPS save it: no longer a zip, but a compound
    document holding the encryption's description and the encrypted package."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version='1.0'?><encryption/>"
    return ole_bytes({"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 8000) + bytes(8000)})


def ole_bytes(streams: dict[str, bytes]) -> bytes:
    """A compound document (the container of .xls files, VBA projects and encrypted workbooks) holding
    `streams` at its root. Each is padded to 4096 bytes, so that it lives in ordinary sectors and no mini
    stream is needed."""
    sector, end, fat_sector, free = 512, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    body, fat, starts, sizes = b"", [], [], []
    for content in streams.values():
        padded = content.ljust(4096, b"\0")
        count = math.ceil(len(padded) / sector)
        starts.append(len(fat))
        sizes.append(len(padded))
        fat += [*range(len(fat) + 1, len(fat) + count), end]
        body += padded.ljust(count * sector, b"\0")
    # The directory: the root entry, then the streams chained as right siblings in the order the format
    # sorts names (shorter first, then by upper case).
    names = list(streams)
    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    right = {order[n]: order[n + 1] + 1 for n in range(len(order) - 1)}
    entries = _directory_entry("Root Entry", 5, child=order[0] + 1 if order else free, start=end, size=0)
    for i, name in enumerate(names):
        entries += _directory_entry(name, 2, right=right.get(i, free), start=starts[i], size=sizes[i])
    entries = entries.ljust(math.ceil(len(entries) / sector) * sector, b"\0")
    directory_start = len(fat)
    count = len(entries) // sector
    fat += [*range(directory_start + 1, directory_start + count), end]
    fat_count = 1
    while len(fat) + fat_count > fat_count * sector // 4:
        fat_count += 1
    fat_start = len(fat)
    fat += [fat_sector] * fat_count
    fat += [free] * (fat_count * sector // 4 - len(fat))
    difat = [*range(fat_start, fat_start + fat_count)] + [free] * (109 - fat_count)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, fat_count, directory_start, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", *difat)
    )
    return header + body + entries + struct.pack(f"<{len(fat)}I", *fat)


def _directory_entry(
    name: str, kind: int, *, child: int = 0xFFFFFFFF, right: int = 0xFFFFFFFF, start: int, size: int
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(encoded), kind, 1, 0xFFFFFFFF, right, child)
        + bytes(16 + 4 + 16)
        + struct.pack("<IQ", start, size)
    )


# ---- .csv ---------------------------------------------------------------------------------------------


def csv_bytes(rows: Rows, encoding: str = "gbk", delimiter: str = ",") -> bytes:
    """A CSV file as Excel or WPS saves one: GBK by default (Excel's "CSV (comma delimited)" on Chinese
    Windows), "utf-8-sig" for "CSV UTF-8" (with its byte order mark); line breaks \\r\\n."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return out.getvalue().encode(encoding)


# ---- a county's registry ------------------------------------------------------------------------------

REGISTRY_HEADER = [
    "项目编号", "项目名称", "英文名称", "项目类别", "建设性质", "项目级别", "建设单位", "所在乡镇",
    "建设地点", "建设规模及主要内容", "总投资（万元）", "年度计划投资（万元）", "累计完成投资（万元）",
    "计划开工日期", "计划竣工日期", "当前阶段", "包联县领导", "责任单位", "项目负责人", "联系电话",
    "用地面积（亩）", "是否纳统", "经度", "纬度", "备注",
]  # fmt: skip


def large_registry(count: int) -> Rows:
    """A county office's own registry of `count` projects as a spreadsheet holds it: a title row, the header,
    then a row per project with all 25 columns filled, texts in Chinese of realistic length."""
    towns = [
        "巨鹿镇",
        "王虎寨镇",
        "西郭城镇",
        "官亭镇",
        "阎疃镇",
        "小吕寨镇",
        "苏家营乡",
        "堤村乡",
        "张王疃乡",
    ]
    kinds = ["产业项目", "基础设施", "社会民生", "城市更新", "生态环保"]
    rows: Rows = [["巨鹿县重点项目台账"], REGISTRY_HEADER]
    for n in range(count):
        town = towns[n % len(towns)]
        rows.append([
            f"JL-2025-{n:05d}", f"{town}第{n}号重点建设项目（一期）", f"Key project {n}", kinds[n % 5], "新建",
            "县级", f"河北巨鹿{town}建设投资有限公司", town, f"{town}工业园区纬三路以南{n % 50}号",
            "新建标准化厂房及配套设施，总建筑面积约2.3万平方米", 12000.5 + n, 3000.25, 1250.75 + n % 1000,
            date(2025, 1 + n % 12, 1 + n % 28), date(2026, 1 + n % 12, 1 + n % 28), "在建", "王副县长",
            "县发展和改革局、县工业和信息化局", "张工", f"1393190{n % 10000:04d}", 56.8, "是",
            115.0381 + n % 100 / 10000, 37.2212 + n % 100 / 10000, "按计划推进",
        ])  # fmt: skip
    return rows
