"""A user sets their own e-mail address on the profile page: valid, unique whatever its case, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keyprojects.accounts import services
from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.accounts.models import User
from keyprojects.core.errors import NotAllowed
from keyprojects.core.models import AuditEntry


def save_email(client, email: str, password: str = DEMO_PASSWORD):
    return client.post(reverse("accounts:profile"), {"email": email, "password": password})


def audits(user: User) -> list[dict]:
    return list(
        AuditEntry.objects.filter(action="user.set_email", target_id=str(user.pk)).values_list(
            "data", flat=True
        )
    )


def test_it_gives_every_demo_user_its_own_address_at_an_example_domain(db):
    emails = list(User.objects.values_list("username", "email"))
    assert emails
    for username, email in emails:
        assert email == f"{username}@keyprojects.example"
    assert len({email.lower() for _u, email in emails}) == len(emails)


def test_it_shows_the_address_and_a_form_to_change_it(client, login):
    user = login("ent.liangshan")
    response = client.get(reverse("accounts:profile"))
    assert response.context["email_form"]["email"].value() == user.email
    assert user.email in response.content.decode()


def test_it_saves_a_new_address_and_audits_the_change(client, login):
    user = login("ent.liangshan")
    previous = user.email

    response = save_email(client, "  Zhang.San@LIANGSHAN.example ")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.email == "Zhang.San@liangshan.example"  # the domain is not case-sensitive, the mailbox may be
    assert audits(user) == [{"from": previous, "to": "Zhang.San@liangshan.example"}]
    entry = AuditEntry.objects.get(action="user.set_email", target_id=str(user.pk))
    assert entry.actor == user


def test_it_clears_the_address_when_left_empty(client, login):
    user = login("ent.liangshan")
    assert save_email(client, "").status_code == 302
    user.refresh_from_db()
    assert user.email == ""


def test_it_records_nothing_when_the_address_is_unchanged(client, login):
    user = login("ent.liangshan")
    assert save_email(client, user.email).status_code == 302
    assert audits(user) == []


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("office.julu@KEYPROJECTS.example", DEMO_PASSWORD, "email"),  # another user's, in other capitals
        ("OFFICE.JULU@keyprojects.example", DEMO_PASSWORD, "email"),
        ("not an address", DEMO_PASSWORD, "email"),
        ("new@liangshan.example", "wrong password", "password"),
        ("new@liangshan.example", "", "password"),
    ],
)
def test_it_refuses_a_change_that_breaks_a_rule(client, login, email, password, field):
    user = login("ent.liangshan")
    previous = user.email

    response = save_email(client, email, password)

    assert response.status_code == 200
    assert response.context["email_form"].errors[field]
    user.refresh_from_db()
    assert user.email == previous
    assert audits(user) == []


def test_it_lets_no_one_but_an_administrator_change_another_users_address(persona):
    liangshan = persona("ent.liangshan")
    with pytest.raises(NotAllowed):
        services.user_set_email(actor=persona("office.julu"), user=liangshan, email="x@liangshan.example")

    services.user_set_email(actor=persona("admin"), user=liangshan, email="x@liangshan.example")

    liangshan.refresh_from_db()
    assert liangshan.email == "x@liangshan.example"
    assert AuditEntry.objects.get(action="user.set_email", target_id=str(liangshan.pk)).actor == persona(
        "admin"
    )
