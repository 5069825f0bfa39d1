import string

from django.core.exceptions import ValidationError

CLASSES = (
    ("大写字母", set(string.ascii_uppercase)),
    ("小写字母", set(string.ascii_lowercase)),
    ("数字", set(string.digits)),
)


class CharacterClassValidator:
    """等保 2.0: a password uses at least `min_classes` of upper case, lower case, digits and symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def _classes(self, password: str) -> int:
        used = sum(1 for _, chars in CLASSES if any(c in chars for c in password))
        return used + (1 if any(not c.isalnum() for c in password) else 0)

    def validate(self, password, user=None):
        if self._classes(password) < self.min_classes:
            raise ValidationError(
                f"密码至少要包含大写字母、小写字母、数字、符号中的{self.min_classes}类。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return f"密码至少8位，且包含大写字母、小写字母、数字、符号中的至少{self.min_classes}类。"
