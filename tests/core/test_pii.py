"""Encryption at rest and blind indexes for personal data; no database."""

import base64

import pytest

from puhui.core.pii import PiiCipher, PiiDecryptError, key_from_text, key_new_text

ID_NUMBER = "330781199001011234"


@pytest.fixture
def cipher():
    return PiiCipher(key_from_text(key_new_text()))


@pytest.mark.parametrize("text", [ID_NUMBER, "13812345678", "浙江省兰溪市诸葛镇 1 号", ""])
def test_round_trip(cipher, text):
    token = cipher.encrypt(text)
    assert token.startswith("v1:") and token.isascii()
    assert cipher.decrypt(token) == text


def test_two_encryptions_of_the_same_text_differ(cipher):
    assert cipher.encrypt(ID_NUMBER) != cipher.encrypt(ID_NUMBER)


def test_ciphertext_does_not_contain_the_plaintext(cipher):
    token = cipher.encrypt(ID_NUMBER)
    raw = base64.urlsafe_b64decode(token[3:])
    assert ID_NUMBER not in token
    assert ID_NUMBER.encode() not in raw


def test_blind_index_is_deterministic_64_hex(cipher):
    index = cipher.blind_index(ID_NUMBER, purpose="resident_id")
    assert index == cipher.blind_index(ID_NUMBER, purpose="resident_id")
    assert len(index) == 64 and int(index, 16) >= 0


def test_blind_index_differs_by_purpose_by_text_and_by_key(cipher):
    index = cipher.blind_index(ID_NUMBER, purpose="resident_id")
    assert index != cipher.blind_index(ID_NUMBER, purpose="phone")
    assert index != cipher.blind_index("330781199001011242", purpose="resident_id")
    other = PiiCipher(key_from_text(key_new_text()))
    assert index != other.blind_index(ID_NUMBER, purpose="resident_id")


def test_blind_index_is_the_same_across_ciphers_with_the_same_key():
    key = key_from_text(key_new_text())
    assert PiiCipher(key).blind_index("x", purpose="p") == PiiCipher(key).blind_index("x", purpose="p")


def test_blind_index_refuses_an_ambiguous_purpose(cipher):
    with pytest.raises(ValueError):
        cipher.blind_index("x", purpose="a\x00b")
    with pytest.raises(ValueError):
        cipher.blind_index("x", purpose="")


def _flip_one_byte(token: str, position: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    raw[position] ^= 0x01
    return "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("position", [0, 12, -1])  # nonce, ciphertext, tag
def test_tampered_token_is_refused(cipher, position):
    token = cipher.encrypt(ID_NUMBER)
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(_flip_one_byte(token, position))


@pytest.mark.parametrize("token", ["", "v1:", "v1:!!!!", "v2:AAAA", "v1:" + "A" * 8, "plain text", None])
def test_malformed_token_is_refused(cipher, token):
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(token)


def test_wrong_key_is_refused(cipher):
    token = cipher.encrypt(ID_NUMBER)
    with pytest.raises(PiiDecryptError):
        PiiCipher(key_from_text(key_new_text())).decrypt(token)


def test_same_key_decrypts_across_instances():
    key = key_from_text(key_new_text())
    assert PiiCipher(key).decrypt(PiiCipher(key).encrypt(ID_NUMBER)) == ID_NUMBER


def test_key_text_round_trips_and_new_keys_differ():
    text = key_new_text()
    assert len(key_from_text(text)) == 32
    assert key_from_text(f"  {text}\n") == key_from_text(text)
    assert key_new_text() != text


@pytest.mark.parametrize(
    "text",
    [
        "",
        base64.urlsafe_b64encode(b"k" * 16).decode(),
        base64.urlsafe_b64encode(b"k" * 31).decode(),
        base64.urlsafe_b64encode(b"k" * 33).decode(),
        "not base64 at all!",
    ],
)
def test_key_from_text_rejects_bad_keys(text):
    with pytest.raises(ValueError, match="PII key"):
        key_from_text(text)


@pytest.mark.parametrize("key", [b"k" * 16, b"k" * 33, "k" * 32])
def test_cipher_rejects_a_key_of_the_wrong_size_or_type(key):
    with pytest.raises(ValueError):
        PiiCipher(key)
