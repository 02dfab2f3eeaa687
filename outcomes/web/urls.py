from __future__ import annotations

from django.conf import settings
from django.urls import path

from outcomes.ratelimit import ratelimit
from outcomes.web import browse, feeds, mapping, network, notifications, trials, versions, views

# Each check stores a result: POSTs are limited per client IP (TRIAL_CHECK_RATE_LIMIT), pages and API together.
trial_check_limit = ratelimit(group="trial-check", rate=settings.TRIAL_CHECK_RATE_LIMIT)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("feeds/changes.atom", feeds.ChangesFeed(), name="feed"),
    path("areas/<slug:slug>/feed.atom", feeds.DiseaseAreaChangesFeed(), name="feed-area"),
    path("sets/<slug:slug>/feed.atom", feeds.SetChangesFeed(), name="feed-set"),
    path("areas/<slug:slug>/", views.disease_area_detail, name="disease-area"),
    path("sets/<slug:slug>/", views.set_detail, name="set-detail"),
    path("conditions/<slug:slug>/", browse.condition_detail, name="condition-detail"),
    path("search/", browse.search, name="search"),
    path("domains/", browse.domain_list, name="domain-list"),
    path("domains/<int:number>/", browse.domain_detail, name="domain-detail"),
    path("instruments/", browse.instrument_list, name="instrument-list"),
    path("instruments/<str:acronym>/", browse.instrument_detail, name="instrument-detail"),
    path("compare/", browse.compare, name="compare"),
    path("network/cos_feasibility.py", network.feasibility_runner, name="feasibility-runner"),
    path("compare/sets/", browse.set_suggestions, name="set-suggestions"),
    path("sets/<slug:slug>/v/<str:version>/", versions.version_detail, name="version-detail"),
    path("sets/<slug:slug>/v/<str:version>/publish/", versions.version_publish_page, name="version-publish"),
    path("sets/<slug:slug>/v/<str:version>/withdraw/", versions.version_withdraw_page, name="version-withdraw"),
    path("sets/<slug:slug>/v/<str:version>/doi/", versions.version_doi_page, name="version-doi"),
    path("sets/<slug:slug>/v/<str:version>/draft/", versions.version_draft_create_page, name="version-draft-create"),
    path("sets/<slug:slug>/uptake/", trials.set_uptake, name="set-uptake"),
    path("trials/check/", trial_check_limit(trials.trial_check), name="trial-check"),
    path("trials/checks/<uuid:pk>/", trials.trial_check_result, name="trial-check-result"),
    path("trials/checks/<uuid:pk>/csv/", trials.trial_check_csv, name="trial-check-csv"),
    path("trials/checks/<uuid:pk>/declare/", trials.adoption_declare, name="adoption-declare"),
    path("trials/adoptions/", trials.adoption_queue, name="adoption-queue"),
    path("trials/uptake/", trials.uptake, name="uptake"),
    path("sets/<slug:slug>/outcomes/<uuid:identity>/mapping/", mapping.outcome_mapping, name="outcome-mapping"),
    path(
        "sets/<slug:slug>/outcomes/<uuid:identity>/mapping/<int:number>/review/",
        mapping.outcome_mapping_review,
        name="outcome-mapping-review",
    ),
    path("sets/<slug:slug>/latest/", versions.version_latest, name="version-latest"),
    path("sets/<slug:slug>/diff/<str:a>/<str:b>/", versions.version_diff_page, name="version-diff"),
    # change notifications (docs/notifications.md)
    path("sets/<slug:slug>/subscribe/", notifications.subscribe_set, name="subscribe-set"),
    path("areas/<slug:slug>/subscribe/", notifications.subscribe_area, name="subscribe-area"),
    path("subscriptions/confirm/<str:token>/", notifications.subscription_confirm, name="subscription-confirm"),
    path("subscriptions/unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
    path("webhooks/", notifications.webhook_list, name="webhook-list"),
    path("webhooks/<int:pk>/", notifications.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/rotate-secret/", notifications.webhook_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/enable/", notifications.webhook_enable, name="webhook-enable"),
    path("webhooks/<int:pk>/delete/", notifications.webhook_delete, name="webhook-delete"),
    path("webhooks/deliveries/<int:pk>/replay/", notifications.webhook_delivery_replay, name="webhook-delivery-replay"),
]
