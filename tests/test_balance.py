import pytest

from insole.balance import BalanceRule, centre_of_pressure, tripod_point
from insole.settings import DEFAULT_SENSOR_POSITIONS_MM, Settings


@pytest.mark.parametrize(
    ("forces", "balanced", "off", "cue"),
    [
        ((45.0, 20.0, 35.0), True, None, "hold"),
        ((60.0, 38.0, 2.0), False, "big_toe", "press_big_toe"),
        ((60.0, 2.0, 38.0), False, "little_toe", "press_little_toe"),
        ((3.0, 40.0, 40.0), False, "heel", "press_heel"),
        ((5.0, 3.0, 4.0), False, None, "load_foot"),
        ((0.0, 0.0, 0.0), False, None, "load_foot"),
    ],
)
def test_default_rule(
    forces: tuple[float, float, float], balanced: bool, off: str | None, cue: str
) -> None:
    v = BalanceRule(Settings()).evaluate(*forces, was_balanced=False)
    assert (v.balanced, v.off_point, v.cue_key) == (balanced, off, cue)


def test_hysteresis_keeps_balance_near_the_limit() -> None:
    rule = BalanceRule(Settings(min_share=0.10, share_hysteresis=0.03))
    near = (50.0, 42.0, 8.0)  # big toe at 8 %: below the entry limit, above the exit limit
    assert not rule.evaluate(*near, was_balanced=False).balanced
    assert rule.evaluate(*near, was_balanced=True).balanced
    assert not rule.evaluate(50.0, 44.0, 5.0, was_balanced=True).balanced


def test_personal_target_cues_ease_and_press() -> None:
    rule = BalanceRule(Settings(personal_target=(0.45, 0.2, 0.35), target_tolerance=0.05))
    v = rule.evaluate(70.0, 15.0, 15.0, was_balanced=False)
    assert not v.balanced
    assert v.cue_key in ("ease_heel", "press_big_toe")
    assert rule.evaluate(45.0, 20.0, 35.0, was_balanced=False).balanced


def test_centre_of_pressure_and_tripod_point() -> None:
    pos = DEFAULT_SENSOR_POSITIONS_MM
    assert centre_of_pressure((1.0, 0.0, 0.0), pos) == pos["heel"]
    third = 1 / 3
    x, y = centre_of_pressure((third, third, third), pos)
    assert x == pytest.approx(sum(p[0] for p in pos.values()) / 3)
    assert y == pytest.approx(sum(p[1] for p in pos.values()) / 3)
    assert tripod_point((1.0, 0.0, 0.0)) == (0.5, 1.0)
    assert tripod_point((0.0, 0.0, 1.0)) == (1.0, 0.0)
