from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _report_settings(settings: Any, tmp_path: Path) -> None:
    settings.REPORT_MEDIA_ROOT = tmp_path / "report-media"
    # A small search space keeps the proof of work fast in tests; the rule is the same.
    settings.REPORT_POW_MAX_NUMBER = 2000
