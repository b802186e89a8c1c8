"""Forms of the daily monitoring: the site's daily report (a phone form) and the board's query."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from keyprojects.daily.services import MAX_PHOTOS


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
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    workers = forms.IntegerField(
        label=_("Workers on site"), min_value=0, validators=[MaxValueValidator(100_000)],
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    machinery = forms.IntegerField(
        label=_("Machines on site"), min_value=0, validators=[MaxValueValidator(10_000)],
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    work_today = forms.CharField(label=_("Work done today"), widget=forms.Textarea(attrs={"rows": 3}))
    plan_tomorrow = forms.CharField(
        label=_("Plan for tomorrow"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    weather_stoppage = forms.BooleanField(label=_("Work stopped by the weather"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField(
        label=_("Site photos"),
        required=False,
        help_text=_("Up to %(n)d photos; they are made smaller before they are kept.") % {"n": MAX_PHOTOS},
    )
    # The draft's key, made when the form is opened: sending the same draft twice files it once.
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex


class BoardForm(forms.Form):
    region = forms.SlugField(label=_("County"), required=False)
    date = forms.DateField(label=_("Day"), required=False)
