"""The bulletin pages: the list, one bulletin with its workflow, its preview and its downloads."""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from keyprojects.bulletins import selectors, services
from keyprojects.bulletins.forms import DraftForm, RequirementsForm, ReturnForm
from keyprojects.bulletins.models import BulletinFile, BulletinStatus, MonthlyBulletin
from keyprojects.bulletins.pdf import bulletin_html
from keyprojects.bulletins.renderers import RENDERERS
from keyprojects.core import clock
from keyprojects.core.forms import call_service, errors_to_messages
from keyprojects.core.middleware import framed_document_policy

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _bulletin(request: HttpRequest, pk: int) -> MonthlyBulletin:
    bulletin = selectors.bulletin_for(request.user, pk)
    if bulletin is None:
        raise Http404
    return bulletin


def _reader_language() -> str:
    return "zh" if (get_language() or "").startswith("zh") else "en"


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    regions = selectors.issuing_regions(request.user)
    year, month = clock.last_due_month(clock.today())
    form = DraftForm(regions=regions, initial={"year": year, "month": month, "region": regions.first()})
    bulletins = selectors.visible_bulletins(request.user).order_by("region__path", "-year", "-month")
    return render(
        request,
        "bulletins/list.html",
        {"bulletins": bulletins, "form": form if regions.exists() else None},
    )


@login_required
@require_POST
def bulletin_create(request: HttpRequest) -> HttpResponse:
    form = DraftForm(request.POST, regions=selectors.issuing_regions(request.user))
    bulletin = form.is_valid() and call_service(
        form, services.draft_bulletin, actor=request.user, **form.cleaned_data
    )
    if not bulletin:
        errors_to_messages(request, form)
        return redirect("bulletins:list")
    messages.success(request, _("Draft started: write the requirements for the next step."))
    return redirect("bulletins:detail", pk=bulletin.pk)


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    issuer = services.may_issue(request.user, bulletin.region)
    editing = issuer and bulletin.status == BulletinStatus.DRAFT
    form = RequirementsForm(
        request.POST if editing and request.method == "POST" else None,
        initial={"requirements_zh": bulletin.requirements_zh, "requirements_en": bulletin.requirements_en},
    )
    if editing and request.method == "POST":
        if form.is_valid() and call_service(
            form, services.write_requirements, actor=request.user, bulletin=bulletin, **form.cleaned_data
        ):
            messages.success(request, _("Requirements saved."))
            return redirect("bulletins:detail", pk=bulletin.pk)
    elif request.method == "POST":
        raise Http404
    language = _reader_language()
    languages = ["zh"] if language == "zh" else ["zh", "en"]
    files = {(f.language, f.format): f for f in bulletin.files.all()} if bulletin.is_published else {}
    return render(
        request,
        "bulletins/detail.html",
        {
            "bulletin": bulletin,
            "issuer": issuer,
            "form": form if editing else None,
            "return_form": ReturnForm() if issuer and bulletin.status == BulletinStatus.IN_REVIEW else None,
            "not_closed": []
            if bulletin.is_published
            else services.units_not_closed(bulletin.region, bulletin.year, bulletin.month),
            "title": bulletin.title(language) if bulletin.is_published else "",
            "language": language,
            "downloads": [(lang, fmt, files.get((lang, fmt))) for lang in languages for fmt in RENDERERS],
        },
    )


@login_required
@xframe_options_sameorigin
@framed_document_policy
def bulletin_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The bulletin laid out as its PDF is, in the reader's language, shown in the bulletin's page: the
    snapshot once published."""
    bulletin = _bulletin(request, pk)
    return HttpResponse(bulletin_html(services.bulletin_in_language(bulletin, _reader_language())))


@login_required
def bulletin_download(request: HttpRequest, pk: int, language: str, fmt: str) -> HttpResponse:
    """A published bulletin's kept file; a draft's is laid out from today's figures, marked as a draft."""
    bulletin = _bulletin(request, pk)
    if language not in services.LANGUAGES or fmt not in RENDERERS:
        raise Http404
    if bulletin.is_published:
        kept: BulletinFile = services.bulletin_file(bulletin, language, fmt)
        handle, name = kept.file.open("rb"), bulletin.title(language)
    else:
        content = services.bulletin_in_language(bulletin, language)
        handle, name = io.BytesIO(RENDERERS[fmt](content)), _("DRAFT %(title)s") % {"title": content.title}
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{bulletin.number} {name}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


ACTIONS = {
    "review": (services.send_for_review, gettext_lazy("Sent for review.")),
    "return": (services.return_to_draft, gettext_lazy("Returned to its draft.")),
    "publish": (services.publish, gettext_lazy("Published: the recipients have been notified.")),
}


@login_required
@require_POST
def bulletin_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    if action not in ACTIONS:
        raise Http404
    service, done = ACTIONS[action]
    form = ReturnForm(request.POST) if action == "return" else forms.Form(request.POST)
    kwargs = {}
    if action == "return":
        form.is_valid()
        kwargs["reason"] = form.cleaned_data.get("reason", "")
    if call_service(form, service, actor=request.user, bulletin=bulletin, **kwargs):
        messages.success(request, str(done))
    else:
        errors_to_messages(request, form)
    return redirect("bulletins:detail", pk=bulletin.pk)
