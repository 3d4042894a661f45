"""Resident grants: only the key's holder can make one; expiry, purpose and citizen are enforced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.window.grants import issue_grant, verify_grant
from hub.window.problems import GrantInvalidError

KEY = b"k" * 32
NOW = datetime(2025, 1, 1, 9, tzinfo=UTC)


def test_a_grant_verifies_with_its_key() -> None:
    token = issue_grant(KEY, "C-abc", "医疗卫生", ttl_s=300, now=NOW)
    grant = verify_grant(KEY, token, max_ttl_s=900, now=NOW + timedelta(seconds=10))
    assert (grant.citizen_id, grant.purpose) == ("C-abc", "医疗卫生")


def test_forged_expired_and_overlong_grants_are_refused() -> None:
    token = issue_grant(KEY, "C-abc", "医疗卫生", ttl_s=300, now=NOW)
    with pytest.raises(GrantInvalidError, match="signature"):
        verify_grant(b"other" * 8, token, max_ttl_s=900, now=NOW)
    _body, _, mac = token.partition(".")
    forged = issue_grant(b"other" * 8, "C-xyz", "医疗卫生", now=NOW).partition(".")[0] + "." + mac
    with pytest.raises(GrantInvalidError, match="signature"):
        verify_grant(KEY, forged, max_ttl_s=900, now=NOW)
    with pytest.raises(GrantInvalidError, match="expired"):
        verify_grant(KEY, token, max_ttl_s=900, now=NOW + timedelta(seconds=301))
    long_lived = issue_grant(KEY, "C-abc", "医疗卫生", ttl_s=3600, now=NOW)
    with pytest.raises(GrantInvalidError, match="longer"):
        verify_grant(KEY, long_lived, max_ttl_s=900, now=NOW)


@given(st.text(max_size=300))
def test_garbage_is_refused_with_one_error_type(text: str) -> None:
    with pytest.raises(GrantInvalidError):
        verify_grant(KEY, text, max_ttl_s=900, now=NOW)
