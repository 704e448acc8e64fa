"""Streets (街道) above their communities, and the grid party branches (网格党支部) of a
community: made by an admin, read by the staff who work there."""

from __future__ import annotations

from service.auth.guard import roles

STREET_OFFICE = roles("street", "admin")
"""Who works at a street's desk and reads its figures: the street office's staff (kept to
their own street by :mod:`service.auth.scope`), and the admin."""
