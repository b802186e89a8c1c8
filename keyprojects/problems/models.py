"""The problem list (问题清单): problems raised on projects, chased to a deadline and closed out (销号)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyprojects.accounts.models import Department, Region
from keyprojects.core.bilingual import translated
from keyprojects.core.history import AddressedHistory
from keyprojects.projects.models import Project


class Category(models.TextChoices):
    FINANCING = "financing", _("financing")
    LAND = "land", _("land and property certificates")
    PERMITS = "permits", _("permits and approvals")
    WATER = "water", _("water")
    ELECTRICITY = "electricity", _("electricity")
    ROADS = "roads", _("roads")
    GAS_HEAT = "gas_heat", _("gas and heat")
    NETWORK = "network", _("network")
    LABOUR = "labour", _("labour")
    RELOCATION = "relocation", _("relocation risk")
    POLICY = "policy", _("policy")
    OTHER = "other", _("other")


class Side(models.TextChoices):
    # 墙内帮扶 / 墙外包办 in Chinese; in English, whose side of the fence the problem lies on.
    INSIDE = (
        "inside",
        _("enterprise-side"),
    )  # the enterprise's own difficulty, which the government helps with
    OUTSIDE = "outside", _("government-side")  # external conditions the government takes over


class Severity(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


class Status(models.TextChoices):
    REPORTED = "reported", _("reported")
    RETURNED = "returned", _("returned for more information")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved, awaiting confirmation")
    CLOSED = "closed", _("closed out")
    DECLINED = "declined", _("declined")


OPEN_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS)  # assigned, with a deadline that can pass
WAITING_STATUSES = (Status.REPORTED, Status.RETURNED, Status.ACCEPTED, Status.IN_PROGRESS, Status.RESOLVED)


class RaisedAs(models.TextChoices):
    """The role in which someone raised a problem: it decides who else may confirm its resolution."""

    OFFICE = "office", _("county project office")
    ENTERPRISE = "enterprise", _("enterprise")
    LEADER = "leader", _("leader in charge")
    DEPARTMENT = "department", _("responsible department")


class Escalation(models.IntegerChoices):
    DEPARTMENT = 0, _("department")
    LEADER = 1, _("leader in charge")
    COUNTY_HEAD = 2, _("county head")


class Problem(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="problems", on_delete=models.PROTECT
    )
    # What people write is kept per language (core.bilingual); `title`, `description` and `resolution` show
    # the reader's language.
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, db_index=True)
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    amount = models.DecimalField(
        _("amount involved (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), related_name="+", on_delete=models.PROTECT
    )
    raised_as = models.CharField(_("raised as"), max_length=20, choices=RaisedAs.choices)
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        related_name="led_problems",
        on_delete=models.PROTECT,
    )
    supporting_departments = models.ManyToManyField(
        Department, verbose_name=_("supporting departments"), blank=True, related_name="supported_problems"
    )
    leader_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge"),
        null=True,
        blank=True,
        related_name="assigned_problems",
        on_delete=models.PROTECT,
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed out"), null=True, blank=True)
    resolution_zh = models.TextField(_("what was done (Chinese)"), blank=True)
    resolution_en = models.TextField(_("what was done (English)"), blank=True)
    escalation = models.PositiveSmallIntegerField(
        _("escalated to"), choices=Escalation.choices, default=Escalation.DEPARTMENT
    )
    on_weekly_agenda = models.BooleanField(_("on the weekly meeting agenda"), default=False)
    # Each save takes the next version: a change counter that a form opened at an older version can check.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(m2m_fields=[supporting_departments], bases=[AddressedHistory])

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(title_zh="", title_en=""), name="problem_has_a_title_in_some_language"
            )
        ]

    title = translated("title")
    description = translated("description")
    resolution = translated("resolution")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def county(self) -> Region:
        return self.project.county


class Event(models.Model):
    """One line of a problem's timeline: who did what, when."""

    class Kind(models.TextChoices):
        REPORTED = "reported", _("reported")
        RETURNED = "returned", _("returned for more information")
        RESUBMITTED = "resubmitted", _("resubmitted")
        DECLINED = "declined", _("declined")
        ACCEPTED = "accepted", _("accepted and assigned")
        UPDATE = "update", _("progress update")
        RESOLVED = "resolved", _("resolved")
        REJECTED = "rejected", _("resolution not accepted")
        CONFIRMED = "confirmed", _("confirmed and closed out")
        REOPENED = "reopened", _("reopened")
        ESCALATED = "escalated", _("escalated")
        REMINDED = "reminded", _("reminder sent")
        ATTACHMENT = "attachment", _("attachment added")

    problem = models.ForeignKey(Problem, related_name="events", on_delete=models.CASCADE)
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text_zh = models.TextField(_("text (Chinese)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("problem event")
        verbose_name_plural = _("problem events")
        ordering = ["at", "id"]

    text = translated("text")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is ours, never the uploader's: no traversal, no collisions.
    return f"problems/{instance.problem_id}/{instance.token}"


class Attachment(models.Model):
    problem = models.ForeignKey(Problem, related_name="attachments", on_delete=models.CASCADE)
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """In-app notice to whoever must act next; e-mail and chat-robot copies are sent by tasks.

    Most notices are about a problem; the others (a monthly report due, the office's reminder, a bulletin
    published) name a project or a region instead, and carry their own subject and link."""

    class Kind(models.TextChoices):
        REPORTED = "reported", _("a problem was reported")
        ASSIGNED = "assigned", _("a problem was assigned to you")
        DUE_SOON = "due_soon", _("a deadline is near")
        OVERDUE = "overdue", _("a problem is overdue")
        ESCALATED = "escalated", _("a problem was escalated")
        RESOLVED = "resolved", _("a problem was resolved: please confirm")
        RETURNED = "returned", _("a problem was returned to you")
        REPORT_DUE = "report_due", _("a monthly report is due")
        REPORT_REMINDER = "report_reminder", _("the project office reminds you to submit a monthly report")
        BULLETIN_PUBLISHED = "bulletin_published", _("a bulletin was published")
        DECISION_DUE = "decision_due", _("a decision of the weekly meeting is due tomorrow")
        DECISION_OVERDUE = "decision_overdue", _("a decision of the weekly meeting is overdue")
        DISPATCH_SENT = "dispatch_sent", _("the project office asks your project a few questions")
        DISPATCH_REMINDER = "dispatch_reminder", _("the project office reminds you to answer its questions")
        MONTH_CLOSED = "month_closed", _("a month was closed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="notifications", on_delete=models.CASCADE)
    problem = models.ForeignKey(Problem, related_name="notifications", null=True, on_delete=models.CASCADE)
    # A notice that is not about a problem names the project or the region it is about (its robots hear it).
    project = models.ForeignKey(
        Project, related_name="notifications", null=True, blank=True, on_delete=models.CASCADE
    )
    region = models.ForeignKey(
        Region, related_name="notifications", null=True, blank=True, on_delete=models.CASCADE
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Due soon: days left; overdue: days late — counted between the county's local dates when it was sent.
    # A monthly report due: days left to its deadline (0: today).
    days = models.SmallIntegerField(null=True, blank=True)
    # Where the notice leads (a URL path), and what it is about in each language (core.bilingual).
    link = models.CharField(max_length=300, blank=True)
    subject_zh = models.CharField(max_length=300, blank=True)
    subject_en = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    subject = translated("subject")

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"

    def headline(self) -> str:
        """What the notice says, in the active language, with the actual number of days where it has one."""
        if self.days is not None and self.kind == self.Kind.DUE_SOON:
            if self.days == 0:
                return gettext("a deadline is today")
            return ngettext(
                "a deadline is %(days)d day away", "a deadline is %(days)d days away", self.days
            ) % {"days": self.days}
        if self.days is not None and self.kind == self.Kind.OVERDUE:
            return ngettext(
                "a problem is overdue by %(days)d day", "a problem is overdue by %(days)d days", self.days
            ) % {"days": self.days}
        if self.days is not None and self.kind == self.Kind.REPORT_DUE:
            if self.days == 0:
                return gettext("a monthly report is due today")
            return ngettext(
                "a monthly report is due in %(days)d day",
                "a monthly report is due in %(days)d days",
                self.days,
            ) % {"days": self.days}
        return str(self.get_kind_display())


class Webhook(models.Model):
    """A chat group's robot (WeCom / DingTalk / Feishu) that receives a county's, a city's or a department's
    notices, or another system's endpoint that receives them as signed JSON (a generic webhook)."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")
        FEISHU = "feishu", _("Feishu group robot")
        GENERIC = "generic", _("generic webhook (signed JSON)")

    class Event(models.TextChoices):
        """What an office chooses its robot to hear; each stands for the notices of `EVENT_KINDS`."""

        NEW_PROBLEM = "new_problem", _("new problem")
        OVERDUE = "overdue", _("overdue")
        ESCALATION = "escalation", _("escalation")
        REPORT_RETURNED = "report_returned", _("report returned")
        MONTH_CLOSED = "month_closed", _("month closed")
        BULLETIN_PUBLISHED = "bulletin_published", _("bulletin published")

    kind = models.CharField(_("platform"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.URLField(
        _("webhook URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, related_name="webhooks", on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, related_name="webhooks", on_delete=models.CASCADE
    )
    # DingTalk's and Feishu's "signed request" secret; a generic webhook's HMAC key. Never shown back whole.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    # Event values (Webhook.Event); none chosen: every notice, as robots configured before events were.
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(bases=[AddressedHistory], excluded_fields=["secret"])

    class Meta:
        verbose_name = _("chat webhook")
        verbose_name_plural = _("chat webhooks")
        constraints = [
            models.CheckConstraint(
                name="webhook_has_one_owner",
                condition=models.Q(region__isnull=False, department__isnull=True)
                | models.Q(region__isnull=True, department__isnull=False),
            )
        ]

    def __str__(self) -> str:
        label = self.name or self.get_kind_display()
        return f"{label} → {self.region or self.department}"

    def hears(self, kind: str) -> bool:
        """Whether a notice of this kind goes to this robot."""
        return not self.events or any(kind in EVENT_KINDS.get(event, ()) for event in self.events)

    def event_labels(self) -> list[str]:
        return [str(Webhook.Event(e).label) for e in self.events if e in Webhook.Event.values]

    @property
    def masked_secret(self) -> str:
        """The saved secret as the configuration page shows it: its last four characters only."""
        if not self.secret:
            return ""
        return "••••" + self.secret[-4:] if len(self.secret) > 8 else "••••"


# The notices each event stands for. A problem "returned" is the office's return of a report for more
# information (and a resolution not accepted); "month closed" has its own kind.
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    Webhook.Event.NEW_PROBLEM: (Notification.Kind.REPORTED,),
    Webhook.Event.OVERDUE: (Notification.Kind.OVERDUE, Notification.Kind.DECISION_OVERDUE),
    Webhook.Event.ESCALATION: (Notification.Kind.ESCALATED,),
    Webhook.Event.REPORT_RETURNED: (Notification.Kind.RETURNED,),
    Webhook.Event.MONTH_CLOSED: (Notification.Kind.MONTH_CLOSED,),
    Webhook.Event.BULLETIN_PUBLISHED: (Notification.Kind.BULLETIN_PUBLISHED,),
}


class DeliveryAttempt(models.Model):
    """One try at sending a notice out, by e-mail to a person or to a chat group's robot.

    A failed try is tried again later (a new row, one more in `attempt`) with a growing pause, until
    settings.KEYPROJECTS_DELIVERY_MAX_ATTEMPTS; then it is given up. Only the latest try of a delivery has
    `retried` false: that is the row the county office sees and may try again."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WEBHOOK = "webhook", _("chat robot")

    class Result(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will be retried")
        GIVEN_UP = "given_up", _("given up")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
    )
    webhook = models.ForeignKey(
        Webhook,
        verbose_name=_("chat robot"),
        null=True,
        blank=True,
        related_name="attempts",
        on_delete=models.CASCADE,
    )
    # The notice carried: the person's own; for a robot, one of the notices of that problem and kind
    # (they all read the same, and a group hears of a problem and kind once).
    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), related_name="attempts", on_delete=models.CASCADE
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    error = models.TextField(_("error"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    next_retry_at = models.DateTimeField(_("next retry"), null=True, blank=True)
    retried = models.BooleanField(default=False)  # a later attempt took over from this one

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["result", "retried", "next_retry_at"])]
        constraints = [
            models.CheckConstraint(
                name="delivery_attempt_has_one_recipient",
                condition=models.Q(channel="email", user__isnull=False, webhook__isnull=True)
                | models.Q(channel="webhook", user__isnull=True, webhook__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.attempt} {self.get_result_display()}"
