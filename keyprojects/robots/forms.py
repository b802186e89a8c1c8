"""The robot form: platform, address, secret and events; the service decides whether it may be saved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Region
from keyprojects.problems.models import Webhook


class RobotForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    kind = forms.ChoiceField(label=_("Platform"), choices=Webhook.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    # Any http(s) address: county intranets reach the chat apps through their own proxies.
    url = forms.URLField(
        label=_("Webhook URL"),
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            'DingTalk and Feishu: the robot\'s "signed request" secret. Generic webhook: the HMAC key.'
        ),
    )
    clear_secret = forms.BooleanField(label=_("Remove the saved secret"), required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Webhook.Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every notice of the region."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, regions, robot: Webhook | None = None, **kwargs: Any) -> None:
        if robot is not None:
            kwargs.setdefault(
                "initial",
                {"kind": robot.kind, "name": robot.name, "url": robot.url, "events": robot.events,
                 "active": robot.active},
            )  # fmt: skip
        super().__init__(*args, **kwargs)
        self.robot = robot
        if robot is None:
            self.fields["region"].queryset = regions
            if regions.count() == 1:
                self.fields["region"].initial = regions.first()
            del self.fields["clear_secret"]
        else:
            del self.fields["region"]  # a robot stays with its region
            if robot.secret:
                self.fields["secret"].help_text = _("Saved: %(masked)s. Leave empty to keep it.") % {
                    "masked": robot.masked_secret
                }
            else:
                del self.fields["clear_secret"]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments = {
            "kind": data["kind"],
            "url": data["url"],
            "name": data["name"],
            "events": data["events"],
            "active": data["active"],
        }
        if self.robot is None:
            arguments |= {"region": data["region"], "secret": data["secret"]}
        elif data.get("clear_secret"):
            arguments["secret"] = ""
        elif data["secret"]:
            arguments["secret"] = data["secret"]
        return arguments
