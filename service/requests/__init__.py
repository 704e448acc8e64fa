"""Residents' requests (诉求) from the field to their close (销号): logged by a grid worker
with a place, a category and a photo, triaged (handled on the spot, put on a bench
meeting's agenda, escalated to the street office, promoted into a process or declined),
answered by the street, and closed with the resident's satisfaction."""
