"""Normalised keys: the same phone, plate or person met twice is one entity."""

from __future__ import annotations

import pytest

from casework.entities import normalise
from casework.entities.normalise import InvalidKey


@pytest.mark.parametrize(("raw", "key"), [
    ("13812345678", "+8613812345678"),                # 11-digit mobile
    ("138 1234 5678", "+8613812345678"),              # spaces
    ("138-1234-5678", "+8613812345678"),              # dashes
    ("+86 138 1234 5678", "+8613812345678"),          # +86
    ("+86-138-1234-5678", "+8613812345678"),
    ("8613812345678", "+8613812345678"),              # 86 without +
    ("0596-2345678", "+865962345678"),                # landline, Zhangzhou area code
    ("05962345678", "+865962345678"),                 # landline, leading 0
    ("(0596) 234 5678", "+865962345678"),
    ("010-12345678", "+861012345678"),                # Beijing
])
def test_phone_numbers(raw, key):
    assert normalise.phone(raw) == key


@pytest.mark.parametrize("raw", ["", "12345", "abc", "1381234567", "+1 202"])
def test_not_phone_numbers(raw):
    with pytest.raises(InvalidKey):
        normalise.phone(raw)


@pytest.mark.parametrize("raw", ["闽E·12345", "闽e 12345", "闽E12345", "闽E.12345", " 闽E-12345 ",
                                 "闽E・12345"])
def test_plates_are_one(raw):
    assert normalise.plate(raw) == "闽E12345"


def test_new_energy_plate():
    assert normalise.plate("闽E·D12345") == "闽ED12345"


@pytest.mark.parametrize(("raw", "key"), [
    ("11010519491231002X", "11010519491231002X"),     # valid, upper-case X
    ("11010519491231002x", "11010519491231002X"),     # lower-case x accepted, upper-cased
    ("350628199001010017", "350628199001010017"),     # Pinghe County region code
])
def test_valid_id_numbers(raw, key):
    assert normalise.id_number(raw) == key


@pytest.mark.parametrize("raw", [
    "110105194912310021",   # wrong check digit
    "11010519491231002",    # too short
    "11010519491331002X",   # month 13
    "",
])
def test_invalid_id_numbers(raw):
    with pytest.raises(InvalidKey):
        normalise.id_number(raw)


def test_imei_check_digit():
    assert normalise.imei("49-015420-323751-8") == "490154203237518"
    with pytest.raises(InvalidKey):
        normalise.imei("490154203237519")


def test_search_recognises_what_a_query_is():
    kinds = dict(normalise.looks_like("13812345678"))
    assert kinds == {"phone": "+8613812345678"}  # 11 characters: too long for a plate
    assert dict(normalise.looks_like("闽E·12345")) == {"vehicle": "闽E12345"}
    assert "person" in dict(normalise.looks_like("11010519491231002x"))
