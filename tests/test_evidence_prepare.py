"""Evidence conversion to each channel's limits (Pillow): types, pixels, bytes, EXIF, names."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from kameng_filer import registry
from kameng_filer.case import load_case
from kameng_filer.filing.evidence import prepare_files, sniff_mime


def _jpeg_with_exif(path: Path, size: tuple[int, int] = (5000, 3000)) -> None:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}  # GPS
    img.save(path, "JPEG", exif=exif, quality=95)


def test_images_fit_wechat_limits(example_case: Path) -> None:
    case = load_case(example_case).case
    assert case is not None
    big = example_case.parent / "evidence" / "big.jpg"
    _jpeg_with_exif(big)
    case.evidence[0].file = "evidence/big.jpg"
    case.bind(case.source, case.base_dir)
    spec = registry.spec("wechat_pay").field("images")
    files = prepare_files(case, spec, example_case.parent / "out")
    assert len(files) == min(len(case.evidence), spec.max_files)
    for f in files:
        data = f.path.read_bytes()
        assert f.size == len(data) <= spec.max_bytes
        assert f.mime in spec.accept and sniff_mime(data) == f.mime
        with Image.open(io.BytesIO(data)) as img:
            assert max(img.size) <= spec.max_pixels
            assert not img.getexif(), "EXIF must be stripped"
    assert files[0].upload_name == "order.jpg"


def test_public_channel_gets_anonymous_names(example_case: Path) -> None:
    case = load_case(example_case).case
    assert case is not None
    files = prepare_files(
        case, registry.spec("heimao").field("images"), example_case.parent / "out", anonymous_names=True
    )
    assert [f.upload_name.split(".")[0] for f in files] == [f"evidence-{i}" for i in range(1, len(files) + 1)]


def test_preparation_is_deterministic(example_case: Path) -> None:
    case = load_case(example_case).case
    assert case is not None
    spec = registry.spec("card_platform").field("proof")
    a = prepare_files(case, spec, example_case.parent / "out")
    b = prepare_files(case, spec, example_case.parent / "out")
    assert [(f.sha256, f.path) for f in a] == [(f.sha256, f.path) for f in b]


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\nxxxx", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"%PDF-1.7", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x01\x02\xff", "application/octet-stream"),
    ],
)
def test_sniff(head: bytes, mime: str) -> None:
    assert sniff_mime(head) == mime
