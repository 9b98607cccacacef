"""The base of every configuration section: unknown keys are errors (a typo must not silently
fall back to a default)."""

from pydantic import BaseModel, ConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
