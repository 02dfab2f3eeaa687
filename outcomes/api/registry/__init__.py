"""The registry's read API: disease areas, conditions, domains, instruments, sets, versions, search, dumps."""
