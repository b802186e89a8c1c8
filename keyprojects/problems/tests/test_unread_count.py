"""The top bar's count of unread notices: right, in one query, and not computed for anonymous pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.problems import services
from keyprojects.problems.context_processors import unread_notices
from keyprojects.problems.models import Notification


def notices(user: User, *, unread: int, read: int) -> None:
    now = clock.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user=user, kind=Notification.Kind.OVERDUE, created_at=now - timedelta(hours=n), days=n
            )
            for n in range(unread)
        ]
        + [
            Notification(user=user, kind=Notification.Kind.REPORTED, created_at=now, read_at=now)
            for _n in range(read)
        ]
    )


@pytest.fixture
def power(persona) -> User:
    """dept.julu.power with exactly 3 unread and 2 read notices; leader.julu has 4 unread of their own."""
    user = persona("dept.julu.power")
    Notification.objects.filter(user__username__in=["dept.julu.power", "leader.julu"]).delete()
    notices(user, unread=3, read=2)
    notices(persona("leader.julu"), unread=4, read=0)
    return user


def request_as(user) -> object:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_it_counts_the_users_unread_notices_in_one_query(power, django_assert_num_queries):
    with django_assert_num_queries(1):
        context = unread_notices(request_as(power))
    assert context == {"shell_unread_count": 3}


def test_it_counts_nought_once_everything_is_read(power):
    services.notifications_mark_read(user=power)
    assert unread_notices(request_as(power)) == {"shell_unread_count": 0}


def test_it_asks_nothing_for_an_anonymous_page(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        assert unread_notices(request_as(AnonymousUser())) == {}


def test_it_gives_every_page_of_a_logged_in_user_the_count(client, power):
    client.force_login(power)
    assert client.get(reverse("accounts:profile")).context["shell_unread_count"] == 3


def test_it_gives_the_log_in_page_no_count(client, db):
    assert "shell_unread_count" not in client.get(reverse("accounts:login")).context
