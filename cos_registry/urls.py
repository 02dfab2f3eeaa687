from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from outcomes.ratelimit import ratelimit

# Password guessing: N sign-in attempts per client IP per window (LOGIN_RATE_LIMIT).
login_limit = ratelimit(group="login", rate=settings.LOGIN_RATE_LIMIT)
login_view = login_limit(auth_views.LoginView.as_view())
admin.site.login = login_limit(admin.site.login)

urlpatterns = [
    path("", include("outcomes.web.urls")),
    path("", include("outcomes.web.audit")),
    path("", include("outcomes.web.network")),
    path("api/v1/", include("outcomes.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("panel/", include("outcomes.web.panel_urls")),
    path("facilitate/", include("outcomes.web.facilitator_urls")),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

handler400 = "outcomes.api.errors.handler400"
handler404 = "outcomes.api.errors.handler404"
handler500 = "outcomes.middleware.server_error"
