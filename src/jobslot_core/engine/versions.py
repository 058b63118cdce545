"""Engine versions: what changed between them, so that every stored offer stays recomputable.

- 1: the original engine (offer ids are public: SHA-256 of the context).
- 2: offer ids are keyed by the secret (HMAC), one-sided normal intervals beyond `TAIL_START`
  standard deviations draw with `tail_quantile` (version 1 lost precision there or failed),
  secrets are at least `MIN_SECRET_BYTES` long. Every other draw is the same as version 1.
"""

__all__ = ["ENGINE_VERSION", "ENGINE_VERSIONS", "MIN_SECRET_BYTES"]

ENGINE_VERSION = 2
"""Version of the offer algorithm new offers use; recorded in every offer."""

ENGINE_VERSIONS = (1, 2)
"""Every version this library can recompute."""

MIN_SECRET_BYTES = 16
"""Shortest secret accepted for new offers: a shorter one can be found from its commitment or
its offers by trying every value, and then predicts every offer made under it."""
