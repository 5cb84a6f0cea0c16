"""Encryption of secrets at rest (OAuth tokens, Moulin API keys, push secrets).

MultiFernet: the first key encrypts, every key decrypts, so keys rotate by
prepending a new one and re-encrypting (`rotate`) before the old one is dropped.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_SECRET_LENGTH = 32


def fernet_key(material: str) -> bytes:
    """A Fernet key as given, or derived (HKDF-SHA256) from a long random secret such as Heroku generates."""
    try:
        Fernet(material)
        return material.encode()
    except (ValueError, TypeError):
        pass
    if len(material) < MIN_SECRET_LENGTH:
        raise ValueError(f"an encryption key must be a Fernet key or a random secret of at least {MIN_SECRET_LENGTH} characters")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"moulin-hubspot token encryption").derive(
        material.encode())
    return base64.urlsafe_b64encode(derived)


class SecretCipher:
    def __init__(self, keys: tuple[str, ...] | list[str]):
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(fernet_key(k)) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("secret cannot be decrypted with any configured key") from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the first (newest) key."""
        return self._fernet.rotate(ciphertext.encode()).decode()
