"""The default milestone template per category: the approval steps and when they fall due.

`days_from_start` counts from the project's start date (negative: before construction starts).
Counties copy and edit these on the template page; the defaults are installed by a data migration.
"""

from __future__ import annotations

# (code, name_zh, name_en, days_from_start, statutory time limit in days or None)
STEPS = [
    ("land_secured", "土地落实", "Land secured", -150, None),
    ("land_planning_permit", "建设用地规划许可证", "Land-use planning permit", -120, 20),
    ("works_planning_permit", "建设工程规划许可证", "Construction-works planning permit", -75, 20),
    ("construction_permit", "施工许可证", "Construction permit", -30, 15),
    ("construction_start", "开工建设", "Construction start", 0, None),
    ("topped_out", "主体封顶", "Main structure topped out", 240, None),
    ("completion_acceptance", "竣工验收", "Completion acceptance", 420, 30),
    ("real_estate_certificate", "不动产权证", "Real-estate certificate", 460, 30),
    ("trial_production", "试生产", "Trial production", 480, None),
    ("in_operation", "投产运营", "In operation", 540, None),
]

# Projects that produce nothing have no trial production.
WITHOUT_TRIAL_PRODUCTION = {"infrastructure", "social", "agriculture", "services"}


def default_steps(category: str) -> list[tuple]:
    if category in WITHOUT_TRIAL_PRODUCTION:
        return [s for s in STEPS if s[0] != "trial_production"]
    return list(STEPS)
