import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.services import complaint_submit
from institutions.models import Institution


@pytest.fixture
def heping_home(db):
    """A 和平区 institution of the demo city (the first of its four)."""
    return Institution.objects.filter(region__code="120101").order_by("id").first()


@pytest.fixture
def submit(db, heping_home):
    """submit(category=…, **overrides) → (complaint, secret) through the service the form and API call."""

    def _submit(category="abuse", institution=None, description=None, **kwargs):
        kwargs.setdefault("complainant_name", "王某某")
        kwargs.setdefault("complainant_phone", "13812345678")
        kwargs.setdefault("consent", True)
        complaint, secret, created = complaint_submit(
            category=category, institution=institution if institution is not None else heping_home,
            description=description or f"护理员对老人推搡辱骂，类别{category}，多次发生。", **kwargs)
        assert created
        return complaint, secret

    return _submit


def png_bytes(exif: bool = False) -> bytes:
    import io

    from PIL import Image

    image = Image.new("RGB", (8, 8), (200, 30, 30))
    out = io.BytesIO()
    if exif:
        exif_data = Image.Exif()
        exif_data[0x010F] = "SecretCamera"  # Make
        image.save(out, format="JPEG", exif=exif_data)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def upload(name: str, content: bytes, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)
