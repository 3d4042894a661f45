"""Master ids: the fast base32 text equals the standard library's, so ids never change."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from hub.engine.identifiers import _short, address_id, citizen_id, organization_id


@given(st.binary(min_size=10, max_size=40))
def test_short_is_base32_of_the_first_80_bits(digest: bytes) -> None:
    assert _short(digest) == base64.b32encode(digest[:10]).decode("ascii").lower()


def test_ids_keep_their_published_form() -> None:
    # computed with base64.b32encode before the fast path existed: published ids must not change
    assert address_id("浙江省杭州市西湖区文三路100号") == "A-l435iv7npjtyi5ys"
    assert citizen_id(b"k", None, "health/H1") == "C-roftgubqviu4bppq"
    assert citizen_id(b"k", "330106199001011234", "x") == "C-zx2yzvajgh7fhbtu"
    assert organization_id(None, "甲公司") == "O-nqyuqs7xy5jqz437"
    assert organization_id("91330100MA27XXXX1X", None) == "O-91330100MA27XXXX1X"
