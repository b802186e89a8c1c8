"""Forms for the organisation directory, the user's own settings and the password reset."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.cache import cache
from django.utils import translation
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


class EmailForm(forms.Form):
    """The profile's e-mail address. The current password is asked for: whoever controls the address can reset
    the password, so a session left open must not be enough to take the account over."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        required=False,
        help_text=_("Where notices and password-reset links are sent. Leave empty to receive none."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("Your password was entered incorrectly."), code="password_incorrect"
            )
        return password


# At most this many reset mails per user and hour, so that the form cannot be used to flood someone's inbox.
# Counted in the cache (per process with the default local-memory cache): a brake, not an exact quota.
RESET_MAILS_PER_HOUR = 3


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form (no mail to inactive users or users without a usable password, and the same answer
    whether the address is known or not), writing each mail in its recipient's language."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        user = context["user"]
        key = f"accounts:password-reset:{user.pk}"
        cache.add(key, 0, timeout=3600)
        try:
            sent = cache.incr(key)
        except ValueError:  # the count expired between the two calls
            cache.set(key, sent := 1, timeout=3600)
        if sent > RESET_MAILS_PER_HOUR:
            return
        with translation.override(user.language):
            super().send_mail(
                subject_template_name, email_template_name, context, from_email, to_email, **kwargs
            )


class TwoFactorCodeForm(forms.Form):
    """The 6-digit code of an authenticator app (spaces allowed: some apps show "123 456")."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
