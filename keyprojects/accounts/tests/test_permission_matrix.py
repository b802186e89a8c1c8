"""Every page of accounts, core and the Django admin, requested by every persona: the status the rules demand.

Outside the scope → 404 (and none of the object's data); visible but not allowed → 403; anonymous → the
login page. Each row lists the expected status for the personas in `PERSONAS` order.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from keyprojects.accounts import services
from keyprojects.accounts.models import ApiToken, Department, Enterprise, Region, User

PERSONAS = (
    "anonymous",
    "admin",
    "city.xingtai",
    "office.julu",
    "leader.julu",
    "dept.julu.resources",
    "ent.liangshan",
)

# Placeholders in URL arguments, resolved when the test runs (primary keys differ between databases).
OWN_TOKEN = "<own token>"
OTHERS_TOKEN = "<a token of office.ningjin>"
LIANGSHAN_PK = "<pk of liangshan>"

MARK = "矩阵测试"  # the Chinese name every form POST below writes, so that a write can be found again
DEPARTMENT_POST = {"slug": "matrix-dept", "name_zh": MARK, "name_en": "Matrix", "kind": "other", "phone": ""}
ENTERPRISE_POST = {"slug": "matrix-ent", "name_zh": MARK, "name_en": "Matrix", "credit_code": ""}
POSTS = {
    "accounts:department_create": DEPARTMENT_POST,
    "accounts:department_edit": DEPARTMENT_POST,
    "accounts:enterprise_create": ENTERPRISE_POST,
    "accounts:enterprise_edit": ENTERPRISE_POST,
    "accounts:language": {"language": "en", "next": "/"},
    "accounts:tokens": {"name": "matrix"},
}
ORG_WRITES = {
    "accounts:department_create",
    "accounts:department_edit",
    "accounts:enterprise_create",
    "accounts:enterprise_edit",
}

# fmt: off
MATRIX = [
    # url name,                           args,                    method  anon admin city office leader dept  ent
    ("dashboards:home",                         (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("core:healthz",                      (),                      "get",  200, 200, 200, 200, 200, 200, 200),
    ("accounts:guide_index",                  (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:guide",                        ("enterprise",),         "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:guide",                        ("nobody",),             "get",  302, 404, 404, 404, 404, 404, 404),
    ("accounts:guide_screenshot",             ("home-zh.png",),        "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:guide_screenshot",             ("settings.py",),        "get",  302, 404, 404, 404, 404, 404, 404),
    ("accounts:login",                    (),                      "get",  200, 302, 302, 302, 302, 302, 302),
    ("accounts:logout",                   (),                      "post", 302, 302, 302, 302, 302, 302, 302),
    ("accounts:logout",                   (),                      "get",  405, 405, 405, 405, 405, 405, 405),
    ("accounts:password_change",          (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:password_reset",           (),                      "get",  200, 200, 200, 200, 200, 200, 200),
    ("accounts:password_reset_done",      (),                      "get",  200, 200, 200, 200, 200, 200, 200),
    ("accounts:password_reset_confirm",   ("MQ", "not-a-token"),   "get",  200, 200, 200, 200, 200, 200, 200),
    ("accounts:password_reset_complete",  (),                      "get",  200, 200, 200, 200, 200, 200, 200),
    ("accounts:language",                 (),                      "post", 302, 302, 302, 302, 302, 302, 302),
    ("accounts:language",                 (),                      "get",  405, 405, 405, 405, 405, 405, 405),
    ("accounts:profile",                  (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:profile",                  (),                      "post", 302, 200, 200, 200, 200, 200, 200),
    ("accounts:tokens",                   (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:tokens",                   (),                      "post", 302, 200, 200, 200, 200, 200, 200),
    ("accounts:token_revoke",             (OWN_TOKEN,),            "post", 302, 302, 302, 302, 302, 302, 302),
    ("accounts:token_revoke",             (OWN_TOKEN,),            "get",  302, 405, 405, 405, 405, 405, 405),
    ("accounts:token_revoke",             (OTHERS_TOKEN,),         "post", 302, 404, 404, 404, 404, 404, 404),
    ("accounts:login_code",               (),                      "get",  302, 302, 302, 302, 302, 302, 302),  # no password given first
    ("accounts:twofactor",                (),                      "get",  302, 200, 200, 200, 403, 403, 403),
    ("accounts:twofactor_start",          (),                      "post", 302, 302, 302, 302, 403, 403, 403),
    ("accounts:twofactor_disable",        (),                      "post", 302, 302, 302, 302, 403, 403, 403),
    ("accounts:twofactor_qr",             (),                      "get",  302, 404, 404, 404, 404, 404, 404),  # no set-up under way
    ("accounts:user_list",                (),                      "get",  302, 200, 200, 200, 403, 403, 403),
    ("accounts:user_detail",              ("leader.julu",),        "get",  302, 200, 200, 200, 403, 403, 403),
    ("accounts:user_detail",              ("office.ningjin",),     "get",  302, 200, 200, 404, 403, 403, 403),
    ("accounts:user_deactivate",          ("leader.julu",),        "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:user_deactivate",          ("office.ningjin",),     "post", 302, 302, 403, 404, 403, 403, 403),
    ("accounts:user_deactivate",          ("leader.julu",),        "get",  302, 405, 405, 405, 405, 405, 405),
    ("accounts:user_reactivate",          ("leader.julu",),        "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:user_reactivate",          ("office.ningjin",),     "post", 302, 302, 403, 404, 403, 403, 403),
    ("accounts:user_unlock",              ("leader.julu",),        "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:user_unlock",              ("office.ningjin",),     "post", 302, 302, 403, 404, 403, 403, 403),
    ("accounts:user_twofactor_reset",     ("leader.julu",),        "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:user_twofactor_reset",     ("office.ningjin",),     "post", 302, 302, 403, 404, 403, 403, 403),
    ("accounts:region_list",              (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:region_detail",            ("julu",),               "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:region_detail",            ("julu-edz",),           "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:region_detail",            ("ningjin",),            "get",  302, 200, 200, 404, 404, 404, 404),
    ("accounts:region_detail",            ("ningjin-edz",),        "get",  302, 200, 200, 404, 404, 404, 404),
    ("accounts:region_detail",            ("xingtai",),            "get",  302, 200, 200, 404, 404, 404, 404),
    ("accounts:region_detail",            ("hebei",),              "get",  302, 200, 404, 404, 404, 404, 404),
    ("accounts:department_create",        ("julu",),               "get",  302, 200, 403, 200, 403, 403, 403),
    ("accounts:department_create",        ("julu",),               "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:department_create",        ("julu-edz",),           "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:department_create",        ("ningjin",),            "get",  302, 200, 403, 404, 404, 404, 404),
    ("accounts:department_create",        ("ningjin",),            "post", 302, 302, 403, 404, 404, 404, 404),
    ("accounts:enterprise_create",        ("julu",),               "get",  302, 200, 403, 200, 403, 403, 403),
    ("accounts:enterprise_create",        ("julu",),               "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:enterprise_create",        ("julu-edz",),           "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:enterprise_create",        ("ningjin",),            "get",  302, 200, 403, 404, 404, 404, 404),
    ("accounts:enterprise_create",        ("ningjin",),            "post", 302, 302, 403, 404, 404, 404, 404),
    ("accounts:department_list",          (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:department_detail",        ("julu-resources",),     "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:department_detail",        ("ningjin-resources",),  "get",  302, 200, 200, 404, 404, 404, 404),
    ("accounts:department_edit",          ("julu-resources",),     "get",  302, 200, 403, 200, 403, 403, 403),
    ("accounts:department_edit",          ("julu-resources",),     "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:department_edit",          ("ningjin-resources",),  "get",  302, 200, 403, 404, 404, 404, 404),
    ("accounts:department_edit",          ("ningjin-resources",),  "post", 302, 302, 403, 404, 404, 404, 404),
    ("accounts:enterprise_list",          (),                      "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:enterprise_detail",        ("liangshan",),          "get",  302, 200, 200, 200, 200, 200, 200),
    ("accounts:enterprise_detail",        ("newera",),             "get",  302, 200, 200, 200, 200, 200, 404),
    ("accounts:enterprise_detail",        ("hengyuan",),           "get",  302, 200, 200, 404, 404, 404, 404),
    ("accounts:enterprise_edit",          ("liangshan",),          "get",  302, 200, 403, 200, 403, 403, 403),
    ("accounts:enterprise_edit",          ("liangshan",),          "post", 302, 302, 403, 302, 403, 403, 403),
    ("accounts:enterprise_edit",          ("newera",),             "get",  302, 200, 403, 200, 403, 403, 404),
    ("accounts:enterprise_edit",          ("newera",),             "post", 302, 302, 403, 302, 403, 403, 404),
    ("accounts:enterprise_edit",          ("hengyuan",),           "get",  302, 200, 403, 404, 404, 404, 404),
    ("accounts:enterprise_edit",          ("hengyuan",),           "post", 302, 302, 403, 404, 404, 404, 404),
    ("admin:index",                       (),                      "get",  302, 200, 302, 302, 302, 302, 302),
    ("admin:accounts_enterprise_changelist", (),                   "get",  302, 200, 302, 302, 302, 302, 302),
    ("admin:accounts_enterprise_change",  (LIANGSHAN_PK,),         "get",  302, 200, 302, 302, 302, 302, 302),
    ("admin:accounts_department_add",     (),                      "get",  302, 403, 302, 302, 302, 302, 302),  # read-only: the services own it
    ("admin:accounts_user_changelist",    (),                      "get",  302, 200, 302, 302, 302, 302, 302),
    ("admin:accounts_apitoken_changelist", (),                     "get",  302, 200, 302, 302, 302, 302, 302),
]
# fmt: on

CASES = [
    pytest.param(
        persona, url_name, args, method, expected[i], id=f"{persona}-{method}-{url_name}-{'/'.join(args)}"
    )
    for url_name, args, method, *expected in MATRIX
    for i, persona in enumerate(PERSONAS)
]


def _resolve(args: tuple, user: User | None) -> tuple:
    def one(arg):
        if arg == OWN_TOKEN:
            owner = user or User.objects.get(username="office.ningjin")
            return services.api_token_create(user=owner, name="own")[0].pk
        if arg == OTHERS_TOKEN:
            return services.api_token_create(user=User.objects.get(username="office.ningjin"))[0].pk
        if arg == LIANGSHAN_PK:
            return Enterprise.objects.get(slug="liangshan").pk
        return arg

    return tuple(one(a) for a in args)


def _target_names(url_name: str, args: tuple) -> list[str]:
    """The names of the object a URL is about: what a 404 must not give away."""
    if url_name in {"accounts:region_detail", "accounts:department_create", "accounts:enterprise_create"}:
        obj = Region.objects.get(slug=args[0])
    elif url_name.startswith("accounts:department_") and args:
        obj = Department.objects.get(slug=args[0])
    elif url_name.startswith("accounts:enterprise_") and args:
        obj = Enterprise.objects.get(slug=args[0])
    else:
        return []
    return [obj.name_zh, obj.name_en]


def _written() -> bool:
    return (
        Department.objects.filter(name_zh=MARK).exists() or Enterprise.objects.filter(name_zh=MARK).exists()
    )


@pytest.mark.parametrize("persona_name, url_name, args, method, expected", CASES)
def test_it_answers_each_persona_as_the_scope_rules_say(
    client, login, persona_name, url_name, args, method, expected
):
    user = None if persona_name == "anonymous" else login(persona_name)
    url = reverse(url_name, args=_resolve(args, user))
    response = getattr(client, method)(url, POSTS.get(url_name, {}))

    assert response.status_code == expected
    if expected == 302 and user is None and url_name not in {"accounts:logout", "accounts:language"}:
        assert "login" in response["Location"]
    if expected == 302 and url_name.startswith("admin:"):
        assert response["Location"].startswith(reverse("admin:login"))
    if expected == 404:
        content = response.content.decode()
        for name in _target_names(url_name, args):
            assert name not in content
    if url_name in ORG_WRITES and method == "post":
        assert _written() == (expected == 302 and user is not None)


def test_it_covers_every_named_page_of_accounts_and_core():
    from keyprojects.accounts import urls as accounts_urls
    from keyprojects.core import urls as core_urls

    names = {f"accounts:{p.name}" for p in accounts_urls.urlpatterns} | {
        f"core:{p.name}" for p in core_urls.urlpatterns
    }
    assert names <= {row[0] for row in MATRIX}


def test_it_tells_a_logged_in_non_administrator_that_the_admin_is_not_for_them(client, login):
    login("office.julu")
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("admin:login")
    assert not response.context["user"].is_staff


def test_it_does_not_leak_the_names_of_ningjin_departments_into_the_julu_department_list(client, login):
    login("office.julu")
    content = client.get(reverse("accounts:department_list")).content.decode()
    assert Department.objects.get(slug="julu-resources").name_zh in content
    assert Department.objects.get(slug="ningjin-resources").name_zh not in content


def test_it_does_not_leak_other_enterprises_into_an_enterprises_list(client, login):
    login("ent.liangshan")
    response = client.get(reverse("accounts:enterprise_list"))
    content = response.content.decode()
    assert response.context["page"].paginator.count == 1
    assert Enterprise.objects.get(slug="liangshan").name_zh in content
    for slug in ("newera", "binhao", "hengyuan"):
        enterprise = Enterprise.objects.get(slug=slug)
        assert enterprise.name_zh not in content
        assert enterprise.credit_code not in content


def test_it_hides_the_edit_and_create_buttons_from_readers(client, login):
    login("leader.julu")
    content = client.get(reverse("accounts:region_detail", args=["julu"])).content.decode()
    assert reverse("accounts:department_create", args=["julu"]) not in content
    content = client.get(reverse("accounts:department_detail", args=["julu-resources"])).content.decode()
    assert reverse("accounts:department_edit", args=["julu-resources"]) not in content


def test_it_shows_the_edit_and_create_buttons_to_the_county_office(client, login):
    login("office.julu")
    content = client.get(reverse("accounts:region_detail", args=["julu"])).content.decode()
    assert reverse("accounts:department_create", args=["julu"]) in content
    assert reverse("accounts:enterprise_create", args=["julu"]) in content
    content = client.get(reverse("accounts:enterprise_detail", args=["liangshan"])).content.decode()
    assert reverse("accounts:enterprise_edit", args=["liangshan"]) in content


def test_it_revokes_only_the_users_own_token_from_the_page(client, login, persona):
    login("office.julu")
    theirs, _secret = services.api_token_create(user=persona("office.ningjin"))
    mine, _secret = services.api_token_create(user=persona("office.julu"))

    assert client.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[mine.pk])).status_code == 302

    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None
