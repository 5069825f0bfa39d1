"""Phone numbers: normalisation, validation and masking."""

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


class PhoneError(ValueError):
    pass


def normalize_phone(raw) -> str:
    """Strip spaces, dashes, brackets and +86; raise PhoneError with a Chinese reason if it is not a phone."""
    value = str(raw or "").strip()
    if isinstance(raw, float) and raw.is_integer():
        value = str(int(raw))
    value = re.sub(r"[\s\u3000\-()（）]", "", value)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if _MOBILE.match(value) or _LANDLINE.match(value):
        return value
    raise PhoneError("联系电话应为11位手机号码或带区号的固定电话")


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if _MOBILE.match(value):
        return value[:3] + "****" + value[-4:]
    return value[:4] + "*" * (len(value) - 6) + value[-2:]
