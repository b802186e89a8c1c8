"""The demo's published bulletins: Xingtai's and Julu's, for every closed month of the demo year.

Published as the offices would have, a week after each month's reporting deadline, with the office's own
requirements text; no notices are sent (they would bury the demo's inboxes) and the files are laid out from
the snapshots when first downloaded.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from keyprojects.accounts.models import Region
from keyprojects.bulletins import services
from keyprojects.bulletins.models import MonthlyBulletin
from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM

REGIONS = ("xingtai", "julu")
ISSUED_AFTER_DEADLINE = timedelta(days=7)
REQUIREMENTS_ZH = (
    "一是加快在建项目建设进度，对照年度计划倒排工期，确保按期完成投资任务。\n"
    "二是强化要素保障，协调解决项目建设中的资金、土地、审批等问题。\n"
    "三是严格落实“日调度、周调整、月通报”工作机制，按时报送项目进展数据。"
)
REQUIREMENTS_EN = (
    "First, speed up the projects under construction: schedule backwards from the annual plan and complete "
    "the investment on time.\n"
    "Second, secure funds, land and approvals, and settle the problems raised by the projects.\n"
    "Third, keep to daily monitoring, weekly adjustment and monthly notification, and report on time."
)


def load(as_of: date) -> list[MonthlyBulletin]:
    if MonthlyBulletin.objects.exists():  # loaded before: the demo changes nothing the second time
        return []
    year = clock.programme_year(as_of)
    regions = Region.objects.filter(slug__in=REGIONS).order_by("path")
    published = []
    for region in regions:
        for month in range(1, 13):
            issued_on = clock.report_deadline(year, month) + ISSUED_AFTER_DEADLINE
            if issued_on > as_of or services.units_not_closed(region, year, month):
                break
            moment = timezone.make_aware(datetime.combine(issued_on, time(9)))
            with clock.frozen_at(moment):
                bulletin = services.draft_bulletin(actor=SYSTEM, region=region, year=year, month=month)
                services.write_requirements(
                    actor=SYSTEM, bulletin=bulletin, requirements_zh=REQUIREMENTS_ZH,
                    requirements_en=REQUIREMENTS_EN,
                )  # fmt: skip
                services.send_for_review(actor=SYSTEM, bulletin=bulletin)
                published.append(services.publish(actor=SYSTEM, bulletin=bulletin, notify=False))
    return published
