"""The lab tests use the REST API's fixtures (users, token clients)."""

from __future__ import annotations

from tests.api.conftest import (  # noqa: F401  (fixtures)
    _remove_the_sandboxes_made_here,
    as_user,
    enroll,
    make_classroom,
    make_user,
)
