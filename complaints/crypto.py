"""Field encryption for complainants' phone numbers (PIPL art. 51: encryption of personal information)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    if not key:
        # Derived from SECRET_KEY when no key of its own is configured (a separate key can then be rotated alone).
        key = base64.urlsafe_b64encode(hashlib.sha256(f"complaints-phone:{settings.SECRET_KEY}".encode()).digest())
    return Fernet(key)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def mask_name(name: str) -> str:
    return f"{name[0]}*" + ("*" if len(name) > 2 else "") if name else ""
