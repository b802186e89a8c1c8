"""Forms for the organisation directory and the user's own settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Department, Enterprise, User


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["slug", "name_zh", "name_en", "kind", "phone"]


class DepartmentEditForm(forms.ModelForm):
    """Editing never changes the slug: it is part of URLs and imports."""

    class Meta:
        model = Department
        fields = ["name_zh", "name_en", "kind", "phone"]


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ["slug", "name_zh", "name_en", "credit_code", "contact_name", "contact_phone"]


class EnterpriseEditForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ["name_zh", "name_en", "credit_code", "contact_name", "contact_phone"]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        required=False,
        help_text=_("What the token is for, e.g. “monthly export script”."),
    )
