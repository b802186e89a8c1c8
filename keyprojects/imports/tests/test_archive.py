"""Reading workbooks built to exhaust the server: a few hundred kilobytes that unpack to tens of megabytes of
styles or shared strings, worksheets of endless cells, headers that lie about sizes. Each is refused in under a
second, naming the part and the limit, and memory stays flat; the largest registry accepted passes.

The bombs are built here: a small valid workbook written with openpyxl, one of its parts then replaced by a
highly compressible payload streamed into the archive (so that the test itself stays small)."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from keyprojects.imports import archive, formats, reading, sheets
from keyprojects.imports.sheets import ImportRefused
from keyprojects.imports.tests.workbooks import REGISTRY_HEADER, as_saved_by_excel, large_registry, xlsx_bytes

SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
MB = 1024 * 1024


def repeated(unit: bytes, size: int) -> Iterable[bytes]:
    """About `size` bytes of `unit` over and over, in blocks."""
    block = unit * max(1, 256 * 1024 // len(unit))
    for _ in range(max(1, size // len(block))):
        yield block


def registry(rows: list[list]) -> bytes:
    return xlsx_bytes([REGISTRY_HEADER, *rows])


def with_part(name: str, *chunks: Iterable[bytes] | bytes, content_type: str = "") -> bytes:
    """A valid one-row registry workbook whose part `name` is replaced (or added) by the chunks, packed as
    tightly as zip packs."""
    source = zipfile.ZipFile(io.BytesIO(registry([["JL-BOMB-1", "炸弹"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            if info.filename == name:
                continue
            data = source.read(info.filename)
            if content_type and info.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{name}" ContentType="{content_type}"/></Types>'
                data = data.replace(b"</Types>", override.encode())
            archive.writestr(info, data)
        with archive.open(name, "w") as part:
            for chunk in chunks:
                for piece in [chunk] if isinstance(chunk, bytes) else chunk:
                    part.write(piece)
    return out.getvalue()


def styles_of_size(size: int) -> bytes:
    """Valid styles whose cell formats repeat until the part is `size` bytes."""
    styles = zipfile.ZipFile(io.BytesIO(registry([]))).read("xl/styles.xml")
    end = styles.index(b"</cellXfs>")
    return with_part(
        "xl/styles.xml",
        styles[:end],
        repeated(b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>', size),
        styles[end:],
    )


def sheet_xml(rows: bytes) -> bytes:
    return b"<worksheet " + MAIN + b"><sheetData>" + rows + b"</sheetData></worksheet>"


def sheet(rows: Iterable[bytes]) -> bytes:
    start, end = sheet_xml(b"|").split(b"|")
    return with_part("xl/worksheets/sheet1.xml", start, rows, end)


def declaring(content: bytes, name: str, size: int) -> bytes:
    """The archive with the unpacked size of part `name` changed in both of its headers to `size`."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info, position = archive.getinfo(name), archive.start_dir
    struct.pack_into("<I", data, info.header_offset + 22, size)  # the local header
    while data[position : position + 4] == b"PK\x01\x02":  # the central directory, entry by entry
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
        if data[position + 46 : position + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, position + 24, size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(data)


def read(content: bytes, max_rows: int = 20_010) -> list[sheets.RawSheet]:
    """The upload checked and read, as the import does."""
    upload = SimpleUploadedFile("巨鹿县重点项目台账.xlsx", content)
    file_format = formats.check_upload(upload)
    return reading.read_workbook(upload, file_format=file_format, max_rows=max_rows)


def refusal(content: bytes) -> tuple[str, float]:
    """The message the file is refused with, and how long that took."""
    started = time.perf_counter()
    with pytest.raises(ImportRefused) as refused:
        read(content)
    return refused.value.message, time.perf_counter() - started


def test_it_refuses_styles_that_unpack_to_megabytes_in_under_a_second_with_flat_memory():
    bomb = styles_of_size(40 * MB)
    assert len(bomb) < 300_000  # what an attacker uploads

    tracemalloc.start()
    try:
        message, elapsed = refusal(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "xl/styles.xml" in message and "3.0" in message  # the part, and its limit in MB
    assert elapsed < 1
    assert peak < 20 * MB  # before the limits: 2.7 GB for a 95 MB styles part


@pytest.mark.parametrize(
    "build, part, limit",
    [
        pytest.param(
            lambda: with_part(
                "xl/sharedStrings.xml",
                b"<sst " + MAIN + b">",
                repeated(b"<si><t>aaaaaaaa</t></si>", 40 * MB),
                b"</sst>",
                content_type=SST_TYPE,
            ),
            "xl/sharedStrings.xml",
            "20.0",
            id="shared strings",
        ),
        pytest.param(
            lambda: sheet(repeated(b'<row><c t="n"><v>1</v></c></row>', 110 * MB)),
            "xl/worksheets/sheet1.xml",
            "100.0",
            id="worksheet",
        ),
        pytest.param(
            lambda: with_part(
                "docProps/custom.xml", b"<Properties>", repeated(b" ", 10 * MB), b"</Properties>"
            ),
            "docProps/custom.xml",
            "2.0",
            id="any other part",
        ),
    ],
)
def test_it_refuses_at_once_a_part_beyond_the_limit_of_its_kind(build, part, limit):
    message, elapsed = refusal(build())

    assert part in message and limit in message
    assert elapsed < 1


def test_it_refuses_a_workbook_that_unpacks_beyond_the_total_limit(settings):
    settings.KEYPROJECTS_IMPORT_MAX_UNPACKED_BYTES = 2 * MB

    message, elapsed = refusal(styles_of_size(int(2.5 * MB)))

    assert "2.0" in message and "xl/styles.xml" not in message  # the total, not the part
    assert elapsed < 1


def test_it_refuses_a_part_packed_like_a_bomb_even_within_its_size_limit():
    message, elapsed = refusal(styles_of_size(int(2.5 * MB)))

    assert "xl/styles.xml" in message and "100" in message
    assert elapsed < 1


def test_it_refuses_a_worksheet_with_more_cells_than_the_limit_counting_empty_ones(settings):
    settings.KEYPROJECTS_IMPORT_MAX_CELLS = 20_000
    rows = (f'<row r="{n}"><c r="A{n}" s="1"/><c r="B{n}" s="1"/></row>'.encode() for n in range(1, 10_000))

    message, elapsed = refusal(sheet([b"".join(rows)]))

    assert "xl/worksheets/sheet1.xml" in message and "20000" in message
    assert elapsed < 1


def test_it_refuses_more_shared_texts_than_the_cell_limit(settings):
    settings.KEYPROJECTS_IMPORT_MAX_CELLS = 20_000
    texts = b"".join(f"<si><t>{n:x}</t></si>".encode() for n in range(30_000))
    bomb = with_part("xl/sharedStrings.xml", b"<sst " + MAIN + b">", texts, b"</sst>", content_type=SST_TYPE)

    message, elapsed = refusal(bomb)

    assert "xl/sharedStrings.xml" in message and "20000" in message
    assert elapsed < 1


def test_it_refuses_a_row_longer_than_excel_allows():
    row = b"<row>" + b"".join(f'<c s="{n % 7}"/>'.encode() for n in range(20_000)) + b"</row>"

    message, elapsed = refusal(sheet([row]))

    assert "xl/worksheets/sheet1.xml" in message
    assert elapsed < 1


def test_it_refuses_a_part_that_unpacks_to_more_than_its_header_declares():
    bomb = declaring(styles_of_size(30 * MB), "xl/styles.xml", 50_000)
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo("xl/styles.xml").file_size == 50_000

    message, elapsed = refusal(bomb)

    assert "xl/styles.xml" in message
    assert elapsed < 1


def test_it_refuses_entity_declarations_which_no_workbook_has():
    laughs = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    row = b'<row><c t="inlineStr"><is><t>&b;</t></is></c></row>'

    message, _elapsed = refusal(with_part("xl/worksheets/sheet1.xml", laughs, sheet_xml(row)))

    assert "xl/worksheets/sheet1.xml" in message


def test_it_refuses_a_file_beyond_the_upload_limit_before_opening_it(settings):
    settings.KEYPROJECTS_IMPORT_MAX_BYTES = 50_000
    content = registry([[f"JL-{n:05d}", f"项目{n}" * 20] for n in range(3000)])
    assert len(content) > 50_000

    message, elapsed = refusal(content)

    assert "48.8" in message  # the limit, in KB
    assert elapsed < 1


@pytest.fixture(scope="module")
def largest_registries() -> dict[str, bytes]:
    """As many project rows as an import takes, every one of the 25 columns filled: as Excel saves them
    (texts shared) and as openpyxl writes them (each text in its cell: our own exports)."""
    written = xlsx_bytes(large_registry(20_000))
    return {"saved by Excel": as_saved_by_excel(written), "written by openpyxl": written}


@pytest.mark.parametrize("program", ["saved by Excel", "written by openpyxl"])
def test_it_passes_the_largest_registry_accepted_through_the_checks_quickly(
    largest_registries, program, settings
):
    content = largest_registries[program]
    assert settings.KEYPROJECTS_IMPORT_MAX_ROWS == 20_000
    assert len(content) < settings.KEYPROJECTS_IMPORT_MAX_BYTES

    started = time.process_time()  # CPU time: other work on the machine does not count
    archive.check_archive(io.BytesIO(content))

    assert time.process_time() - started < 5  # about a second on a quiet machine


def test_it_reads_the_largest_registry_accepted(largest_registries, settings):
    [sheet] = read(largest_registries["saved by Excel"], max_rows=settings.KEYPROJECTS_IMPORT_MAX_ROWS + 10)

    assert len(sheet.rows) == 20_002  # the title, the header and every project
    assert sheet.rows[-1][1][0] == "JL-2025-19999"
