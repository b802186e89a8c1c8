"""Writes of the daily monitoring: a site's daily report, filed once, with its photos."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from keyprojects.accounts.models import User
from keyprojects.core import clock, uploads
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.workflow import SystemActor, person, require_actor
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.investment.workflow import may_fill
from keyprojects.projects.models import Project

MAX_DAYS_BACK = 7  # a report may be filed late for up to a week, never ahead
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000  # larger than any phone camera; refuses decompression bombs early
MAX_PHOTO_SIDE = 1600
MAX_PHOTOS = 9
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATE_TIME_ORIGINAL = 36867
OFFSET_TIME_ORIGINAL = 36881


def may_file(actor: User | SystemActor, project: Project) -> bool:
    """The project's enterprise users and the county project office (and the system) file its daily report."""
    require_actor(actor)
    return may_fill(actor, project)


@dataclass(frozen=True)
class PhotoMeta:
    """What the phone read from a photo's EXIF before it made the photo smaller (the smaller copy carries no
    EXIF): used where the file itself says nothing."""

    taken_at: datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass(frozen=True)
class _Photo:
    content: bytes
    width: int
    height: int
    taken_at: datetime | None
    latitude: Decimal | None
    longitude: Decimal | None


def _exif_taken_at(image: Image.Image) -> datetime | None:
    """EXIF DateTimeOriginal ("YYYY:MM:DD HH:MM:SS", the camera's local time): aware, in the offset the camera
    gave, else in the county's time zone; None when absent or unreadable."""
    try:
        exif = image.getexif().get_ifd(EXIF_IFD)
    except Exception:  # a broken EXIF block must not refuse the photo itself
        return None
    raw = exif.get(DATE_TIME_ORIGINAL)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = exif.get(OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return datetime.fromisoformat(f"{moment.isoformat()}{offset.strip(chr(0) + ' ')}")
        except ValueError:
            pass
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _degrees(value: object, ref: object, negative: str) -> Decimal | None:
    """An EXIF GPS coordinate (degrees, minutes, seconds as rationals) in signed decimal degrees."""
    try:
        d, m, s = (float(part) for part in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        degrees = -degrees
    return Decimal(f"{degrees:.6f}")


def _exif_location(image: Image.Image) -> tuple[Decimal | None, Decimal | None]:
    """EXIF GPS latitude and longitude (WGS 84); (None, None) when absent, unreadable or out of range."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:  # a broken EXIF block must not refuse the photo itself
        return None, None
    latitude = _degrees(gps.get(2), gps.get(1), "S")
    longitude = _degrees(gps.get(4), gps.get(3), "W")
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None, None
    return latitude, longitude


def _prepare_photo(upload: UploadedFile, meta: PhotoMeta | None = None) -> _Photo:
    """Check that the upload is an image of a sane size and re-encode it as a JPEG whose longest side is at
    most MAX_PHOTO_SIDE (the re-encoding also drops whatever else the file carried)."""
    name = getattr(upload, "name", "") or _("the photo")
    if upload.size > MAX_PHOTO_BYTES:
        raise DomainError(
            _("The photo %(name)s is %(size)s MB; a photo may be at most %(limit)s MB.")
            % {
                "name": name,
                "size": round(upload.size / 1_048_576, 1),
                "limit": MAX_PHOTO_BYTES // 1_048_576,
            },
            field="photos",
        )
    upload.seek(0)
    data = upload.read()
    not_an_image = DomainError(
        _("The file %(name)s is not a photo: only JPEG, PNG or WebP images can be added.") % {"name": name},
        field="photos",
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PHOTO_PIXELS:
                raise DomainError(
                    _("The photo %(name)s has too many pixels.") % {"name": name}, field="photos"
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            taken_at = _exif_taken_at(image)
            latitude, longitude = _exif_location(image)
            image = ImageOps.exif_transpose(image)  # a phone's portrait photo stays upright
            image = image.convert("RGB")
            image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except DomainError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    meta = meta or PhotoMeta()
    if latitude is None and meta.latitude is not None and meta.longitude is not None:
        latitude, longitude = meta.latitude, meta.longitude
    return _Photo(out.getvalue(), image.width, image.height, taken_at or meta.taken_at, latitude, longitude)


def _check_day(day: date) -> None:
    today = clock.today()
    if day > today:
        raise DomainError(_("A daily report cannot be filed for a day still to come."), field="day")
    if day < today - timedelta(days=MAX_DAYS_BACK):
        raise DomainError(
            _("A daily report can be filed at most %(days)d days late.") % {"days": MAX_DAYS_BACK},
            field="day",
        )


def _same_key(key: str, project: Project, day: date) -> DailyReport | None:
    """The report already filed under this draft key; refused when the key was used for another one."""
    stored = DailyReport.objects.filter(idempotency_key=key).first()
    if stored is not None and (stored.project_id != project.pk or stored.date != day):
        raise DomainError(_("This draft was already sent as another report."), field="idempotency_key")
    return stored


def _already_filed(project: Project, day: date) -> DomainError:
    return DomainError(
        _("The daily report of %(project)s for %(day)s was already filed.")
        % {"project": project.code, "day": day.isoformat()},
        field="day",
    )


# What one box may hold: a page of text; more is a paste gone wrong.
MAX_TEXT = 5000


@transaction.atomic
def file_daily_report(
    *,
    actor: User | SystemActor,
    project: Project,
    day: date,
    workers: int,
    machinery: int,
    work_today: str,
    plan_tomorrow: str = "",
    weather_stoppage: bool = False,
    note: str = "",
    idempotency_key: str,
    photos: Iterable[UploadedFile] = (),
    photo_meta: Sequence[PhotoMeta | None] = (),
) -> DailyReport:
    """File a project's report of one day, exactly once: the same draft key again (a retry, a double tap)
    returns the stored report unchanged; another report of the same project and day is refused.
    The report's `filed_now` says which happened (False: a retry answered with the stored report)."""
    if not may_file(actor, project):
        raise NotAllowed(
            _("Only the project's enterprise or the county project office can file its daily report.")
        )
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise DomainError(_("The draft key is missing or too long."), field="idempotency_key")
    stored = _same_key(key, project, day)
    if stored is not None:
        stored.filed_now = False
        return stored
    _check_day(day)
    if workers is None or machinery is None or workers < 0 or machinery < 0:
        raise DomainError(_("Workers and machines are counted from zero up."), field="workers")
    if not (work_today or "").strip():
        raise DomainError(_("Say what work was done today."), field="work_today")
    for field, text in (("work_today", work_today), ("plan_tomorrow", plan_tomorrow), ("note", note)):
        if text and len(text) > MAX_TEXT:
            raise DomainError(
                _("The text is %(length)d characters long; at most %(max)d are allowed.")
                % {"length": len(text), "max": MAX_TEXT},
                field=field,
            )
    if DailyReport.objects.filter(project=project, date=day).exists():
        raise _already_filed(project, day)
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise DomainError(_("At most %(n)d photos can be added.") % {"n": MAX_PHOTOS}, field="photos")
    # Every photo is checked before anything is written.
    prepared = [
        _prepare_photo(upload, photo_meta[i] if i < len(photo_meta) else None)
        for i, upload in enumerate(photos)
    ]
    report = DailyReport(
        project=project,
        date=day,
        workers=workers,
        machinery=machinery,
        work_today=work_today.strip(),
        plan_tomorrow=plan_tomorrow.strip(),
        weather_stoppage=weather_stoppage,
        note=note.strip(),
        idempotency_key=key,
        reported_by=person(actor),
        reported_at=clock.now(),
    )
    report._history_user = person(actor)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Another request filed at the same moment: the same draft (a retry) gets the stored report.
        stored = _same_key(key, project, day)
        if stored is not None:
            stored.filed_now = False
            return stored
        raise _already_filed(project, day) from None
    for photo in prepared:
        kept = DailyPhoto(
            report=report,
            token=uploads.stored_name(),
            width=photo.width,
            height=photo.height,
            taken_at=photo.taken_at,
            latitude=photo.latitude,
            longitude=photo.longitude,
            size=len(photo.content),
        )
        kept.file.save(kept.token, ContentFile(photo.content), save=False)
        kept.save()
    audit_record(
        actor=actor,
        action="daily.file",
        target=report,
        data={"date": day.isoformat(), "workers": workers, "machinery": machinery, "photos": len(prepared)},
    )
    report.filed_now = True
    return report
