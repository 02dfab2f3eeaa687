"""Atom feeds of new publications and withdrawals: registry-wide, per disease area and per set.

Each entry is one event (a version published in the registry, or withdrawn with its reason) and links to the
version's permanent page. Only public facts: no draft, no person.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from diseases.models import DiseaseArea
from outcomes.exports import version_page_url
from outcomes.models import CoreOutcomeSet
from outcomes.selectors.public import VersionEvent, version_events


class ChangesFeed(Feed):
    feed_type = Atom1Feed
    title = "COS Registry: new and withdrawn versions"
    subtitle = "Core outcome set versions published in the registry, and published versions withdrawn."
    author_name = "COS Registry"

    def link(self, obj=None) -> str:
        return reverse("web:home")

    def items(self, obj=None) -> list[VersionEvent]:
        return version_events()

    def item_title(self, event: VersionEvent) -> str:
        version = event.version
        verb = "Published" if event.kind == "published" else "Withdrawn"
        return f"{verb}: {version.core_outcome_set.title}, version {version.version}"

    def item_description(self, event: VersionEvent) -> str:
        version = event.version
        if event.kind == "withdrawn":
            return f"Version {version.version} was withdrawn. Reason: {version.withdrawn_reason}"
        text = f"Version {version.version} was published in the registry."
        return f"{text} Changes: {version.changelog}" if version.changelog else text

    def item_link(self, event: VersionEvent) -> str:
        return version_page_url(slug=event.version.core_outcome_set.slug, version=event.version.version)

    def item_guid(self, event: VersionEvent) -> str:
        # One entry per event: a version's publication and its withdrawal are two entries with two ids.
        return f"{self.item_link(event)}#{event.kind}"

    item_guid_is_permalink = False

    def item_pubdate(self, event: VersionEvent):
        return event.at

    def item_updateddate(self, event: VersionEvent):
        return event.at

    def item_categories(self, event: VersionEvent) -> list[str]:
        return [event.version.core_outcome_set.disease_area.name, event.kind]


class DiseaseAreaChangesFeed(ChangesFeed):
    def get_object(self, request, slug: str) -> DiseaseArea:
        return get_object_or_404(DiseaseArea, slug=slug)

    def title(self, area: DiseaseArea) -> str:
        return f"COS Registry: new and withdrawn versions in {area.name}"

    def link(self, area: DiseaseArea) -> str:
        return reverse("web:disease-area", args=[area.slug])

    def items(self, area: DiseaseArea) -> list[VersionEvent]:
        return version_events(area=area)


class SetChangesFeed(ChangesFeed):
    def get_object(self, request, slug: str) -> CoreOutcomeSet:
        return get_object_or_404(CoreOutcomeSet, slug=slug)

    def title(self, cos: CoreOutcomeSet) -> str:
        return f"COS Registry: new and withdrawn versions of {cos.title}"

    def link(self, cos: CoreOutcomeSet) -> str:
        return reverse("web:set-detail", args=[cos.slug])

    def items(self, cos: CoreOutcomeSet) -> list[VersionEvent]:
        return version_events(cos=cos)
