"""Photo checks: type by content (JPEG, PNG, WebP), size and count."""

from .errors import Invalid

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 9
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, ext in _SIGNATURES:
        if head.startswith(signature):
            return content_type, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def check_photos(files) -> list[tuple[object, str, str]]:
    """[(file, content_type, extension)] or Invalid naming the photo and the reason."""
    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise Invalid(f"照片最多 {MAX_PHOTOS} 张，收到 {len(files)} 张", "photos")
    checked = []
    for n, f in enumerate(files, 1):
        name = getattr(f, "name", f"第{n}张")
        if f.size > MAX_PHOTO_BYTES:
            raise Invalid(f"照片“{name}”大小 {f.size / 1048576:.1f} MB，超过 5 MB 上限", "photos")
        head = f.read(16)
        f.seek(0)
        kind = sniff(head)
        if kind is None:
            raise Invalid(f"照片“{name}”不是 JPEG、PNG 或 WebP 图片", "photos")
        checked.append((f, *kind))
    return checked
