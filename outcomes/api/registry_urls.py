"""Read API of the registry (disease areas, conditions, domains, instruments, sets, versions) and exports."""

from __future__ import annotations

urlpatterns: list = []
