"""Sending notices out: e-mail through Django's mail backend, and chat-group robots by webhook."""

from __future__ import annotations

import http.client
import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.problems.models import Notification, Webhook

log = logging.getLogger(__name__)


def notice_text(notification: Notification) -> str:
    problem = notification.problem
    return _("%(kind)s — %(project)s: #%(id)s %(title)s") % {
        "kind": notification.get_kind_display(),
        "project": f"{problem.project.code} {problem.project.name}",
        "id": problem.pk,
        "title": problem.title,
    }


def webhook_payload(kind: str, text: str) -> dict:
    """The JSON each chat app's group robot expects for a plain text message."""
    if kind == Webhook.Kind.FEISHU:
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}  # WeCom and DingTalk share this shape


def post_webhook(webhook: Webhook, text: str) -> bool:
    body = json.dumps(webhook_payload(webhook.kind, text), ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is an office-configured http(s) webhook
        webhook.url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.KEYPROJECTS_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            return 200 <= response.status < 300
    except (OSError, http.client.HTTPException) as exc:  # down, refusing, or not speaking HTTP at all
        log.warning("webhook %s failed: %s", webhook.pk, exc)
        return False


def deliver(notification_ids: list[int]) -> dict[str, int]:
    notices = list(
        Notification.objects.filter(pk__in=notification_ids).select_related(
            "user", "problem__project__county", "problem__lead_department"
        )
    )
    sent = {"email": 0, "webhook": 0}
    for notice in notices:
        if notice.user.email:
            with translation.override(notice.user.language):
                subject = _("Keyprojects: %(kind)s") % {"kind": notice.get_kind_display()}
                send_mail(subject, notice_text(notice), settings.DEFAULT_FROM_EMAIL, [notice.user.email])
            sent["email"] += 1
    # One chat message per problem and kind, to the county's and the lead department's groups.
    seen = set()
    for notice in notices:
        key = (notice.problem_id, notice.kind)
        if key in seen:
            continue
        seen.add(key)
        problem = notice.problem
        hooks = Webhook.objects.filter(active=True).filter(
            Q(region=problem.project.county) | Q(department_id=problem.lead_department_id)
        )
        with translation.override(settings.LANGUAGE_CODE):
            text = notice_text(notice)
        for hook in hooks:
            sent["webhook"] += post_webhook(hook, text)
    return sent
