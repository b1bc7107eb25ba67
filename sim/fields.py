"""Shared pydantic building blocks for scenarios and policies.

Numbers and booleans are strict: ``true`` is not 1, ``"10"`` is not 10 and 2.5 is
not an integer, so a slip in a scenario file is an error instead of a quiet
conversion. (An integer is accepted where a real number is expected.)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

__all__ = ["Frozen", "Int", "Float", "Bool", "Probability", "NonNegative", "Positive", "Share", "Day"]


class Frozen(BaseModel):
    """Immutable, unknown keys rejected, NaN and infinities rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Int = Annotated[int, Strict()]
Float = Annotated[float, Strict()]
Bool = Annotated[bool, Strict()]
Probability = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
Share = Probability
NonNegative = Annotated[float, Strict(), Field(ge=0.0)]
Positive = Annotated[float, Strict(), Field(gt=0.0)]
Day = Annotated[int, Strict(), Field(ge=0)]
