"""The weekly meeting's pack as a Word document (A4), in the bulletins' fonts."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from docx import Document
from docx.shared import Mm, Pt

from keyprojects.bulletins.word import HEI, SONG, set_font
from keyprojects.core.money import format_money
from keyprojects.meetings.models import Decision
from keyprojects.meetings.selectors import WeeklyPack

HEADING_SIZE = Pt(14)
TEXT_SIZE = Pt(10.5)


def _text(document, text: str, *, face=SONG, size=TEXT_SIZE, bold=False):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(2)
    set_font(paragraph.add_run(text), face, size, bold)
    return paragraph


def _table(document, header: list[str], rows: list[list[str]]) -> None:
    if not rows:
        _text(document, _("None."))
        return
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(text), HEI, TEXT_SIZE, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = ""
            set_font(cell.paragraphs[0].add_run(text), SONG, TEXT_SIZE)


def _state(state: str) -> str:
    return {"done": _("done"), "open": _("open"), "overdue": _("overdue")}[state]


def _decision_row(decision: Decision, state: str) -> list[str]:
    about = decision.project.code if decision.project else (str(decision.problem) if decision.problem else "")
    return [decision.text, str(decision.owner), decision.due.isoformat(), about, _state(state)]


def pack_docx(pack: WeeklyPack, *, decisions: list[Decision] = ()) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    title = _("Weekly scheduling meeting: %(county)s, week of %(week)s") % {
        "county": pack.county,
        "week": pack.week_start.isoformat(),
    }
    _text(document, title, face=HEI, size=Pt(18), bold=True)

    def heading(text: str) -> None:
        _text(document, text, face=HEI, size=HEADING_SIZE, bold=True)

    decision_header = [_("Decision"), _("Owner"), _("Due"), _("About"), _("Status")]
    heading(_("Last week's decisions"))
    _table(
        document,
        decision_header,
        [_decision_row(line.decision, line.state) for line in pack.last_week_decisions],
    )
    heading(_("Projects behind their investment plan"))
    _table(
        document,
        [_("Project"), _("Planned"), _("Completed"), _("Gap")],
        [
            [
                f"{b.project.code} {b.project.name}",
                format_money(b.planned),
                format_money(b.completed),
                format_money(b.gap),
            ]
            for b in pack.behind
        ],
    )
    heading(_("Late milestones"))
    _table(
        document,
        [_("Project"), _("Milestone"), _("Planned date"), _("Days late")],
        [
            [m.project.code, m.milestone.name, m.milestone.planned_date.isoformat(), str(m.days_late)]
            for m in pack.late_milestones
        ],
    )
    heading(_("Problems overdue or on the agenda"))
    _table(
        document,
        [_("Problem"), _("Project"), _("Deadline"), _("Why")],
        [
            [
                str(p.problem),
                p.problem.project.code,
                p.problem.deadline.isoformat() if p.problem.deadline else "",
                "; ".join(p.reasons),
            ]
            for p in pack.problems
        ],
    )
    heading(_("Projects without daily reports"))
    _table(
        document,
        [_("Project"), _("Last daily report")],
        [
            [f"{s.project.code} {s.project.name}", s.last_report.isoformat() if s.last_report else _("never")]
            for s in pack.silent
        ],
    )
    heading(_("Dispatch tasks unanswered"))
    _table(
        document,
        [_("Task"), _("Deadline"), _("Not answered")],
        [
            [u.task.title, u.task.deadline.isoformat(), _(", ").join(p.code for p in u.projects)]
            for u in pack.unanswered_dispatch
        ],
    )
    if decisions:
        heading(_("This week's decisions"))
        _table(
            document,
            decision_header,
            [_decision_row(d, "done" if d.status == Decision.Status.DONE else "open") for d in decisions],
        )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
