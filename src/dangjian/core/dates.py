"""Lenient date parsing for the formats county spreadsheets actually contain."""

import datetime as dt
import re

_SEPARATED = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


class DateError(ValueError):
    pass


def parse_date(value) -> dt.date | None:
    """Excel date cells, 2001-07-01, 2001/7/1, 2001.07.01, 2001年7月1日, 20010701. Empty → None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise DateError(f"无法识别的日期：{value}")
    if isinstance(value, int | float):
        number = int(value)
        if number != value:
            raise DateError(f"无法识别的日期：{value}")
        if 19000101 <= number <= 29991231:
            return parse_date(str(number))
        if 1 <= number < 2958466:  # an Excel serial day number from a cell without date format
            return EXCEL_EPOCH + dt.timedelta(days=number)
        raise DateError(f"无法识别的日期：{value}")
    text = str(value).strip().replace("\u3000", "")
    if not text:
        return None
    text = re.sub(r"[T ]00:00(:00)?$", "", text)
    match = _SEPARATED.match(text) or _COMPACT.match(text)
    if not match:
        raise DateError(f"无法识别的日期：{text}（应为 2001-07-01、2001/7/1、2001.07.01、2001年7月1日 或 20010701）")
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DateError(f"日期不存在：{text}") from exc


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
