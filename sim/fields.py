"""Shared pydantic building blocks for scenarios and policies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Frozen", "Probability", "NonNegative", "Positive", "Share", "Day"]


class Frozen(BaseModel):
    """Immutable, unknown keys rejected, NaN and infinities rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Probability
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Day = Annotated[int, Field(ge=0)]
