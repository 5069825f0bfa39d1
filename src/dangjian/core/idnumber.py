"""Resident identity numbers (公民身份号码, GB 11643-1999): validation, derived facts and masking."""

import datetime as dt
import re
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


class IdNumberError(ValueError):
    """Raised with a Chinese reason when an ID number is not valid."""


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    gender: str  # "male" / "female"

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize_id_number(raw) -> str:
    return str(raw or "").strip().replace(" ", "").replace("\u3000", "").upper()


def parse_id_number(raw, today: dt.date | None = None) -> IdNumber:
    value = normalize_id_number(raw)
    if not value:
        raise IdNumberError("公民身份号码为空")
    if len(value) != 18:
        raise IdNumberError(f"公民身份号码应为18位，实际为{len(value)}位")
    if not _SHAPE.match(value):
        raise IdNumberError("公民身份号码格式不正确：前17位应为数字，末位为数字或X")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise IdNumberError(f"公民身份号码中的出生日期{value[6:14]}不存在") from exc
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise IdNumberError(f"公民身份号码中的出生日期{value[6:14]}不合理")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise IdNumberError(f"公民身份号码校验位错误：应为{expected}，实际为{value[17]}")
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, birth_date=birth, gender=gender)


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def make_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid synthetic ID number (for the demo and tests): region 6 digits, sequence 0–999."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
