from pypinyin import Style, lazy_pinyin


def initials(name: str) -> str:
    """张三 → zs (pinyin initials for search)."""
    return "".join(p[0] for p in lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="ignore") if p).lower()[:20]
