"""Consensus API for panelists and facilitators."""

from __future__ import annotations

urlpatterns: list = []
