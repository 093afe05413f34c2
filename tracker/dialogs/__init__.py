"""Guided dialogs: /durum (status.py) and /gosterge (figures.py), driven as base.py describes;
registry.py says which engine drives which kind. How to write one: README.md here."""
