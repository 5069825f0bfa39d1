"""Django's zh_Hans formats with ISO first among the input formats.

Form widgets render a date with the first input format. The stock zh_Hans list starts with 2026/11/20, which an
`<input type="date">` cannot show (the field appears blank); ISO is what the browser's date picker sends and
shows, and the other stock formats are still accepted when typed."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403
from django.conf.locale.zh_Hans.formats import DATE_INPUT_FORMATS as _DATES

DATE_INPUT_FORMATS = ["%Y-%m-%d", *(f for f in _DATES if f != "%Y-%m-%d")]
