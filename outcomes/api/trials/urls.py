from __future__ import annotations

from django.urls import path

from outcomes.api.trials import views
from outcomes.web.urls import trial_check_limit

urlpatterns = [
    path("trial-checks/", trial_check_limit(views.TrialCheckCreate.as_view()), name="trial-check-create"),
    path("trial-checks/<uuid:pk>/", views.TrialCheckDetail.as_view(), name="trial-check-detail"),
    path("trial-checks/<uuid:pk>/csv/", views.TrialCheckCsv.as_view(), name="trial-check-csv"),
    path("trial-checks/<uuid:pk>/fhir/", views.TrialCheckFhir.as_view(), name="trial-check-fhir"),
    path("adoptions/", views.AdoptionList.as_view(), name="adoption-list"),
    path("adoptions/<int:pk>/fhir/", views.AdoptionFhir.as_view(), name="adoption-fhir"),
    path("adoptions/<int:pk>/verify/", views.AdoptionVerify.as_view(), name="adoption-verify"),
    path("adoptions/<int:pk>/reject/", views.AdoptionReject.as_view(), name="adoption-reject"),
    path("core-outcome-sets/<slug:slug>/uptake/", views.SetUptake.as_view(), name="set-uptake"),
    path("uptake/", views.UptakeList.as_view(), name="uptake-list"),
]
