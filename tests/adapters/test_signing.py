import hashlib
import hmac

from webapp.adapters.signing import sign, verify

BODY = '{"event":"ping","title":"Crème"}'.encode()
NOW = 1_800_000_000


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"s3cret", b"1800000000.{}", hashlib.sha256).hexdigest()

    assert sign("s3cret", NOW, b"{}") == f"sha256={expected}"


def test_a_fresh_signature_verifies():
    assert verify("s3cret", str(NOW), BODY, sign("s3cret", NOW, BODY), now=NOW + 10)


def test_a_changed_body_does_not_verify():
    assert not verify("s3cret", NOW, BODY + b" ", sign("s3cret", NOW, BODY), now=NOW)


def test_a_changed_timestamp_does_not_verify():
    assert not verify("s3cret", NOW + 1, BODY, sign("s3cret", NOW, BODY), now=NOW)


def test_a_stale_timestamp_does_not_verify():
    assert not verify("s3cret", NOW, BODY, sign("s3cret", NOW, BODY), now=NOW + 301)


def test_a_non_numeric_timestamp_does_not_verify():
    assert not verify("s3cret", "12a", BODY, sign("s3cret", "12a", BODY), tolerance=None)


def test_a_non_ascii_signature_does_not_verify():
    assert not verify("s3cret", NOW, BODY, "sha256=é", now=NOW)
