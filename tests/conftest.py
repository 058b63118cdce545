"""Shared pytest setup: hypothesis profiles only (fixtures live in each test package's conftest).

`ci` (the default) is derandomized and quick; `HYPOTHESIS_PROFILE=thorough` runs 2000 examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
