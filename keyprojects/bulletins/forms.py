"""The bulletin pages' forms: a new draft, the office's requirements, the reason for a return."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Region
from keyprojects.core.forms import MonthField, YearField


class DraftForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    year = YearField(label=_("Year"))
    month = MonthField(label=_("Through month"))

    def __init__(self, *args, regions=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.none()


class RequirementsForm(forms.Form):
    requirements_zh = forms.CharField(
        label=_("Requirements for the next step (Chinese, official)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        required=False,
    )
    requirements_en = forms.CharField(
        label=_("Requirements for the next step (English)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        required=False,
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason for return"), max_length=300)
