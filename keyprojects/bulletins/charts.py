"""The bulletin's charts as PNG images for the printed formats: completion rate by unit, cumulative investment.

Drawn with matplotlib's Agg renderer through `Figure` (never pyplot, whose global state is not thread-safe), in
the Noto Sans CJK SC face named on every text (rcParams are global too), 200 dpi, without the software stamp,
so that the same bulletin always gives the same bytes. The texts are in the active language, as the rest of
the bulletin.
"""

from __future__ import annotations

import io
import subprocess
import threading
from decimal import Decimal

from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.ticker import FuncFormatter

from keyprojects.bulletins.cells import amount, percent
from keyprojects.bulletins.content import RATE, Bulletin, BulletinTable

FACE = "Noto Sans CJK SC"  # the Hei-style face the Word and PDF headings use: fonts-noto-cjk
DPI = 200
WIDTH = 150 / 25.4  # inches: the width the documents print the chart at, so point sizes print as set
TEXT_SIZE = 9
BAR = "#1f4e79"  # dark enough to tell apart in black and white
PLANNED = "#7f7f7f"
# The unit rankings a chart can show, the city's first: a county bulletin ranks its development zones.
RANKINGS = ("units", "zone")

_registered = threading.Lock()
_family: str | None = None


def font_family() -> str:
    """The CJK face's family name, its file (found by fontconfig) registered with matplotlib once."""
    global _family
    with _registered:
        if _family is None:
            path = subprocess.run(  # noqa: S603 (a fixed command line)
                ["/usr/bin/fc-match", "-f", "%{file}", FACE], capture_output=True, text=True, check=True
            ).stdout
            fontManager.addfont(path)
            _family = FACE
    return _family


def _font(size: float = TEXT_SIZE) -> FontProperties:
    return FontProperties(family=font_family(), size=size)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _style(axes) -> None:
    axes.tick_params(labelsize=TEXT_SIZE, labelfontfamily=font_family())
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def ranking_table(bulletin: Bulletin) -> BulletinTable | None:
    """The bulletin's ranking of units by completion rate: the county-level units, or a county's zones."""
    tables = {t.key: t for t in bulletin.tables}
    return next((tables[key] for key in RANKINGS if key in tables), None)


def completion_points(bulletin: Bulletin) -> list[tuple[str, Decimal]]:
    """(unit, completion rate as a fraction) in the ranking's order; units without a plan are left out."""
    table = ranking_table(bulletin)
    if table is None:
        return []
    rate_at = next(i for i, c in enumerate(table.columns) if c.kind == RATE)
    return [(row[1], row[rate_at]) for row in table.rows if row[rate_at] is not None]


def cumulative_points(bulletin: Bulletin) -> list[tuple[int, Decimal, Decimal]]:
    """(month, planned, completed) from January through each month, in the bulletin's money unit."""
    return [
        (p.month, amount(bulletin, p.planned_cum), amount(bulletin, p.completed_cum))
        for p in bulletin.monthly
    ]


def _completion_title(bulletin: Bulletin) -> str:
    if ranking_table(bulletin).key == "units":
        return _("Completion rate by county-level unit, %(period)s") % {"period": bulletin.period}
    return _("Completion rate by development zone, %(period)s") % {"period": bulletin.period}


def _cumulative_title(bulletin: Bulletin) -> str:
    return _("Cumulative planned and completed investment, %(period)s") % {"period": bulletin.period}


def completion_chart(bulletin: Bulletin) -> bytes:
    """Horizontal bars, the first of the ranking on top, each with its rate; a line at the region's rate."""
    points = completion_points(bulletin)
    names = [name for name, _rate in points]
    rates = [float(percent(rate)) for _name, rate in points]
    figure = Figure(figsize=(WIDTH, 1.1 + 0.27 * max(len(points), 1)), layout="constrained")
    axes = figure.add_subplot()
    bars = axes.barh(range(len(points)), rates, color=BAR, height=0.6)
    axes.set_yticks(range(len(points)), labels=names)
    axes.invert_yaxis()
    # On white, over the line at the region's rate where it passes.
    axes.bar_label(
        bars,
        labels=[f"{r:.2f}%" for r in rates],
        padding=2,
        fontproperties=_font(TEXT_SIZE - 1),
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
        zorder=4,
    )
    overall = bulletin.overview.completion_rate
    if overall is not None:
        axes.axvline(
            float(percent(overall)),
            color=PLANNED,
            linestyle="--",
            linewidth=1,
            zorder=3,
            label=_("%(region)s overall: %(rate)s")
            % {"region": bulletin.region_name, "rate": f"{percent(overall):.2f}%"},
        )
        axes.legend(prop=_font(), loc="lower right", bbox_to_anchor=(1, 1), frameon=False, borderaxespad=0)
    axes.set_xlim(0, max([*rates, 100]) * 1.15)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
    axes.set_xlabel(_("Completion rate (%)"), fontproperties=_font())
    _style(axes)
    return _png(figure)


def cumulative_chart(bulletin: Bulletin) -> bytes:
    """Planned and completed from January through each month: the gap between the lines is the lag."""
    points = cumulative_points(bulletin)
    months = [month for month, _p, _c in points]
    figure = Figure(figsize=(WIDTH, 3.4), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(
        months,
        [float(p) for _m, p, _c in points],
        color=PLANNED,
        linestyle="--",
        marker="s",
        markersize=4,
        label=_("Cumulative planned investment"),
    )
    axes.plot(
        months,
        [float(c) for _m, _p, c in points],
        color=BAR,
        marker="o",
        markersize=4,
        label=_("Cumulative completed investment"),
    )
    axes.set_xticks(months)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:,.0f}"))
    axes.grid(axis="y", linewidth=0.5, color="#d9d9d9")
    axes.set_xlabel(_("Month"), fontproperties=_font())
    axes.set_ylabel(
        _("Cumulative investment (%(unit)s)") % {"unit": bulletin.money_unit}, fontproperties=_font()
    )
    axes.legend(prop=_font(), loc="upper left", frameon=False)
    _style(axes)
    return _png(figure)


def bulletin_charts(bulletin: Bulletin) -> list[tuple[str, bytes]]:
    """(caption, PNG) of each chart the bulletin has data for, numbered as printed."""
    charts = []
    if completion_points(bulletin):
        charts.append((_completion_title(bulletin), completion_chart(bulletin)))
    if bulletin.monthly:
        charts.append((_cumulative_title(bulletin), cumulative_chart(bulletin)))
    return [
        (_("Figure %(number)s. %(title)s") % {"number": number, "title": title}, png)
        for number, (title, png) in enumerate(charts, start=1)
    ]
