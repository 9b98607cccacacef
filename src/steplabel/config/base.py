"""The base of every configuration section: unknown keys are errors (a typo must not silently
fall back to a default), and so are ``inf`` and ``nan`` (a timeout of ``inf`` is a hang, a
budget of ``nan`` compares false with everything)."""

from pydantic import BaseModel, ConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# Upper bounds shared by several sections. Why: a value beyond them is a typo or a unit mistake
# (1e12 completions, 1e8 samples) that would otherwise run for days or exhaust memory before
# anything is stored; each is far above what published PRM recipes use.
MAX_SAMPLES = 1024  # completions or rollouts asked for one prompt
MAX_TOKENS = 131_072  # tokens of one completion (the longest context windows of current models)
