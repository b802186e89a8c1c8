"""Pages for signing in, the user's own settings and tokens, and the organisation directory."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from keyprojects.accounts import selectors, services, twofactor
from keyprojects.accounts.forms import (
    ApiTokenForm,
    DepartmentEditForm,
    DepartmentForm,
    EmailForm,
    EnterpriseEditForm,
    EnterpriseForm,
    LanguageForm,
    PasswordResetForm,
    TwoFactorCodeForm,
)
from keyprojects.accounts.models import ApiToken
from keyprojects.accounts.permissions import scope_for
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import call_service, errors_to_messages

PAGE_SIZE = 50


# The language an anonymous visitor picked (on the log-in page): logging in makes it the user's own.
CHOSEN_LANGUAGE_SESSION_KEY = "accounts_chosen_language"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if twofactor.twofactor_required(user):
            # The password is right; the session stays anonymous until the code is (login_code below).
            twofactor.pending_start(
                self.request.session, user=user, backend=user.backend, next_url=self.get_success_url()
            )
            return redirect("accounts:login_code")
        response = super().form_valid(form)  # login() keeps the anonymous session's data
        _apply_chosen_language(self.request, user)
        return response


def _apply_chosen_language(request: HttpRequest, user) -> None:
    # Only a choice made in this session counts, not the language cookie: on a shared office computer the
    # cookie may be someone else's, and it must not overwrite the language of everyone who logs in there.
    chosen = request.session.pop(CHOSEN_LANGUAGE_SESSION_KEY, None)
    if chosen:
        services.user_set_language(user=user, language=chosen)


def _safe_next(request: HttpRequest, target: str | None, default: str = "/") -> str:
    """`target` if it stays on this site, `default` otherwise (never an address elsewhere)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of a log-in with two-factor: the code of the authenticator app."""
    pending = twofactor.pending_get(request.session)
    if pending is None:
        messages.error(request, _("Your log-in has expired. Enter your user name and password again."))
        return redirect("accounts:login")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.pending_verify(pending, form.cleaned_data["code"])
        except DomainError as exc:
            left = twofactor.pending_wrong_code(request.session)
            # A wrong code counts like a wrong password towards the lockout of this user and address.
            user_login_failed.send(
                sender=__name__, credentials={"username": pending.user.get_username()}, request=request
            )
            if left == 0 or getattr(request, "axes_locked_out", False):
                twofactor.pending_end(request.session)
                messages.error(request, _("Too many wrong codes. Enter your user name and password again."))
                return redirect("accounts:login")  # or the lockout page, which AxesMiddleware puts instead
            form.add_error("code", exc.message)
        else:
            twofactor.pending_end(request.session)
            auth_login(request, pending.user, backend=pending.backend)
            otp_login(request, device)
            _apply_chosen_language(request, pending.user)
            return HttpResponseRedirect(
                _safe_next(request, pending.next_url, resolve_url(settings.LOGIN_REDIRECT_URL))
            )
    return render(request, "accounts/login_code.html", {"form": form, "pending_user": pending.user})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboards:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_password_changed(user=form.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """What django-axes answers to a locked-out log-in (AXES_LOCKOUT_CALLABLE): a page, or JSON for the API."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = ngettext(
        "Too many wrong passwords for this user from this computer. Try again in %(minutes)d minute, "
        "or ask your county project office to unlock the account.",
        "Too many wrong passwords for this user from this computer. Try again in %(minutes)d minutes, "
        "or ask your county project office to unlock the account.",
        minutes,
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "accounts/lockout.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: stored on the profile when logged in, in a cookie otherwise."""
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
    if not form.is_valid():
        messages.error(request, _("Please choose one of the offered languages."))
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    else:
        request.session[CHOSEN_LANGUAGE_SESSION_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
    )
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an address and always answers the same way, whether a user has it or not."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self) -> dict:
        return {
            "site_title": settings.SITE_TITLE,
            "valid_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 3600),
        }


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_password_changed(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None, user=request.user, initial={"email": request.user.email})
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(
            form,
            services.user_set_email,
            actor=request.user,
            user=request.user,
            email=form.cleaned_data["email"],
        )
    ):
        messages.success(request, _("Your e-mail address has been saved."))
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "memberships": selectors.membership_list_for(user=request.user),
            "scope": scope_for(request.user),
            "email_form": form,
            "twofactor_offered": twofactor.twofactor_offered(request.user),
            "twofactor_on": twofactor.twofactor_required(request.user),
            "manages_users": scope_for(request.user).is_admin or bool(scope_for(request.user).office_paths),
        },
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    new_secret = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_secret = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"], second_factor=request.user.is_verified()
        )
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
        form = ApiTokenForm()
    return render(
        request,
        "accounts/token_list.html",
        {"tokens": selectors.api_token_list(user=request.user), "form": form, "new_secret": new_secret},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = _get_own_token(request, token_id)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("accounts:tokens")


def _get_own_token(request: HttpRequest, token_id: int) -> ApiToken:
    return get_object_or_404(selectors.api_token_list(user=request.user), pk=token_id)


# ---- two-factor log-in: the user's own set-up ---------------------------------------------------------


def _require_twofactor_page(user) -> None:
    # A user who has a device keeps the page (to turn it off) even after losing the role that offered it.
    if not (twofactor.twofactor_offered(user) or twofactor.twofactor_required(user)):
        raise PermissionDenied


@never_cache
@login_required
def twofactor_settings(request: HttpRequest) -> HttpResponse:
    """Two-factor log-in: its state, and while being set up the secret, its QR code and the code to confirm."""
    _require_twofactor_page(request.user)
    device = twofactor.twofactor_device(request.user)
    unconfirmed = None if device else twofactor.twofactor_unconfirmed_device(request.user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and device is None:
        if form.is_valid() and (
            confirmed := call_service(
                form, twofactor.twofactor_setup_confirm, user=request.user, code=form.cleaned_data["code"]
            )
        ):
            otp_login(request, confirmed)  # this session has just given a code: it stays logged in
            messages.success(request, _("Two-factor log-in is on: every log-in now asks for a code."))
            return redirect("accounts:twofactor")
        unconfirmed = twofactor.twofactor_unconfirmed_device(request.user)
    return render(
        request,
        "accounts/twofactor.html",
        {
            "device": device,
            "unconfirmed": unconfirmed,
            "secret": twofactor.secret_for_display(unconfirmed) if unconfirmed else "",
            "form": form,
        },
    )


@login_required
@require_POST
def twofactor_start(request: HttpRequest) -> HttpResponse:
    _require_twofactor_page(request.user)
    try:
        twofactor.twofactor_setup_start(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:twofactor")


@login_required
@require_POST
def twofactor_disable(request: HttpRequest) -> HttpResponse:
    _require_twofactor_page(request.user)
    form = TwoFactorCodeForm(request.POST)
    if not form.is_valid():
        errors_to_messages(request, form)
        return redirect("accounts:twofactor")
    try:
        twofactor.twofactor_disable(user=request.user, code=form.cleaned_data["code"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Two-factor log-in is off: the password alone logs you in."))
    return redirect("accounts:twofactor")


@never_cache
@login_required
def twofactor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the secret being set up, drawn here (no outside service ever sees the secret)."""
    device = twofactor.twofactor_unconfirmed_device(request.user)
    if device is None or not twofactor.twofactor_offered(request.user):
        raise Http404
    return HttpResponse(twofactor.qr_code_svg(device), content_type="image/svg+xml")


# ---- user management for the county office ------------------------------------------------------------


def _require_user_pages(user) -> None:
    """The users' pages are for the offices and administrators; other roles never use them."""
    scope = scope_for(user)
    if not (scope.is_admin or scope.office_paths):
        raise PermissionDenied


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_user_pages(request.user)
    search = request.GET.get("q", "").strip()[:100]
    users = selectors.user_search(user=request.user, search=search)
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page, "search": search})


@login_required
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    _require_user_pages(request.user)
    target = selectors.user_get(user=request.user, username=username)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "memberships": selectors.membership_list_for(user=target),
            "locked_out": selectors.user_locked_out(target),
            "twofactor_on": twofactor.twofactor_required(target),
            "can_manage": selectors.user_manageable(user=request.user, target=target),
        },
    )


@dataclass(frozen=True)
class UserAction:
    service: Callable
    done: str


USER_ACTIONS = {
    "deactivate": UserAction(
        services.user_deactivate,
        gettext_lazy("%(user)s is deactivated: they can no longer log in, and their API tokens are revoked."),
    ),
    "reactivate": UserAction(services.user_reactivate, gettext_lazy("%(user)s can log in again.")),
    "unlock": UserAction(services.user_unlock, gettext_lazy("%(user)s is no longer locked out.")),
    "twofactor_reset": UserAction(
        services.user_twofactor_reset,
        gettext_lazy(
            "Two-factor log-in of %(user)s is reset: the password alone logs them in until they set it up again."
        ),
    ),
}


@login_required
@require_POST
def user_action(request: HttpRequest, username: str, action: str) -> HttpResponse:
    """Deactivate, reactivate, unlock or reset the two-factor log-in of a user: the office of their county."""
    _require_user_pages(request.user)
    target = selectors.user_get(user=request.user, username=username)
    if not selectors.user_manageable(user=request.user, target=target):
        raise PermissionDenied
    chosen = USER_ACTIONS[action]
    try:
        chosen.service(actor=request.user, user=target)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, chosen.done % {"user": target.display_name or target.username})
    return redirect("accounts:user_detail", username=target.username)


# ---- organisation directory -------------------------------------------------------------------


@login_required
def region_list(request: HttpRequest) -> HttpResponse:
    regions = selectors.region_list(user=request.user)
    return render(request, "accounts/region_list.html", {"regions": regions})


@login_required
def region_detail(request: HttpRequest, slug: str) -> HttpResponse:
    region = selectors.region_get(user=request.user, slug=slug)
    scope = scope_for(request.user)
    return render(
        request,
        "accounts/region_detail.html",
        {
            "region": region,
            "children": selectors.region_children(user=request.user, region=region),
            "departments": selectors.department_list(user=request.user, region=region).filter(region=region),
            "enterprise_count": selectors.enterprise_list(user=request.user, region=region).count(),
            "can_manage": scope.manages_region(region),
        },
    )


@login_required
def department_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    departments = selectors.department_list(user=request.user, search=search)
    page = Paginator(departments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/department_list.html", {"page": page, "search": search})


@login_required
def department_detail(request: HttpRequest, slug: str) -> HttpResponse:
    department = selectors.department_get(user=request.user, slug=slug)
    return render(
        request,
        "accounts/department_detail.html",
        {"department": department, "can_manage": scope_for(request.user).manages_region(department.region)},
    )


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    enterprises = selectors.enterprise_list(user=request.user, search=search)
    page = Paginator(enterprises, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/enterprise_list.html", {"page": page, "search": search})


@login_required
def enterprise_detail(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = selectors.enterprise_get(user=request.user, slug=slug)
    return render(
        request,
        "accounts/enterprise_detail.html",
        {"enterprise": enterprise, "can_manage": scope_for(request.user).manages_region(enterprise.region)},
    )


@dataclass(frozen=True)
class OrgKind:
    """What differs between creating/editing a department and an enterprise: the rest is one flow."""

    get: Callable
    create_form: type
    edit_form: type
    create: Callable
    update: Callable
    argument: str
    detail: str
    new_title: str
    created: str
    saved: str


ORG_KINDS = {
    "department": OrgKind(
        selectors.department_get, DepartmentForm, DepartmentEditForm, services.department_create,
        services.department_update, "department", "accounts:department_detail",
        gettext_lazy("New department"), gettext_lazy("Department created."), gettext_lazy("Department saved."),
    ),
    "enterprise": OrgKind(
        selectors.enterprise_get, EnterpriseForm, EnterpriseEditForm, services.enterprise_create,
        services.enterprise_update, "enterprise", "accounts:enterprise_detail",
        gettext_lazy("New enterprise"), gettext_lazy("Enterprise created."), gettext_lazy("Enterprise saved."),
    ),
}  # fmt: skip


@login_required
def org_create(request: HttpRequest, region_slug: str, kind: str) -> HttpResponse:
    org = ORG_KINDS[kind]
    region = selectors.region_get(user=request.user, slug=region_slug)
    if not scope_for(request.user).manages_region(region):
        raise PermissionDenied
    form = org.create_form(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(form, org.create, actor=request.user, region=region, **form.cleaned_data)
    ):
        messages.success(request, org.created)
        return redirect(org.detail, slug=form.cleaned_data["slug"])
    return render(request, "accounts/org_form.html", {"form": form, "title": org.new_title, "region": region})


@login_required
def org_edit(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    org = ORG_KINDS[kind]
    obj = org.get(user=request.user, slug=slug)
    if not scope_for(request.user).manages_region(obj.region):
        raise PermissionDenied
    # The form edits a copy, so the service receives the object as stored.
    form = org.edit_form(request.POST or None, instance=copy.copy(obj))
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(form, org.update, actor=request.user, **{org.argument: obj}, **form.cleaned_data)
    ):
        messages.success(request, org.saved)
        return redirect(org.detail, slug=obj.slug)
    return render(request, "accounts/org_form.html", {"form": form, "title": obj.name, "region": obj.region})
