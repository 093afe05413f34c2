"""Awareness events (action E3.1.4): dates, publishing, answers, changes and their figures."""
