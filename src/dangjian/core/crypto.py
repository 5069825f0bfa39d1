"""Field encryption for personal data: SM4-GCM for storage, HMAC-SM3 for the blind index.

The master key comes from settings.FIELD_KEY (hex). Two sub-keys are derived from it with HMAC-SM3 so
the cipher key and the index key are never the same bytes.

Stored form: base64( version(1) | nonce(12) | ciphertext | tag(16) ).
"""

import base64
import functools
import hmac as _hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    pass


def _sm3_hmac(key: bytes, data: bytes) -> bytes:
    h = crypto_hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


@functools.cache
def _keys(master_hex: str) -> tuple[bytes, bytes]:
    try:
        master = bytes.fromhex(master_hex)
    except ValueError:
        master = master_hex.encode()
    if len(master) < 16:
        raise ValueError("DANGJIAN_FIELD_KEY 太短：至少需要 16 字节（32 个十六进制字符）")
    return _sm3_hmac(master, b"dangjian/sm4-gcm")[:16], _sm3_hmac(master, b"dangjian/blind-index")


def _cipher_key() -> bytes:
    return _keys(settings.FIELD_KEY)[0]


def _index_key() -> bytes:
    return _keys(settings.FIELD_KEY)[1]


def encrypt(plain: str) -> str:
    if plain is None or plain == "":
        return ""
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(_cipher_key()), modes.GCM(nonce)).encryptor()
    ct = enc.update(plain.encode("utf-8")) + enc.finalize()
    return base64.b64encode(VERSION + nonce + ct + enc.tag).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    raw = base64.b64decode(token)
    if raw[:1] != VERSION or len(raw) < 1 + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("密文格式不正确")
    nonce, body = raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
    ct, tag = body[:-TAG_BYTES], body[-TAG_BYTES:]
    dec = Cipher(algorithms.SM4(_cipher_key()), modes.GCM(nonce, tag)).decryptor()
    try:
        return (dec.update(ct) + dec.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("密文校验失败：密钥不符或数据被篡改") from exc


def blind_index(plain: str) -> str:
    """A keyed, deterministic digest for exact lookup and uniqueness without storing the plain value."""
    return _sm3_hmac(_index_key(), plain.encode("utf-8")).hex()


def constant_time_equal(a: str, b: str) -> bool:
    return _hmac.compare_digest(a.encode(), b.encode())
