"""The bulletin as a PDF, laid out by WeasyPrint from bulletins/bulletin_pdf.html in the Noto CJK faces."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from weasyprint import HTML

from keyprojects.bulletins.cells import text_rows, totals
from keyprojects.bulletins.charts import bulletin_charts
from keyprojects.bulletins.content import TEXT, Bulletin


def bulletin_html(bulletin: Bulletin) -> str:
    sections = []
    for section in bulletin.sections:
        paragraphs = section.paragraphs
        if section.key == "requirements":
            paragraphs = tuple(line for line in bulletin.requirements.splitlines() if line.strip())
        tables = [
            {
                "title": table.title,
                "columns": [{"header": c.header, "text": c.kind == TEXT} for c in table.columns],
                "rows": [list(zip(row, table.columns, strict=True)) for row in text_rows(bulletin, table)],
                "totals": totals(bulletin, table),
            }
            for table in section.tables
        ]
        charts = [
            {"caption": caption, "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}
            for caption, png in (bulletin_charts(bulletin) if section.key == "ranking" else [])
        ]
        sections.append(
            {"heading": section.heading, "paragraphs": paragraphs, "tables": tables, "charts": charts}
        )
    return render_to_string("bulletins/bulletin_pdf.html", {"bulletin": bulletin, "sections": sections})


def bulletin_document(bulletin: Bulletin):
    """WeasyPrint's laid-out document (its pages), for the PDF and for checking what it prints."""
    return HTML(string=bulletin_html(bulletin)).render()


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    return bulletin_document(bulletin).write_pdf()
