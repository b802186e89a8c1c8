from django.contrib.auth import views as auth_views
from django.urls import path

from keyprojects.accounts import guide_views, views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/language/", views.language_switch, name="language"),
    # The user guides, one per role (docs/guide/), behind the "?" of the top bar.
    path("help/", guide_views.guide_index, name="guide_index"),
    path("help/screenshots/<str:name>", guide_views.guide_screenshot, name="guide_screenshot"),
    path("help/<slug:role>/", guide_views.guide_page, name="guide"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/login/code/", views.login_code, name="login_code"),
    path("accounts/two-factor/", views.twofactor_settings, name="twofactor"),
    path("accounts/two-factor/start/", views.twofactor_start, name="twofactor_start"),
    path("accounts/two-factor/off/", views.twofactor_disable, name="twofactor_disable"),
    path("accounts/two-factor/qr.svg", views.twofactor_qr, name="twofactor_qr"),
    path("accounts/tokens/", views.token_list, name="tokens"),
    path("accounts/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("org/users/", views.user_list, name="user_list"),
    path("org/users/<str:username>/", views.user_detail, name="user_detail"),
    path(
        "org/users/<str:username>/deactivate/",
        views.user_action,
        {"action": "deactivate"},
        name="user_deactivate",
    ),
    path(
        "org/users/<str:username>/reactivate/",
        views.user_action,
        {"action": "reactivate"},
        name="user_reactivate",
    ),
    path("org/users/<str:username>/unlock/", views.user_action, {"action": "unlock"}, name="user_unlock"),
    path(
        "org/users/<str:username>/two-factor-reset/",
        views.user_action,
        {"action": "twofactor_reset"},
        name="user_twofactor_reset",
    ),
    path("org/regions/", views.region_list, name="region_list"),
    path("org/regions/<slug:slug>/", views.region_detail, name="region_detail"),
    path(
        "org/regions/<slug:region_slug>/departments/new/",
        views.org_create,
        {"kind": "department"},
        name="department_create",
    ),
    path(
        "org/regions/<slug:region_slug>/enterprises/new/",
        views.org_create,
        {"kind": "enterprise"},
        name="enterprise_create",
    ),
    path("org/departments/", views.department_list, name="department_list"),
    path("org/departments/<slug:slug>/", views.department_detail, name="department_detail"),
    path("org/departments/<slug:slug>/edit/", views.org_edit, {"kind": "department"}, name="department_edit"),
    path("org/enterprises/", views.enterprise_list, name="enterprise_list"),
    path("org/enterprises/<slug:slug>/", views.enterprise_detail, name="enterprise_detail"),
    path("org/enterprises/<slug:slug>/edit/", views.org_edit, {"kind": "enterprise"}, name="enterprise_edit"),
]
