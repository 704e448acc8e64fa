"""Residents' requests (诉求) from the field to their close (销号): logged by a grid worker
with a place, a category and a photo, triaged (handled on the spot, put on a bench
meeting's agenda, escalated to the street office, promoted into a process or declined),
answered by the street, and closed with the resident's satisfaction."""

from __future__ import annotations

from service.auth.guard import roles

TAKERS = roles("grid_worker", "facilitator", "admin")
"""Who logs requests and triages them: the grid worker in the field, the facilitator, the
admin."""
