"""Ed25519 through PyNaCl/libsodium, with the strict decoding the reference's newer code uses.

Keys and signatures are standard padded base64 decoded with `validate=True` and checked for
exact length (32 and 64 bytes); anything else is refused before libsodium sees it. Ed25519
signs the message bytes directly (no pre-hash).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from functools import lru_cache

import nacl.exceptions
import nacl.signing


def _detached_verify() -> Callable[[bytes, bytes, int, bytes], int] | None:
    """libsodium's `crypto_sign_verify_detached` from the library PyNaCl itself loaded.

    PyNaCl's compiled cffi module (1.6.2) exports the symbol but does not declare it, so it is
    bound here from the same shared object with ctypes (which, unlike a cffi `cdef`, costs no
    C parser at import): the same libsodium code PyNaCl's `VerifyKey.verify`
    (crypto_sign_open) runs, without copying msg+sig into a new buffer for each call. The GIL
    is released during the call. None when neither binding is available.
    """
    try:
        from nacl._sodium import lib  # type: ignore[import-not-found]  # cffi module, no stubs

        verify: Callable[[bytes, bytes, int, bytes], int] = lib.crypto_sign_verify_detached
        return verify
    except (ImportError, AttributeError):
        pass
    try:
        import ctypes

        import nacl._sodium
        import nacl.bindings  # noqa: F401  (runs sodium_init)

        function = ctypes.CDLL(nacl._sodium.__file__).crypto_sign_verify_detached
        function.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p)
        function.restype = ctypes.c_int
        return function
    except Exception:  # pragma: no cover - fall back to VerifyKey.verify
        return None


_DETACHED = _detached_verify()


def decode_b64(value: object, length: int) -> bytes | None:
    """Strict standard base64 of exactly `length` bytes, else None."""
    if not isinstance(value, str) or len(value) != 4 * ((length + 2) // 3):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


PUBLIC_KEY_CHARS = 44     # standard base64 of 32 bytes


def decode_public_key(value: str) -> bytes | None:
    """The 32 raw bytes of a base64 public key, or None. Only strings of a key's length reach the
    memo: a hostile repository's long distinct strings would otherwise be kept in memory."""
    return _decode_public_key(value) if isinstance(value, str) and len(value) == PUBLIC_KEY_CHARS else None


@lru_cache(maxsize=65_536)
def _decode_public_key(value: str) -> bytes | None:
    return decode_b64(value, 32)


def decode_signature(value: object) -> bytes | None:
    return decode_b64(value, 64)


def is_public_key(value: object) -> bool:
    return isinstance(value, str) and decode_public_key(value) is not None


def verify(public_key: str, message: bytes, signature: bytes) -> bool:
    """True when `signature` (64 raw bytes) is a valid Ed25519 signature of `message`."""
    key = decode_public_key(public_key)
    if key is None or len(signature) != 64:
        return False
    if _DETACHED is not None:
        return bool(_DETACHED(signature, message, len(message), key) == 0)
    try:
        nacl.signing.VerifyKey(key).verify(message, signature)
        return True
    except nacl.exceptions.BadSignatureError:
        return False


def sign(seed: bytes, message: bytes) -> str:
    """Base64 signature of `message` by the key with this 32-byte seed."""
    return base64.b64encode(nacl.signing.SigningKey(seed).sign(message).signature).decode("ascii")


def public_key_of(seed: bytes) -> str:
    return base64.b64encode(bytes(nacl.signing.SigningKey(seed).verify_key)).decode("ascii")


def fingerprint(public_key: str) -> str:
    """Short key fingerprint, as the reference's bundle summary: sha256 of the base64 string."""
    return "sha256:" + hashlib.sha256(public_key.encode("ascii", "replace")).hexdigest()[:24]
