import pytest

from insole.errors import SettingsError
from insole.settings import Settings


def test_defaults_match_the_exercise() -> None:
    s = Settings()
    assert (s.hold_target_s, s.grace_s, s.rep_target, s.set_done_at) == (8.0, 0.5, 10, 5)


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("hold_target_s", 0.5, "from 1 to 120"),
        ("hold_target_s", float("nan"), "from 1 to 120"),
        ("grace_s", "soon", "must be a number"),
        ("rep_target", 2.5, "whole number"),
        ("min_share", True, "must be a number"),
        ("foot", "middle", "left, right"),
        ("personal_target", [0.5, 0.5], "three shares"),
        ("personal_target", [0.5, 0.4, 0.4], "add up to 1"),
        ("sensor_positions_mm", {"heel": [0, 0]}, "each of heel"),
        ("nonsense", 1, "unknown setting"),
    ],
)
def test_bad_values_are_rejected_with_the_allowed_values(
    field: str, value: object, fragment: str
) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({field: value})
    assert info.value.field == field
    assert fragment in str(info.value)


def test_set_done_at_cannot_exceed_rep_target() -> None:
    with pytest.raises(SettingsError, match="rep_target"):
        Settings.from_dict({"rep_target": 4, "set_done_at": 5})


def test_round_trip_through_dict() -> None:
    s = Settings.from_dict(
        {"personal_target": {"heel": 0.5, "little_toe": 0.2, "big_toe": 0.3}, "foot": "left"}
    )
    again = Settings.from_dict(s.to_dict())
    assert again == s
    assert again.personal_target == (0.5, 0.2, 0.3)
