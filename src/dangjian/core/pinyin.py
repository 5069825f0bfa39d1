import functools

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT


@functools.cache
def _char_initial(char: str) -> str:
    letters = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    return letters[0][:1].lower() if letters and letters[0] else ""


def _has_phrase(name: str) -> bool:
    return any(name[i:j] in PHRASES_DICT for i in range(len(name)) for j in range(i + 2, len(name) + 1))


def initials(name: str) -> str:
    """张三 → zs (pinyin initials for search). Characters are cached; names holding a known multi-character
    phrase (whose reading depends on context) go through pypinyin whole."""
    name = name or ""
    if _has_phrase(name):
        letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
        return "".join(p[0] for p in letters if p).lower()[:20]
    return "".join(_char_initial(c) for c in name)[:20]
