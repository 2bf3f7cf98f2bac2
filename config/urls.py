"""Top-level URLs: each app mounts its own urls.py under a namespace."""

from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import BatonHealthView

# The admin signs in through the same page (rate limits, lockout, two-factor) as everyone else
# (set before admin.site.urls is read).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="advocacy:program_list", permanent=False), name="home"),
    # Sign-in by username or e-mail (django-allauth), under the names the pages have always used.
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("health/", BatonHealthView.as_view(), name="health"),
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("", include("advocacy.urls")),
    path("", include("rotations.urls")),
    path("", include("issues.urls")),
    path("", include("themes.urls")),
    path("", include("insights.urls")),
    path("", include("integrations.urls")),
]

admin.site.site_header = "Baton administration"
admin.site.site_title = "Baton admin"
admin.site.index_title = "Programs, people and the advocate role"
