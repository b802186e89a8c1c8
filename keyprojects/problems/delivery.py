"""Sending notices out — e-mail through Django's mail backend, chat-group robots by webhook — each message
on its own, so that a dead mail server does not silence the robots, nor one robot the others.

Every try is recorded as a DeliveryAttempt; a failed one is tried again with a pause that doubles each time
(by a deferred task where the task backend can defer, and by the periodic `retry_failed_deliveries` in any
case) and given up after settings.KEYPROJECTS_DELIVERY_MAX_ATTEMPTS tries. The county office sees what
failed and may try again at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.workflow import require_actor
from keyprojects.problems.models import DeliveryAttempt, Notification, Webhook

log = logging.getLogger(__name__)

Channel, Result = DeliveryAttempt.Channel, DeliveryAttempt.Result


class DeliveryFailed(Exception):
    """The other end did not take the message; the text says why."""


class Undeliverable(DeliveryFailed):
    """No point in trying again: the person has no address or left, the robot was switched off."""


def notice_text(notification: Notification) -> str:
    """The message in the active language: a problem's notice names it; any other says its subject and link."""
    problem = notification.problem
    if problem is None:
        text = notification.headline()
        if notification.subject:
            text = _("%(kind)s — %(subject)s") % {"kind": text, "subject": notification.subject}
        if notification.link:
            text = f"{text}\n{notification.link}"
        return text
    return notice_summary(notification)


def notice_summary(notification: Notification) -> str:
    """One line saying what the notice is about, in the active language."""
    problem = notification.problem
    if problem is None:
        if notification.subject:
            return _("%(kind)s — %(subject)s") % {
                "kind": notification.headline(),
                "subject": notification.subject,
            }
        return notification.headline()
    return _("%(kind)s — %(project)s: #%(id)s %(title)s") % {
        "kind": notification.headline(),
        "project": f"{problem.project.code} {problem.project.name}",
        "id": problem.pk,
        "title": problem.title,
    }


def site_link(path: str) -> str:
    """A link people can open from a chat app: made absolute with settings.KEYPROJECTS_SITE_URL when set."""
    if path and path.startswith("/") and settings.KEYPROJECTS_SITE_URL:
        return settings.KEYPROJECTS_SITE_URL + path
    return path


def notice_link(notification: Notification) -> str:
    if notification.problem_id:
        return site_link(reverse("problems:detail", args=[notification.problem_id]))
    return site_link(notification.link)


def robot_text(notification: Notification) -> str:
    """What a chat group reads, in the active language: what the notice is about, the problem's deadline and
    how far it was escalated (where it has them), and the link to open it."""
    lines = [notice_summary(notification)]
    problem = notification.problem
    if problem is not None and problem.deadline:
        lines.append(_("Deadline: %(date)s") % {"date": problem.deadline.isoformat()})
    if problem is not None and problem.escalation:
        lines.append(_("Escalated to: %(level)s") % {"level": problem.get_escalation_display()})
    link = notice_link(notification)
    if link:
        lines.append(link)
    return "\n".join(lines)


def in_both_languages(say: Callable[[], str]) -> dict[str, str]:
    """{"zh": …, "en": …}: what `say` says in each of the site's languages."""
    said = {}
    for key, language in (("zh", "zh-hans"), ("en", "en")):
        with translation.override(language):
            said[key] = str(say())
    return said


def notice_event(notification: Notification) -> dict:
    """The JSON a generic webhook receives for a notice: what happened, about what, in both languages."""
    problem = notification.problem
    object_type, object_id = _about(notification)
    return {
        "kind": notification.kind,
        "object": {"type": object_type, "id": object_id, "link": notice_link(notification)},
        "subject": in_both_languages(lambda: notice_summary(notification)),
        "deadline": problem.deadline.isoformat() if problem is not None and problem.deadline else None,
        "escalation_level": problem.escalation if problem is not None else None,
        "sent_at": clock.now().isoformat(),
    }


def webhook_payload(kind: str, text: str) -> dict:
    """The JSON each chat app's group robot expects for a plain text message."""
    if kind == Webhook.Kind.FEISHU:
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}  # WeCom and DingTalk share this shape


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signed request: HMAC-SHA256 of "timestamp\nsecret" keyed by the secret, base64."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signed request: HMAC-SHA256 keyed by "timestamp\nsecret" over an empty message, base64."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def body_signature(secret: str, body: bytes) -> str:
    """A generic webhook's X-Keyprojects-Signature: the hex HMAC-SHA256 of the body keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_request(webhook: Webhook, *, text: str, event: dict) -> urllib.request.Request:
    """The POST a robot receives: a chat app's text message (signed where the robot has a secret), or for a
    generic webhook the event as JSON with its HMAC and kind in headers."""
    url = webhook.url
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if webhook.kind == Webhook.Kind.GENERIC:
        body = json.dumps(event, ensure_ascii=False).encode()
        headers["X-Keyprojects-Event"] = event["kind"]
        if webhook.secret:
            headers["X-Keyprojects-Signature"] = body_signature(webhook.secret, body)
    else:
        payload = webhook_payload(webhook.kind, text)
        now = clock.now()
        if webhook.secret and webhook.kind == Webhook.Kind.DINGTALK:
            timestamp = int(now.timestamp() * 1000)
            query = urlencode({"timestamp": timestamp, "sign": dingtalk_sign(webhook.secret, timestamp)})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        elif webhook.secret and webhook.kind == Webhook.Kind.FEISHU:
            timestamp = int(now.timestamp())
            payload = {"timestamp": str(timestamp), "sign": feishu_sign(webhook.secret, timestamp), **payload}
        body = json.dumps(payload, ensure_ascii=False).encode()
    return urllib.request.Request(  # noqa: S310 - the URL is an office-configured http(s) webhook
        url, data=body, headers=headers, method="POST"
    )


# Where each chat app puts its refusal in a 200 answer: WeCom and DingTalk `errcode`, Feishu `code` (and
# `StatusCode` in its older robots' answers); anything but 0 is a refusal.
REFUSAL_CODES = (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage"))


def refusal(reply: object) -> str | None:
    """Why a chat app refused the message, from its JSON answer; None when it took it."""
    if not isinstance(reply, dict):
        return None
    for code_key, message_key in REFUSAL_CODES:
        code = reply.get(code_key)
        if code is not None and code not in (0, "0"):
            return f"{code}: {reply.get(message_key) or ''}".strip()
    return None


def post_webhook(webhook: Webhook, *, text: str, event: dict) -> None:
    """Post one message to a robot; raise DeliveryFailed unless it was taken."""
    request = webhook_request(webhook, text=text, event=event)
    try:
        with urllib.request.urlopen(request, timeout=settings.KEYPROJECTS_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            status, answer = response.status, response.read(4096)
    except (OSError, http.client.HTTPException) as exc:  # down, refusing, or not speaking HTTP at all
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}")
    if webhook.kind == Webhook.Kind.GENERIC:
        return  # another system: its 2xx is its word
    # The chat apps answer 200 with an error code when they refuse a message (bad token, bad sign, rate limit).
    try:
        reply = json.loads(answer)
    except ValueError:
        return
    refused = refusal(reply)
    if refused:
        raise DeliveryFailed(refused)


def post_notice(webhook: Webhook, notification: Notification) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = robot_text(notification)
    post_webhook(
        webhook, text=text, event=notice_event(notification) if webhook.kind == Webhook.Kind.GENERIC else {}
    )


def send_test(webhook: Webhook) -> None:
    """Post a test message to a robot at once (its office's "send test message"); raise DeliveryFailed unless
    it was taken. Nothing is recorded as a delivery: the office sees the outcome on the page."""
    subject = in_both_languages(
        lambda: _("Keyprojects test message: this robot is set up and receives the notices chosen for it.")
    )
    with translation.override(settings.LANGUAGE_CODE):
        text = subject["en" if translation.get_language() == "en" else "zh"]
    event = {
        "kind": "test",
        "object": {"type": "webhook", "id": webhook.pk, "link": ""},
        "subject": subject,
        "deadline": None,
        "escalation_level": None,
        "sent_at": clock.now().isoformat(),
    }
    post_webhook(webhook, text=text, event=event)


def send_email(user: User, notification: Notification) -> None:
    """Mail one notice to its person, in their language; raise DeliveryFailed if it cannot be handed over."""
    if not user.email or not user.is_active:
        raise Undeliverable("no e-mail address" if user.is_active else "the user is no longer active")
    with translation.override(user.language):
        subject = _("Keyprojects: %(kind)s") % {"kind": notification.headline()}
        text = notice_text(notification)
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception as exc:  # refused, unreachable, bad credentials: whatever it is, record it and go on
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def retry_delay(attempt: int) -> timedelta:
    """The pause after the `attempt`-th failed try: the base pause, doubled for each try before it."""
    return timedelta(seconds=settings.KEYPROJECTS_DELIVERY_RETRY_SECONDS * 2 ** (attempt - 1))


def _try(
    *,
    channel: str,
    notification: Notification,
    user: User | None = None,
    webhook: Webhook | None = None,
    attempt: int = 1,
) -> DeliveryAttempt:
    """Send one message once, record how it went, and schedule the next try if there is to be one."""
    try:
        if channel == Channel.EMAIL:
            send_email(user, notification)
        else:
            if not webhook.active:
                raise Undeliverable("the chat robot was switched off")
            post_notice(webhook, notification)
    except DeliveryFailed as exc:
        final = isinstance(exc, Undeliverable)
        error = str(exc) or "failed"
        log.warning(
            "%s delivery of notification %s failed (attempt %s): %s", channel, notification.pk, attempt, error
        )
    else:
        error, final = "", False
    now = clock.now()
    if not error:
        result, next_retry_at = Result.SENT, None
    elif final or attempt >= settings.KEYPROJECTS_DELIVERY_MAX_ATTEMPTS:
        result, next_retry_at = Result.GIVEN_UP, None
    else:
        result, next_retry_at = Result.FAILED, now + retry_delay(attempt)
    record = DeliveryAttempt.objects.create(
        channel=channel,
        user=user if channel == Channel.EMAIL else None,
        webhook=webhook if channel == Channel.WEBHOOK else None,
        notification=notification,
        attempt=attempt,
        result=result,
        error=error[:2000],
        at=now,
        next_retry_at=next_retry_at,
    )
    if next_retry_at is not None:
        _schedule_retry(record.pk, next_retry_at)
    return record


def _schedule_retry(attempt_id: int, at: datetime) -> None:
    """A deferred task where the backend can defer; the periodic sweep catches the rest (and these too, if
    the worker was down: whichever comes first does the retry, the other finds nothing to do)."""
    from keyprojects.problems.tasks import retry_delivery

    if retry_delivery.get_backend().supports_defer:
        transaction.on_commit(lambda: retry_delivery.using(run_after=at).enqueue(attempt_id))


def _hooks_for(notification: Notification) -> list[Webhook]:
    """A problem's notice: the robots of its county and of its lead department (if it has one yet); a
    project's: its county's; a region's: that region's own."""
    problem = notification.problem
    if problem is not None:
        owners = Q(region_id=problem.project.county_id)
        if problem.lead_department_id:
            owners |= Q(department_id=problem.lead_department_id)
    elif notification.project_id:
        owners = Q(region_id=notification.project.county_id)
    elif notification.region_id:
        owners = Q(region_id=notification.region_id)
    else:
        return []
    hooks = Webhook.objects.filter(owners, active=True).order_by("pk")
    return [hook for hook in hooks if hook.hears(notification.kind)]


def _about(notification: Notification) -> tuple[str, int | None]:
    """What a notice is about, for telling a chat group once: its problem, else its project, else its region."""
    if notification.problem_id:
        return "problem", notification.problem_id
    if notification.project_id:
        return "project", notification.project_id
    return "region", notification.region_id


def deliver(notification_ids: list[int]) -> dict[str, int]:
    """E-mail each notice to its person, and post each notice of a kind once per problem (or project, or
    region) to the robots that hear of it (`_hooks_for`); every message on its own. Returns how many of each
    were sent."""
    notices = list(
        Notification.objects.filter(pk__in=notification_ids)
        .select_related("user", "problem__project__county", "problem__lead_department", "project", "region")
        .order_by("pk")
    )
    sent = {"email": 0, "webhook": 0}
    for notice in notices:
        if notice.user.email:
            tried = _try(channel=Channel.EMAIL, notification=notice, user=notice.user)
            sent["email"] += tried.result == Result.SENT
    # One chat message per problem (project, region) and kind, to the groups that hear of it.
    once = {}
    for notice in notices:
        once.setdefault((_about(notice), notice.kind), notice)
    for notice in once.values():
        for hook in _hooks_for(notice):
            tried = _try(channel=Channel.WEBHOOK, notification=notice, webhook=hook)
            sent["webhook"] += tried.result == Result.SENT
    return sent


def retry(attempt_id: int, *, forced: bool = False) -> DeliveryAttempt | None:
    """Try a failed delivery again, if it is still the latest try and due (or, asked by a person, failed or
    given up at all). The conditional update is the claim: of a deferred task, the periodic sweep and a
    person's "retry now", only one sends. Returns the new attempt, or None when there was nothing to do."""
    claim = DeliveryAttempt.objects.filter(pk=attempt_id, retried=False)
    if forced:
        claim = claim.filter(result__in=[Result.FAILED, Result.GIVEN_UP])
    else:
        claim = claim.filter(result=Result.FAILED, next_retry_at__lte=clock.now())
    if not claim.update(retried=True):
        return None
    previous = DeliveryAttempt.objects.select_related(
        "user", "webhook", "notification__problem__project", "notification__project", "notification__region"
    ).get(pk=attempt_id)
    return _try(
        channel=previous.channel,
        notification=previous.notification,
        user=previous.user,
        webhook=previous.webhook,
        attempt=previous.attempt + 1,
    )


def retry_due() -> dict[str, int]:
    """The periodic sweep: try again every failed delivery whose pause is over."""
    due = DeliveryAttempt.objects.filter(
        result=Result.FAILED, retried=False, next_retry_at__lte=clock.now()
    ).order_by("next_retry_at", "pk")
    counts = dict.fromkeys(Result.values, 0)
    for attempt_id in list(due.values_list("pk", flat=True)):
        tried = retry(attempt_id)
        if tried is not None:
            counts[tried.result] += 1
    return counts


@transaction.atomic
def delivery_retry_now(*, actor: User, attempt: DeliveryAttempt) -> DeliveryAttempt:
    """The county office asks for a failed or given-up delivery to be tried again now (by the task worker)."""
    require_actor(actor)
    notice = attempt.notification
    about = notice.problem or notice.project or notice.region
    region = about.county if notice.problem_id or notice.project_id else about
    if not scope_for(actor).manages_region(region):
        raise NotAllowed(_("Only the county project office can retry its deliveries."))
    if attempt.retried or attempt.result == Result.SENT:
        raise DomainError(_("This delivery has already been sent or tried again."))
    audit_record(
        actor=actor,
        action="problem.delivery_retry",
        target=about,
        data={"attempt": attempt.pk, "channel": attempt.channel},
    )
    from keyprojects.problems.tasks import retry_delivery

    transaction.on_commit(lambda: retry_delivery.enqueue(attempt.pk, forced=True))
    return attempt
