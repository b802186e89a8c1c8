from django.core.management import call_command
from django.urls import reverse

from keyprojects.accounts.models import Department, Enterprise, Region, User


def test_it_loads_the_demo_organisations(db):
    assert Region.objects.filter(parent__slug="xingtai", kind__in=Region.COUNTY_LEVEL_KINDS).count() == 18
    assert Region.objects.get(slug="julu").path == "/hebei/xingtai/julu/"
    assert Department.objects.filter(region__slug="julu").count() >= 10
    assert Enterprise.objects.filter(slug__in=["liangshan", "newera", "binhao"]).count() == 3
    for username in [
        "admin",
        "city.xingtai",
        "office.julu",
        "leader.julu",
        "dept.julu.resources",
        "ent.liangshan",
    ]:
        assert User.objects.filter(username=username).exists(), username


def test_it_loads_the_demo_twice_without_change(db):
    counts = (
        Region.objects.count(),
        Department.objects.count(),
        Enterprise.objects.count(),
        User.objects.count(),
    )
    call_command("load_demo", "--quiet-logins", verbosity=0)
    assert counts == (
        Region.objects.count(),
        Department.objects.count(),
        Enterprise.objects.count(),
        User.objects.count(),
    )


def test_it_serves_the_login_page(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_it_redirects_anonymous_visitors_to_login(client, db):
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
