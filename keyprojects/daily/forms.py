"""Forms of the daily monitoring: the site's daily report (a phone form) and the board's query."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import DayField
from keyprojects.daily.services import MAX_PHOTOS, MAX_TEXT, PhotoMeta


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; what they really are is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files]


class DailyReportForm(forms.Form):
    day = DayField(label=_("Day"))
    workers = forms.IntegerField(
        label=_("Workers on site"), min_value=0, validators=[MaxValueValidator(100_000)],
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    machinery = forms.IntegerField(
        label=_("Machines on site"), min_value=0, validators=[MaxValueValidator(10_000)],
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    work_today = forms.CharField(
        label=_("Work done today"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    plan_tomorrow = forms.CharField(
        label=_("Plan for tomorrow"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weather_stoppage = forms.BooleanField(label=_("Work stopped by the weather"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField(
        label=_("Site photos"),
        required=False,
        help_text=_("Up to %(n)d photos; they are made smaller before they are kept.") % {"n": MAX_PHOTOS},
    )
    # The draft's key, made when the form is opened: sending the same draft twice files it once.
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    # Set by the phone (daily_site.js): what each photo's EXIF said before the phone made it smaller.
    photo_meta = forms.CharField(required=False, widget=forms.HiddenInput)

    def service_arguments(self) -> dict:
        """The report as services.file_daily_report takes it (the page and the phone's JSON door alike)."""
        data = self.cleaned_data
        names = ("workers", "machinery", "work_today", "plan_tomorrow", "weather_stoppage", "note")
        return {
            "day": data["day"],
            **{name: data[name] for name in names},
            "idempotency_key": data["idempotency_key"],
            "photos": data["photos"],
            "photo_meta": data["photo_meta"],
        }

    def clean_photo_meta(self) -> list[PhotoMeta | None]:
        raw = self.cleaned_data.get("photo_meta") or ""
        if not raw:
            return []
        refused = forms.ValidationError(_("The photos' camera details could not be read."), code="photo_meta")
        try:
            items = json.loads(raw)
        except ValueError:
            raise refused from None
        if not isinstance(items, list) or len(items) > MAX_PHOTOS:
            raise refused
        return [_photo_meta(item, refused) for item in items]

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex


class BoardForm(forms.Form):
    region = forms.SlugField(label=_("County"), required=False)
    date = DayField(label=_("Day"), required=False)


def _photo_meta(item: object, refused: forms.ValidationError) -> PhotoMeta | None:
    """One photo's details as the phone sent them: {"taken_at": ISO 8601 with offset, "latitude", "longitude"}."""
    if item is None:
        return None
    if not isinstance(item, dict):
        raise refused
    taken_at = latitude = longitude = None
    try:
        if item.get("taken_at"):
            taken_at = datetime.fromisoformat(str(item["taken_at"]))
            if taken_at.tzinfo is None:
                raise refused
        if item.get("latitude") is not None and item.get("longitude") is not None:
            latitude = Decimal(str(item["latitude"])).quantize(Decimal("0.000001"))
            longitude = Decimal(str(item["longitude"])).quantize(Decimal("0.000001"))
            if not (abs(latitude) <= 90 and abs(longitude) <= 180):
                raise refused
    except (ValueError, InvalidOperation):
        raise refused from None
    return PhotoMeta(taken_at=taken_at, latitude=latitude, longitude=longitude)
