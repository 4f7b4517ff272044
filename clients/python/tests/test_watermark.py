import pytest

from cachepipe_client.watermark import MAX_POSITION, parse_position


@pytest.mark.parametrize("value, position", [
    (b"0", 0), (b"123456", 123456), ("42", 42), (str(MAX_POSITION).encode(), MAX_POSITION)])
def test_a_decimal_position_in_range_is_read(value, position):
    assert parse_position(value) == position


@pytest.mark.parametrize("value", [
    None, b"", b"garbage", b"-5", b" 7", b"7.0", b"1e9", "\u0663",
    str(MAX_POSITION + 1).encode(), str(1 << 63).encode(), b"9" * 40])
def test_a_forged_or_corrupt_watermark_is_never_reached(value):
    assert parse_position(value) == -1
