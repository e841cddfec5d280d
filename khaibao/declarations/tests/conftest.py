from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def lan_browser(world: Any) -> Client:
    """Lan (a household owner of the demo world) signed in on the web."""
    client = Client()
    client.force_login(world.lan)
    return client
