"""The language picked on the log-in page survives logging in and becomes the user's own."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.accounts.models import User
from keyprojects.accounts.views import CHOSEN_LANGUAGE_SESSION_KEY


def choose(client, language: str) -> None:
    response = client.post(
        reverse("accounts:language"), {"language": language, "next": reverse("accounts:login")}
    )
    assert response.status_code == 302


def log_in(client, username: str):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": DEMO_PASSWORD}, follow=True
    )


def set_language(user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def test_it_keeps_english_chosen_on_the_log_in_page_and_stores_it(client, persona):
    leader = persona("leader.julu")
    set_language(leader, User.Language.CHINESE)
    choose(client, "en")
    assert '<html lang="en">' in client.get(reverse("accounts:login")).content.decode()

    response = log_in(client, "leader.julu")

    assert response.wsgi_request.user == leader
    assert response.redirect_chain[-1][0] == reverse("dashboards:home")
    assert '<html lang="en">' in response.content.decode()
    leader.refresh_from_db()
    assert leader.language == "en"
    assert '<html lang="en">' in client.get(reverse("accounts:profile")).content.decode()


def test_it_keeps_chinese_chosen_on_the_log_in_page_for_an_english_speaking_user(client, persona):
    admin = persona("admin")
    set_language(admin, User.Language.ENGLISH)
    choose(client, "zh-hans")

    response = log_in(client, "admin")

    assert '<html lang="zh-hans">' in response.content.decode()
    admin.refresh_from_db()
    assert admin.language == "zh-hans"


def test_it_keeps_the_stored_language_when_none_was_chosen(client, persona):
    admin = persona("admin")
    set_language(admin, User.Language.ENGLISH)

    response = log_in(client, "admin")

    assert '<html lang="en">' in response.content.decode()
    admin.refresh_from_db()
    assert admin.language == "en"


def test_it_does_not_let_a_language_cookie_left_on_the_computer_overwrite_the_users_language(client, persona):
    """On a shared office computer the cookie may be a colleague's: only a choice made now counts."""
    leader = persona("leader.julu")
    set_language(leader, User.Language.CHINESE)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = log_in(client, "leader.julu")

    assert '<html lang="zh-hans">' in response.content.decode()
    leader.refresh_from_db()
    assert leader.language == "zh-hans"


def test_it_forgets_the_choice_once_it_is_stored(client, persona):
    choose(client, "en")
    assert client.session[CHOSEN_LANGUAGE_SESSION_KEY] == "en"

    log_in(client, "leader.julu")

    assert CHOSEN_LANGUAGE_SESSION_KEY not in client.session
