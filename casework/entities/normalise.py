"""Normalised keys, so that the same thing met in two rooms is one entity.

- phones: E.164 (`+8613812345678`), parsed with libphonenumber for region CN, so
  `138-1234-5678`, `+86 138 1234 5678` and `8613812345678` are one; landlines keep their
  area code (`0596-1234567` → `+865961234567`);
- plates: upper case without spaces, dots or middle dots (`闽E·12345` = `闽e 12345`);
- Chinese resident ID numbers: 18 characters with a valid check digit, `x` upper-cased;
- IMEIs: 15 digits with a valid Luhn check digit;
- bank accounts: digits only;
- persons without an ID number and locations: whitespace folded, case-folded text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError


class InvalidKey(ValueError):
    """The value cannot be the key of an entity of that kind (the message says why)."""


_PLATE_DROP = re.compile(r"[\s.·・•\-]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=262_144)
def phone(value: str) -> str:
    # cached: a call-record file repeats the same few thousand numbers a million times
    raw = (value or "").strip()
    if not raw:
        raise InvalidKey("empty phone number")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidKey(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidKey(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65_536)
def plate(value: str) -> str:
    key = _PLATE_DROP.sub("", (value or "")).upper()
    if not 5 <= len(key) <= 10:
        raise InvalidKey(f"not a plate: {value!r}")
    return key


def id_number(value: str) -> str:
    raw = (value or "").strip()
    try:
        return ric.validate(raw).upper()
    except StdnumError as exc:
        raise InvalidKey(f"not a valid resident ID number: {raw!r} ({exc})") from None


def imei(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 15 or not luhn.is_valid(digits):
        raise InvalidKey(f"not a valid IMEI: {value!r}")
    return digits


def bank_account(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", value or "")
    if not digits.isdigit() or not 8 <= len(digits) <= 30:
        raise InvalidKey(f"not a bank account number: {value!r}")
    return digits


def text(value: str) -> str:
    key = _SPACES.sub(" ", (value or "").strip()).casefold()
    if not key:
        raise InvalidKey("empty")
    return key


def looks_like(query: str) -> list[tuple[str, str]]:
    """Every (kind, key) a search string could stand for: a phone, a plate or an ID."""
    found = []
    for kind, fn in (("phone", phone), ("person", id_number), ("vehicle", plate)):
        try:
            found.append((kind, fn(query)))
        except InvalidKey:
            continue
    return found
