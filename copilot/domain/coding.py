"""What is wrong with a coding a person typed, in terms the person can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodingProblem:
    """One reason a coding cannot be used, tied to the field that has to change.

    ``field`` names the part of the coding as the reviewer sent it (``final.account_no``,
    ``final.dims.department``), ``rule`` the check that found it (a validation rule id).
    """

    field: str
    message: str
    rule: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "rule": self.rule}
