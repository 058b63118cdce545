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


def pytest_report_header(config: object) -> str:
    """Which PostgreSQL server the PostgreSQL tests run against (or why they skip)."""
    import pg_support

    version = pg_support.server_version()
    if version is None:
        return f"postgresql: {pg_support.server_problem()}"
    return f"postgresql: {version} at {pg_support.dsn()}"
