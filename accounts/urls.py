from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/switch/", views.switch_merchant, name="switch-merchant"),
    path("dashboard/settings/team/", views.team, name="team"),
    path("dashboard/settings/team/invite/", views.team_invite, name="team-invite"),
    path("dashboard/settings/team/<id:pk>/role/", views.team_member_role, name="team-member-role"),
    path("dashboard/settings/team/<id:pk>/remove/", views.team_member_remove, name="team-member-remove"),
    path("dashboard/settings/api-keys/", views.api_keys, name="api-keys"),
    path("dashboard/settings/api-keys/<id:pk>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
    # An invited user's set-password link: Django's password-reset confirmation.
    path(
        "accounts/password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_set.html", success_url=reverse_lazy("accounts:password-set-done")
        ),
        name="password-set",
    ),
    path(
        "accounts/password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_set_done.html"),
        name="password-set-done",
    ),
]
