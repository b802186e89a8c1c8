"""Organisations (regions, departments, enterprises), users and the roles that scope what they see."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyprojects.core import clock
from keyprojects.core.history import AddressedHistory
from keyprojects.core.models import BilingualName


class Region(BilingualName):
    """A node of the administrative tree: province → city → county-level unit → development zone."""

    class Kind(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        COUNTY_CITY = "county_city", _("county-level city")
        COUNTY = "county", _("county")
        ZONE = "zone", _("development zone")

    COUNTY_LEVEL_KINDS = (Kind.DISTRICT, Kind.COUNTY_CITY, Kind.COUNTY)
    # Which kind of parent each kind hangs under; the tree is checked against it on every write.
    PARENT_KINDS = {
        Kind.PROVINCE: (),
        Kind.CITY: (Kind.PROVINCE,),
        Kind.DISTRICT: (Kind.CITY,),
        Kind.COUNTY_CITY: (Kind.CITY,),
        Kind.COUNTY: (Kind.CITY,),
        Kind.ZONE: COUNTY_LEVEL_KINDS,
    }

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        related_name="children",
        on_delete=models.PROTECT,
    )
    # Materialised path ("/hebei/xingtai/julu/") so that a whole subtree is one indexed prefix query.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    seat_lat = models.DecimalField(
        _("latitude of the seat of government"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    seat_lng = models.DecimalField(
        _("longitude of the seat of government"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]

    @property
    def is_county_level(self) -> bool:
        return self.kind in self.COUNTY_LEVEL_KINDS

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")


class Department(BilingualName):
    """A government body or service company that takes responsibility for projects and problems."""

    class Kind(models.TextChoices):
        PROJECT_OFFICE = "project_office", _("project office")
        DEVELOPMENT_REFORM = "development_reform", _("development and reform")
        NATURAL_RESOURCES = "natural_resources", _("natural resources")
        HOUSING_CONSTRUCTION = "housing_construction", _("housing and construction")
        ECOLOGY_ENVIRONMENT = "ecology_environment", _("ecology and environment")
        POWER_SUPPLY = "power_supply", _("power supply")
        WATER = "water", _("water")
        TRANSPORT = "transport", _("transport")
        FINANCE = "finance", _("finance")
        BANK = "bank", _("bank liaison")
        INDUSTRY = "industry", _("industry and information technology")
        ZONE_ADMIN = "zone_admin", _("development zone administration")
        OTHER = "other", _("other")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), related_name="departments", on_delete=models.PROTECT
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["region__path", "slug"]


class Enterprise(BilingualName):
    """A company that builds key projects (项目单位)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("registered in"),
        related_name="enterprises",
        on_delete=models.PROTECT,
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        help_text=_("18 characters, as printed on the business licence."),
    )
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="enterprise_unique_credit_code"
            )
        ]

    def clean(self) -> None:
        # Checked here so that a duplicate is reported on the field in words, not as the constraint's
        # name; case-insensitive because services store the code in capitals. The other enterprise is
        # not named: it may lie outside the scope of the person typing.
        super().clean()
        if (
            self.credit_code
            and Enterprise.objects.filter(credit_code__iexact=self.credit_code).exclude(pk=self.pk).exists()
        ):
            message = _("An enterprise with this unified social credit code already exists.")
            raise ValidationError({"credit_code": ValidationError(message, code="duplicate_credit_code")})


class User(AbstractUser):
    """A person who logs in. What they may see is decided by their memberships, not by this row."""

    class Language(models.TextChoices):
        CHINESE = "zh-hans", "简体中文"
        ENGLISH = "en", "English"

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.CHINESE
    )

    class MoneyUnit(models.TextChoices):
        WAN = "wan", _("CNY 10,000 (万元)")
        YI = "yi", _("CNY 100 million (亿元)")

    money_unit = models.CharField(
        _("show amounts in"), max_length=5, choices=MoneyUnit.choices, default=MoneyUnit.WAN
    )
    # Password hashes never go into the history tables.
    history = HistoricalRecords(excluded_fields=["password", "last_login"], bases=[AddressedHistory])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Membership(models.Model):
    """One role a user holds, with the organisation that bounds it."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("administrator")
        PROVINCE_OFFICE = "province_office", _("province office")
        CITY_OFFICE = "city_office", _("city office")
        COUNTY_OFFICE = "county_office", _("county project office")
        LEADER = "leader", _("leader in charge")
        DEPARTMENT = "department", _("responsible department")
        ENTERPRISE = "enterprise", _("enterprise")

    # Which organisation each role must name: a region of these kinds, a department, or an enterprise.
    REGION_KINDS_FOR_ROLE = {
        Role.PROVINCE_OFFICE: (Region.Kind.PROVINCE,),
        Role.CITY_OFFICE: (Region.Kind.CITY,),
        Role.COUNTY_OFFICE: Region.COUNTY_LEVEL_KINDS,
        Role.LEADER: Region.COUNTY_LEVEL_KINDS,
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="memberships", on_delete=models.CASCADE
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        related_name="memberships",
        on_delete=models.PROTECT,
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        related_name="memberships",
        on_delete=models.PROTECT,
    )
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["user__username", "role"]
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    Q(role="admin", region__isnull=True, department__isnull=True, enterprise__isnull=True)
                    | Q(
                        role__in=["province_office", "city_office", "county_office", "leader"],
                        region__isnull=False,
                        department__isnull=True,
                        enterprise__isnull=True,
                    )
                    | Q(
                        role="department",
                        region__isnull=True,
                        department__isnull=False,
                        enterprise__isnull=True,
                    )
                    | Q(
                        role="enterprise",
                        region__isnull=True,
                        department__isnull=True,
                        enterprise__isnull=False,
                    )
                ),
            ),
            # One row per role and organisation (partial constraints: SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(role="admin"), name="membership_unique_admin"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(region__isnull=False),
                name="membership_unique_region",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(department__isnull=False),
                name="membership_unique_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "enterprise"],
                condition=Q(enterprise__isnull=False),
                name="membership_unique_enterprise",
            ),
        ]

    def __str__(self) -> str:
        org = self.region or self.department or self.enterprise
        return f"{self.get_role_display()} · {org}" if org else str(self.get_role_display())


def password_stamp(password_hash: str) -> str:
    """A keyed fingerprint of a password hash (never the hash itself): equal while the password is."""
    return salted_hmac("keyprojects.accounts.ApiToken", password_hash, algorithm="sha256").hexdigest()


class ApiToken(models.Model):
    """A personal access token for scripts. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="api_tokens", on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("The first characters, to tell tokens apart.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # password_stamp(user.password) when the token was issued: a new password (changed, reset, set by an
    # administrator) changes the stamp, and every token issued before it stops working.
    password_stamp = models.CharField(max_length=64, editable=False, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()
