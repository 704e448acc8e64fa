"""The board's one form: a resident's feedback on how a decision is carried out (verdict,
optional short text, optional household label), read from the browser's text fields into the
loop's request shape, with refusals that name the field."""

from __future__ import annotations

from functools import partial

import msgspec

from service.errors import Invalid
from service.i18n import text
from service.loop.schemas import VERDICTS, ResidentFeedbackCreate
from service.web.forms import checked

LONGEST = {"body": 500, "household": 40}
"""The most characters of each text field (as :class:`ResidentFeedbackCreate` allows), told
as a refusal naming the field before the shape is checked."""


class ResidentFeedbackForm(msgspec.Struct):
    """What the resident typed and chose; kept as typed to fill the form again on a refusal."""

    verdict: str = ""
    body: str = ""
    household: str = ""

    def to_create(self) -> ResidentFeedbackCreate:
        if self.verdict not in VERDICTS:
            raise Invalid("resident-verdict-required", field="verdict")
        for name, most in LONGEST.items():
            typed = getattr(self, name).strip()
            if len(typed) > most:
                label = partial(text, key=f"field.{name}")
                raise Invalid(
                    "text-too-long",
                    field=name,
                    label=label,
                    path=label,
                    length=len(typed),
                    most=most,
                )
        return checked(
            {"verdict": self.verdict, "body": self.body, "household": self.household},
            ResidentFeedbackCreate,
        )
