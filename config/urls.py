"""Top-level URLs: each app mounts its own urls.py under a namespace."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from advocacy.forms import AdminSignInForm, SignInForm
from config.health import BatonHealthView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="advocacy:program_list", permanent=False), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
    path("health/", BatonHealthView.as_view(), name="health"),
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("", include("advocacy.urls")),
    path("", include("rotations.urls")),
    path("", include("issues.urls")),
    path("", include("insights.urls")),
    path("", include("integrations.urls")),
]

admin.site.site_header = "Baton administration"
admin.site.login_form = AdminSignInForm
admin.site.site_title = "Baton admin"
admin.site.index_title = "Programs, people and the advocate role"
