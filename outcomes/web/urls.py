from __future__ import annotations

from django.urls import path

from outcomes.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("areas/<slug:slug>/", views.disease_area_detail, name="disease-area"),
    path("sets/<slug:slug>/", views.set_detail, name="set-detail"),
]
