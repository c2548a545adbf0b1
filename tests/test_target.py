import pytest

from insole.target import TargetCapture, TargetCaptureError


def test_capture_averages_shares() -> None:
    cap = TargetCapture(duration_s=2.0)
    done = False
    t = 0.0
    while not done:
        done = cap.add(t, (45.0, 20.0, 35.0))
        t += 0.01
    assert cap.result() == pytest.approx((0.45, 0.20, 0.35))


def test_capture_refuses_unloaded_or_lopsided_demonstrations() -> None:
    light = TargetCapture(duration_s=1.0)
    for i in range(101):
        light.add(i / 100, (2.0, 1.0, 1.0))
    with pytest.raises(TargetCaptureError, match="loaded above"):
        light.result()
    lopsided = TargetCapture(duration_s=1.0)
    for i in range(101):
        lopsided.add(i / 100, (60.0, 38.0, 1.0))
    with pytest.raises(TargetCaptureError, match="big_toe carried only 1 %"):
        lopsided.result()
    with pytest.raises(TargetCaptureError, match="no frames"):
        TargetCapture().result()
    with pytest.raises(TargetCaptureError, match="from 1 to 30"):
        TargetCapture(duration_s=0.1)
