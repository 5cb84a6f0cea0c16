import pytest
from cryptography.fernet import Fernet

from hubspot_app.crypto import SecretCipher


def test_roundtrip_and_ciphertext_hides_plaintext():
    cipher = SecretCipher([Fernet.generate_key().decode()])
    sealed = cipher.encrypt("pat-na1-secret-token")
    assert "pat-na1-secret-token" not in sealed
    assert cipher.decrypt(sealed) == "pat-na1-secret-token"


def test_key_rotation_old_ciphertexts_still_open_and_rotate_to_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_old = SecretCipher([old]).encrypt("tok")
    rotated = SecretCipher([new, old])
    assert rotated.decrypt(sealed_old) == "tok"
    resealed = rotated.rotate(sealed_old)
    assert SecretCipher([new]).decrypt(resealed) == "tok"
    with pytest.raises(ValueError):
        SecretCipher([new]).decrypt(sealed_old)


def test_long_random_secret_is_accepted_as_key_material():
    secret = "a3f9" * 16  # what Heroku's app.json `generator: secret` produces: 64 hex characters
    sealed = SecretCipher([secret]).encrypt("tok")
    assert SecretCipher([secret]).decrypt(sealed) == "tok"
    with pytest.raises(ValueError):
        SecretCipher(["b7c1" * 16]).decrypt(sealed)


def test_short_key_material_is_refused():
    with pytest.raises(ValueError, match="at least 32"):
        SecretCipher(["too-short"])
