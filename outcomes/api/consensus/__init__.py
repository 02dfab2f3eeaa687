"""The consensus API: panelists (panel.py), facilitators (facilitator.py) and the downloads (downloads.py)."""
