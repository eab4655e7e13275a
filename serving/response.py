"""The base of every API answer and request model of the serving package."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Response(BaseModel):
    """Base of every API answer: unknown fields are refused, so a typo never goes unseen."""

    model_config = ConfigDict(extra="forbid")
