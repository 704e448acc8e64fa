"""Request and response shapes of site surveys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta, Struct

from service.inputs import LINE, PROSE, Input
from service.photos.schemas import Photo


class Measurement(Input, forbid_unknown_fields=True):
    """One thing measured: ``{"label": "积水深度", "value": "0.3", "unit": "米"}``."""

    label: Annotated[str, Meta(min_length=1, max_length=60, extra=LINE)]
    value: Annotated[str, Meta(min_length=1, max_length=40, extra=LINE)]
    unit: Annotated[str, Meta(max_length=20, extra=LINE)] = ""


class SurveyCreate(Input, forbid_unknown_fields=True):
    """A survey of the site: when, by whom (a person or a unit), notes and measurements."""

    surveyed_on: date
    surveyor: Annotated[str, Meta(min_length=1, max_length=200, extra=LINE)]
    notes: Annotated[str, Meta(max_length=4000, extra=PROSE)] = ""
    measurements: Annotated[list[Measurement], Meta(max_length=50)] = []


class Survey(Struct):
    id: int
    process_id: int
    surveyed_on: date
    surveyor: str
    notes: str
    measurements: list[Measurement]
    photos: list[Photo]
    created_at: datetime
