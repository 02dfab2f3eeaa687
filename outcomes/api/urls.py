"""/api/v1/: the registry's read API and exports, the consensus API and the notifications API, under one namespace."""

from __future__ import annotations

from outcomes.api.consensus.urls import urlpatterns as consensus_urlpatterns
from outcomes.api.notifications_urls import urlpatterns as notifications_urlpatterns
from outcomes.api.registry.urls import urlpatterns as registry_urlpatterns
from outcomes.api.trials.urls import urlpatterns as trials_urlpatterns

app_name = "api"

urlpatterns = registry_urlpatterns + consensus_urlpatterns + trials_urlpatterns + notifications_urlpatterns
