"""The calibration wizard, step by step, against a real monitor fed divider voltages."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG
from firmware.monitor import Monitor
from insole.calibration import Calibration
from insole.frames import SENSORS, VoltsFrame
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.store import SessionLog

DIVIDER = Divider()  # 3.3 V, 3.3 kΩ: the device defaults
TRUE_CURVES = {
    "heel": FsrCurve(11_000.0, 0.8),
    "little_toe": FsrCurve(14_000.0, 0.9),
    "big_toe": FsrCurve(12_500.0, 0.85),
}
KG = 9.80665


@pytest.fixture
def app(monitor: Monitor) -> Flask:
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor)


class Bench:
    """The insole on the bench: known weights on one point at a time."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.t_s = 0.0

    def volts(self, heel: float = 0.0, little_toe: float = 0.0, big_toe: float = 0.0) -> None:
        for _ in range(10):
            self.t_s += 0.01
            self.monitor.process(VoltsFrame(self.t_s, heel, little_toe, big_toe))

    def weight(self, sensor: str, force_n: float) -> None:
        volts = force_to_volts(force_n, TRUE_CURVES[sensor], DIVIDER)
        self.volts(**{sensor: volts})


def state_of(page: str) -> str:
    match = re.search(r'<input type="hidden" name="state" value="([^"]*)">', page)
    assert match, "the page carries no wizard state"
    return html.unescape(match.group(1))


def field_error(page: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="err-{name}" role="alert">([^<]*)</p>', page)
    assert match, f"no message next to {name}"
    return html.unescape(match.group(1))


def run_wizard(client: FlaskClient, bench: Bench, unloaded_v: float = 0.0) -> str:
    """Tare and two known weights on every point; returns the wizard state."""
    bench.volts(unloaded_v, unloaded_v, unloaded_v)
    page = client.post("/settings/calibrate/tare", data={"state": ""})
    assert page.status_code == 200
    state = state_of(page.text)
    for sensor in SENSORS:
        for kg in ("2", "5,5"):
            bench.weight(sensor, float(kg.replace(",", ".")) * KG)
            page = client.post(
                "/settings/calibrate/point",
                data={"state": state, "sensor": sensor, "weight": kg, "unit": "kg"},
            )
            assert page.status_code == 200
            state = state_of(page.text)
    return state


def test_the_first_step_explains_and_says_no_calibration_is_saved(client: FlaskClient) -> None:
    page = client.get("/settings/calibrate").text
    assert "Lift the foot off the insole" in page
    assert "No calibration saved yet" in page
    assert "disabled>Save calibration" in page.replace("\n", "")


def test_the_wizard_fits_plots_and_saves_a_calibration(
    client: FlaskClient, monitor: Monitor, log: SessionLog
) -> None:
    bench = Bench(monitor)
    state = run_wizard(client, bench, unloaded_v=0.05)
    page = client.post(
        "/settings/calibrate/point",
        data={"state": state, "sensor": "heel", "weight": "", "unit": "kg"},
    ).text
    # the plot: two measured points and a fitted curve per sensor
    for sensor in SENSORS:
        assert len(re.findall(rf'<circle class="point s-{sensor}"', page)) == 2
        assert f'<path class="line s-{sensor}"' in page
    flat = " ".join(page.split())
    assert re.search(r"Outer heel: 1(0999|1000) Ω at 1 N, exponent 0\.80", flat)
    saved = client.post("/settings/calibrate/save", data={"state": state, "label": "bench"})
    assert saved.status_code == 303
    latest = log.latest_calibration()
    assert latest is not None
    calibration_id, data = latest
    assert saved.headers["Location"].endswith(f"/settings/calibrate?saved={calibration_id}")
    stored = Calibration.from_dict(data)
    for index, sensor in enumerate(SENSORS):
        assert stored.curves[index].r_at_1n_ohm == pytest.approx(
            TRUE_CURVES[sensor].r_at_1n_ohm, rel=1e-3
        )
        assert stored.curves[index].exponent == pytest.approx(
            TRUE_CURVES[sensor].exponent, rel=1e-3
        )
    assert all(tare > 0 for tare in stored.tare_n)  # the 0.05 V preload is tared away
    assert monitor.calibration == stored
    after = client.get(saved.headers["Location"]).text
    assert f"Calibration {calibration_id} saved." in after
    assert f"Calibration in force: number {calibration_id}." in after


def test_a_bad_weight_is_refused_and_the_steps_so_far_are_kept(
    client: FlaskClient, monitor: Monitor
) -> None:
    bench = Bench(monitor)
    state = run_wizard(client, bench)
    bench.weight("heel", 30.0)
    for weight, unit, field, message in [
        ("abc", "kg", "weight", "'abc' is not a number."),
        ("0", "N", "weight", "Must be more than zero."),
        ("3", "lb", "unit", "Choose one of: kg, N."),
    ]:
        response = client.post(
            "/settings/calibrate/point",
            data={"state": state, "sensor": "heel", "weight": weight, "unit": unit},
        )
        assert response.status_code == 400
        assert field_error(response.text, field) == message
        assert state_of(response.text) == state


def test_a_point_can_be_removed(client: FlaskClient, monitor: Monitor) -> None:
    state = run_wizard(client, Bench(monitor))
    page = client.post(
        "/settings/calibrate/remove", data={"state": state, "sensor": "big_toe", "index": "1"}
    ).text
    assert len(re.findall(r'<circle class="point s-big_toe"', page)) == 1
    assert "needs two or more different weights" in page
    refused = client.post("/settings/calibrate/save", data={"state": state_of(page)})
    assert refused.status_code == 400
    assert "Every point needs a fitted curve" in field_error(refused.text, "save")


def test_points_that_do_not_rise_with_the_weight_are_named(
    client: FlaskClient, monitor: Monitor
) -> None:
    bench = Bench(monitor)
    bench.volts()
    state = state_of(client.post("/settings/calibrate/tare", data={"state": ""}).text)
    for kg, force_n in (("1", 40.0), ("4", 10.0)):  # heavier weight, lower reading
        bench.weight("heel", force_n)
        state = state_of(
            client.post(
                "/settings/calibrate/point",
                data={"state": state, "sensor": "heel", "weight": kg, "unit": "kg"},
            ).text
        )
    page = client.post(
        "/settings/calibrate/remove", data={"state": state, "sensor": "heel", "index": "9"}
    ).text
    assert "did not rise with the weight" in page


def test_without_readings_the_wizard_says_so(client: FlaskClient) -> None:
    response = client.post("/settings/calibrate/tare", data={"state": ""})
    assert response.status_code == 400
    assert "No live reading from the insole" in field_error(response.text, "tare")


def test_a_tampered_state_is_refused_without_crashing(
    client: FlaskClient, monitor: Monitor
) -> None:
    Bench(monitor).volts()
    for bad in ("{not json", '{"unloaded_v": [1, 2]}', '{"points": {"heel": [[1, "x"]]}}'):
        response = client.post("/settings/calibrate/tare", data={"state": bad})
        assert response.status_code == 400
        assert "could not be read" in field_error(response.text, "state")


def test_saving_needs_the_tare_first(client: FlaskClient) -> None:
    response = client.post("/settings/calibrate/save", data={"state": ""})
    assert response.status_code == 400
    assert "Tare with the foot lifted first" in field_error(response.text, "tare")


def test_drift_since_the_last_calibration_is_warned_about(
    client: FlaskClient, monitor: Monitor
) -> None:
    bench = Bench(monitor)
    state = run_wizard(client, bench, unloaded_v=0.05)
    assert client.post("/settings/calibrate/save", data={"state": state}).status_code == 303
    bench.volts(0.05, 0.05, 0.05)  # the same unloaded readings: no warning
    same = client.post("/settings/calibrate/tare", data={"state": ""}).text
    assert 'id="drift-warning"' not in same
    bench.volts(1.2, 0.05, 0.05)  # the heel now reads several newtons unloaded
    moved = client.post("/settings/calibrate/tare", data={"state": ""}).text
    assert 'id="drift-warning"' in moved
    assert "outer heel +" in moved
    assert "little-toe ball" not in re.search(r'id="drift-warning">([^<]*)<', moved).group(1)
