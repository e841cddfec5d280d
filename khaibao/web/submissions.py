"""The citizen forms' submission key and the same answers sent again: owned by
khaibao/core/submissions.py (the console's publishing forms use it too, and faces never import
each other); re-exported here so the citizen pages and their tests keep their imports."""

from __future__ import annotations

from khaibao.core.submissions import (
    FIELD,
    OUTBOX_HEADER,
    RECORDED_HEADER,
    submission_key_field,
    submission_once,
)

__all__ = ["FIELD", "OUTBOX_HEADER", "RECORDED_HEADER", "submission_key_field", "submission_once"]
