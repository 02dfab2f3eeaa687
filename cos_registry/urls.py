from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", include("outcomes.web.urls")),
    path("api/v1/", include("outcomes.api.urls")),
    path("panel/", include("outcomes.web.panel_urls")),
    path("facilitate/", include("outcomes.web.facilitator_urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
