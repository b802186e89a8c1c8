"""Demo daily reports: the last 30 days of Julu's key projects under construction, as their sites sent them.

About 85 reports in 100 arrive; two projects have gone silent for the last few days, so that the board and the
weekly pack name them; a county-wide rain or heavy-pollution day stops the sites now and then; about one
report in five carries a site photo, drawn here at load time and kept through the same checks and storage as a
phone's upload. Each day's report of a project is drawn from the seed, the project and the day only, so it
reads the same whatever day the demo is told as of.

Written in bulk (630 reports one by one through the service would take most of the demo's load time); the
rows are what `file_daily_report` writes: one per project and day, a draft key of their own, the history and
audit rows, the reporter's evening moment, never after now.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.core import clock, uploads
from keyprojects.core.history import bulk_create_with_history
from keyprojects.core.models import AuditEntry
from keyprojects.core.rows import insert_rows
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.daily.services import DATE_TIME_ORIGINAL, EXIF_IFD, GPS_IFD, _prepare_photo
from keyprojects.investment.selectors import region_key_projects
from keyprojects.projects.models import Project, Stage

DAYS = 30
FILED_SHARE = 0.85
PHOTO_SHARE = 0.2
SILENT_PROJECTS = 2
SILENT_FOR = (3, 6)  # days, at least: the board calls a project silent after 3 days without a report
PHOTO_SIZE = (800, 600)

WORK_TODAY = (
    "主体结构施工，完成二层框架柱钢筋绑扎",
    "钢结构厂房屋面檩条安装",
    "基础承台混凝土浇筑，完成约120立方米",
    "土方开挖及边坡支护",
    "设备基础施工，预埋件安装",
    "厂区道路路基碾压",
    "室外综合管网铺设",
    "砌体工程施工，完成三层内隔墙",
    "外墙保温及涂料施工",
    "生产设备进场安装调试",
    "消防管道及喷淋系统安装",
    "配电室设备安装，电缆敷设",
    "屋面防水卷材铺贴",
    "办公楼内部装修施工",
)
PLAN_TOMORROW = (
    "继续主体结构施工",
    "浇筑顶板混凝土，做好养护",
    "钢结构吊装，加强安全监护",
    "组织隐蔽工程验收",
    "材料进场验收，继续管网施工",
    "设备单机调试",
    "继续砌体及抹灰施工",
    "清理现场，做好文明施工",
)
STOPPAGES = (
    ("降雨停工，做好基坑排水和现场防护", "天晴后恢复施工，先行排水清淤"),
    ("重污染天气橙色预警，土石方作业和露天切割停工", "预警解除后恢复土方作业，室内工序照常"),
    ("大风天气，塔吊及高空作业停止", "风力减弱后恢复吊装作业"),
)
NOTES = (
    "塔吊年检已完成",
    "商品混凝土供应偏紧，已协调搅拌站加供",
    "县重点项目办现场督导",
    "钢材到货延迟一天",
    "安全生产专项检查，无隐患",
)


def _evening(day: date, rng: random.Random) -> datetime:
    """When the site sent the day's report: in the evening, never after now (today's, early in the day)."""
    moment = timezone.make_aware(datetime.combine(day, time(rng.randint(17, 20), rng.randint(0, 59))))
    return min(moment, clock.now())


def _crew(project: Project, rng: random.Random) -> tuple[int, int]:
    """Workers and machines on a normal day, by the project's size: ~30 on a ¥100m site, ~150 on ¥1.5bn."""
    size = float(project.total_investment or 0) / 10_000_000  # in ¥10m
    workers = round((20 + size * 0.9) * rng.uniform(0.75, 1.2))
    return workers, max(1, round(workers / rng.uniform(8, 14)))


def _dms(degrees: float) -> tuple[float, float, float]:
    """Decimal degrees as EXIF writes them: degrees, minutes, seconds."""
    degrees = abs(degrees)
    minutes = (degrees - int(degrees)) * 60
    return float(int(degrees)), float(int(minutes)), round((minutes - int(minutes)) * 60, 2)


def _gradient(draw: ImageDraw.ImageDraw, top: int, bottom: int, start: tuple, end: tuple) -> None:
    """Fill the rows from `top` to `bottom` with a vertical gradient from colour `start` to colour `end`."""
    for y in range(top, bottom):
        t = (y - top) / (bottom - top)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
        draw.line([(0, y), (PHOTO_SIZE[0], y)], fill=colour)


def _photo(project: Project, day: date, taken_at: datetime, rng: random.Random) -> SimpleUploadedFile:
    """A site picture: sky and ground, a few blocks going up, the project and the day in the corner; the EXIF
    says when it was taken (the camera's local time, as a phone writes it) and, when the registry knows the
    site, where (a few tens of metres from the project's point)."""
    width, height = PHOTO_SIZE
    horizon = rng.randint(300, 380)
    image = Image.new("RGB", PHOTO_SIZE)
    draw = ImageDraw.Draw(image)
    _gradient(draw, 0, horizon, (90, 140, 200), (200, 220, 235))  # the sky, paler towards the horizon
    _gradient(draw, horizon, height, (150, 130, 100), (105, 85, 60))  # the ground, darker towards the camera
    for _ in range(rng.randint(3, 6)):
        left, block = rng.randint(0, width - 160), rng.randint(80, 200)
        top = horizon - rng.randint(60, 240)
        grey = rng.randint(120, 200)
        draw.rectangle(
            [left, top, left + block, horizon + 10], fill=(grey, grey, grey - 10), outline=(70, 70, 70)
        )
        for row in range(top + 15, horizon - 10, 30):  # window openings, floor by floor
            draw.line([(left + 10, row), (left + block - 10, row)], fill=(60, 60, 70), width=6)
    crane = rng.randint(100, width - 100)  # a tower crane
    draw.line([(crane, horizon), (crane, horizon - 280)], fill=(230, 180, 30), width=6)
    draw.line([(crane - 60, horizon - 270), (crane + 180, horizon - 270)], fill=(230, 180, 30), width=5)
    draw.rectangle([10, 10, 250, 50], fill=(0, 0, 0))
    draw.text((18, 14), project.code, fill=(255, 255, 255))
    draw.text((18, 32), day.isoformat(), fill=(255, 255, 255))
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = timezone.localtime(taken_at).strftime("%Y:%m:%d %H:%M:%S")
    if project.lat is not None and project.lng is not None:
        gps = exif.get_ifd(GPS_IFD)
        latitude = float(project.lat) + rng.uniform(-0.0004, 0.0004)
        longitude = float(project.lng) + rng.uniform(-0.0004, 0.0004)
        gps[1], gps[2] = ("N" if latitude >= 0 else "S"), _dms(latitude)
        gps[3], gps[4] = ("E" if longitude >= 0 else "W"), _dms(longitude)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, exif=exif)
    return SimpleUploadedFile(f"{project.code}-{day}.jpg", out.getvalue(), content_type="image/jpeg")


def _reporters(projects: list[Project]) -> dict[int, User]:
    """Each enterprise's first user (by username): who sends its projects' reports."""
    reporters: dict[int, User] = {}
    memberships = (
        Membership.objects.filter(
            role=Membership.Role.ENTERPRISE, enterprise__in={p.enterprise_id for p in projects}
        )
        .select_related("user")
        .order_by("user__username")
    )
    for membership in memberships:
        reporters.setdefault(membership.enterprise_id, membership.user)
    return reporters


def _stoppage_days(seed: int, days: list[date]) -> dict[date, int]:
    """The county-wide weather days of the window, each with its kind (an index into STOPPAGES)."""
    stopped = {}
    for day in days:
        rng = random.Random(f"{seed}/daily/weather/{day}")
        if rng.random() < 0.07:
            stopped[day] = rng.randrange(len(STOPPAGES))
    return stopped


def load(seed: int, as_of: date) -> int:
    """Julu's daily reports of the 30 days up to `as_of`; the number written (0 when there were some)."""
    if DailyReport.objects.exists():  # loaded before: the demo changes nothing the second time
        return 0
    julu = Region.objects.filter(slug="julu").first()
    if julu is None:
        return 0
    projects = list(
        Project.objects.filter(region_key_projects(julu), stage=Stage.CONSTRUCTION).order_by("code")
    )
    if not projects:
        return 0
    days = [as_of - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    stopped = _stoppage_days(seed, days)
    reporters = _reporters(projects)
    pick = random.Random(f"{seed}/daily/silent")
    working = [p for p in projects if not p.paused_since]  # a paused site is silent of itself
    silent = {
        p.pk: pick.randint(*SILENT_FOR) for p in pick.sample(working, k=min(SILENT_PROJECTS, len(working)))
    }

    reports: list[DailyReport] = []
    photographed: list[tuple[DailyReport, random.Random]] = []
    for project in projects:
        reporter = reporters.get(project.enterprise_id)  # None: filed by the system
        first = project.stage_since or days[0]
        filed_days = []
        for day in days:
            rng = random.Random(f"{seed}/daily/{project.code}/{day}")
            filed = rng.random() < FILED_SHARE
            if project.pk in silent:
                filed = filed and (as_of - day).days >= silent[project.pk]
            elif (as_of - day).days == 1 and not any((as_of - d).days <= 2 for d in filed_days):
                filed = True  # only the chosen ones go silent: no one else misses three days running
            if not filed or day < first or (project.paused_since and day >= project.paused_since):
                continue
            filed_days.append(day)
            workers, machinery = _crew(project, rng)
            work, plan, note = rng.choice(WORK_TODAY), rng.choice(PLAN_TOMORROW), ""
            stoppage = day in stopped
            if stoppage:
                work, plan = STOPPAGES[stopped[day]]
                workers, machinery = max(2, workers // 6), 0  # the watchmen and the maintenance crew
            elif rng.random() < 0.1:
                note = rng.choice(NOTES)
            report = DailyReport(
                project=project,
                date=day,
                workers=workers,
                machinery=machinery,
                work_today=work,
                plan_tomorrow=plan,
                weather_stoppage=stoppage,
                note=note,
                idempotency_key=f"demo-{project.pk}-{day}",
                reported_by=reporter,
                reported_at=_evening(day, rng),
            )
            report._history_date = report.reported_at
            report._history_user = reporter
            reports.append(report)
            if rng.random() < PHOTO_SHARE:
                photographed.append((report, rng))

    bulk_create_with_history(reports, DailyReport, reason="demo")
    stored = dict(
        DailyReport.objects.filter(idempotency_key__in=[r.idempotency_key for r in reports]).values_list(
            "idempotency_key", "pk"
        )
    )
    for report in reports:  # the ids, where the database did not return them
        report.pk = stored[report.idempotency_key]

    photos = {}
    for report, rng in photographed:
        earliest = min(timezone.make_aware(datetime.combine(report.date, time(7))), report.reported_at)
        taken_at = max(earliest, report.reported_at - timedelta(minutes=rng.randint(30, 540)))
        # Through the same checks and re-encoding as a phone's upload: what is kept reads the EXIF the same way.
        prepared = _prepare_photo(_photo(report.project, report.date, taken_at, rng))
        photo = DailyPhoto(
            report=report,
            token=uploads.stored_name(),
            width=prepared.width,
            height=prepared.height,
            taken_at=prepared.taken_at,
            latitude=prepared.latitude,
            longitude=prepared.longitude,
            size=len(prepared.content),
        )
        photo.file.save(photo.token, ContentFile(prepared.content), save=False)
        photos[report.pk] = photo
    DailyPhoto.objects.bulk_create(photos.values())

    insert_rows(
        AuditEntry,
        ["at", "actor", "action", "target_type", "target_id", "target_repr", "data"],
        (
            (
                r.reported_at,
                r.reported_by.pk if r.reported_by else None,
                "daily.file",
                DailyReport._meta.label_lower,
                str(r.pk),
                str(r)[:255],
                {
                    "date": r.date.isoformat(),
                    "workers": r.workers,
                    "machinery": r.machinery,
                    "photos": int(r.pk in photos),
                },
            )
            for r in reports
        ),
    )
    return len(reports)
