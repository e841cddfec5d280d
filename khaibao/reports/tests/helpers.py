"""Report bodies, photos and a proof-of-work solver for the tests."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from typing import Any

from altcha import ChallengeV1, solve_challenge_v1
from django.test import Client
from django.utils import timezone
from PIL import ExifTags, Image

HOAN_KIEM = 70


def report_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "gathering",
        "ward_code": HOAN_KIEM,
        "address": "Số 5 phố Hàng Bài",
        "description": "Khoảng 40 người tụ tập hát karaoke trong quán.",
        "happened_at": (timezone.localtime() - timedelta(hours=2)).replace(microsecond=0).isoformat(),
    }
    body.update(overrides)
    return body


def solve_pow(client: Client | None = None) -> str:
    """Fetch a challenge and solve it the way a client would."""
    challenge = (client or Client()).get("/api/v1/reports/challenge").json()
    solution = solve_challenge_v1(
        ChallengeV1(challenge["algorithm"], challenge["challenge"], challenge["maxNumber"],
                    challenge["salt"], challenge["signature"])
    )
    assert solution is not None
    payload = {key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")}
    payload["number"] = solution.number
    return base64.b64encode(json.dumps(payload).encode()).decode()


def jpeg_bytes(size: tuple[int, int] = (64, 48), *, gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "PhoneMaker"
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (21.0, 1.0, 42.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (105.0, 51.0, 7.0)
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 10)).save(out, "PNG")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def submit_multipart(api: Any, body: dict[str, Any], files: list[Any], **extra: Any) -> Any:
    data = {k: ("" if v is None else v) for k, v in body.items()}
    data["photos"] = files
    return api.client.post("/api/v1/reports", data, headers=api._headers(extra.pop("headers", None)), **extra)
