"""Forgotten passwords: a link by e-mail, in the user's language, that never tells whether an address is known."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.forms import RESET_MAILS_PER_HOUR
from keyprojects.accounts.models import User

NEW_PASSWORD = "Qiao-liang 2026 gang-jin"


@pytest.fixture(autouse=True)
def reset_counts():
    """The reset brake counts mails in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def liangshan(persona) -> User:
    user = persona("ent.liangshan")
    assert user.email, "the demo gives every user an e-mail address"
    return user


def ask_for_reset(client, email: str):
    return client.post(reverse("accounts:password_reset"), {"email": email})


def link_in(message) -> str:
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def site_title(language: str) -> str:
    with translation.override(language):
        return str(settings.SITE_TITLE)


def test_it_links_the_reset_page_from_the_log_in_page(client):
    content = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}"' in content


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_it_mails_a_link_in_the_users_language_that_sets_a_new_password(client, liangshan, language):
    liangshan.language = language
    liangshan.save(update_fields=["language"])

    response = ask_for_reset(client, liangshan.email.upper())

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    [message] = mail.outbox
    assert message.to == [liangshan.email]
    # The site's name is translated in both catalogues: the mail speaks the user's language, not the page's.
    other = "zh-hans" if language == "en" else "en"
    assert site_title(language) in message.subject
    assert site_title(other) not in message.subject
    assert liangshan.username in message.body

    set_password = client.get(link_in(message))
    assert set_password.status_code == 302  # Django moves the token out of the address bar
    form_page = client.get(set_password["Location"])
    assert form_page.context["validlink"] is True
    done = client.post(
        set_password["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    liangshan.refresh_from_db()
    assert liangshan.check_password(NEW_PASSWORD)
    assert client.get(done["Location"]).status_code == 200


def test_it_refuses_a_link_that_was_used_already(client, liangshan):
    ask_for_reset(client, liangshan.email)
    link = link_in(mail.outbox[0])
    target = client.get(link)["Location"]
    client.post(target, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert again.context["validlink"] is False
    liangshan.refresh_from_db()
    assert liangshan.check_password(NEW_PASSWORD)


def test_it_answers_the_same_whether_or_not_the_address_is_known(client, liangshan):
    known = ask_for_reset(client, liangshan.email)
    unknown = ask_for_reset(client, "nobody@keyprojects.example")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    page = client.get(known["Location"]).content.decode()
    assert liangshan.email not in page


@pytest.mark.parametrize("lock", ["inactive", "no usable password"])
def test_it_sends_nothing_to_a_user_who_cannot_log_in(client, liangshan, lock):
    if lock == "inactive":
        liangshan.is_active = False
    else:
        liangshan.set_unusable_password()
    liangshan.save()

    response = ask_for_reset(client, liangshan.email)

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_it_sends_one_user_only_a_few_mails_an_hour(client, liangshan):
    for _attempt in range(RESET_MAILS_PER_HOUR + 2):
        response = ask_for_reset(client, liangshan.email)
        assert response["Location"] == reverse("accounts:password_reset_done")

    assert len(mail.outbox) == RESET_MAILS_PER_HOUR
