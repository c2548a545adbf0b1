"""Calibration API: fit known weights, store and read back calibrations (real monitor and log)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG
from firmware.monitor import Monitor
from insole.calibration import Calibration
from insole.frames import VoltsFrame
from insole.sensor_model import Divider, FsrCurve, force_to_volts
from insole.store import SessionLog

DIVIDER = Divider(3.3, 3300.0)
CURVE = FsrCurve(r_at_1n_ohm=15_000.0, exponent=0.9)


@pytest.fixture
def app(monitor: Monitor) -> Flask:
    return create_app({"TESTING": True, **LOCAL_TEST_CONFIG}, monitor=monitor)


def readings(curve: FsrCurve, forces_n: list[float]) -> list[list[float]]:
    return [[f, force_to_volts(f, curve, DIVIDER)] for f in forces_n]


def test_fit_uses_the_device_divider_unless_given(client: FlaskClient, monitor: Monitor) -> None:
    monitor.update_settings({"r_fixed_ohm": 10_000.0})
    ten_k = Divider(3.3, 10_000.0)
    points = [[f, force_to_volts(f, CURVE, ten_k)] for f in (10.0, 40.0)]
    body = client.post("/api/calibration/fit", json={"points": {"heel": points}}).json
    assert body is not None
    assert body["curves"]["heel"]["r_at_1n_ohm"] == pytest.approx(15_000.0, rel=1e-6)


def test_fit_recovers_the_curve_of_known_weights(client: FlaskClient) -> None:
    response = client.post(
        "/api/calibration/fit",
        json={
            "supply_v": 3.3,
            "r_fixed_ohm": 3300.0,
            "points": {"heel": readings(CURVE, [9.81, 19.6, 49.0, 98.1])},
        },
    )
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert body["errors"] == {}
    assert body["curves"]["heel"]["r_at_1n_ohm"] == pytest.approx(15_000.0, rel=1e-6)
    assert body["curves"]["heel"]["exponent"] == pytest.approx(0.9, rel=1e-6)


def test_fit_names_the_sensor_whose_points_do_not_fit(client: FlaskClient) -> None:
    falling = [[10.0, 2.0], [20.0, 1.5]]  # the reading fell as the weight rose
    response = client.post(
        "/api/calibration/fit",
        json={
            "supply_v": 3.3,
            "r_fixed_ohm": 3300.0,
            "points": {"heel": readings(CURVE, [10.0, 50.0]), "big_toe": falling},
        },
    )
    assert response.status_code == 400
    body = response.json
    assert body is not None
    assert set(body["curves"]) == {"heel"}
    assert "did not rise with the weight" in body["errors"]["big_toe"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"supply_v": 3.3, "r_fixed_ohm": 3300.0, "points": {"ankle": [[1, 1]]}}, "points"),
        ({"supply_v": 3.3, "r_fixed_ohm": 3300.0, "points": {"heel": [[1]]}}, "points"),
        ({"supply_v": 3.3, "r_fixed_ohm": 5.0, "points": {}}, "divider"),
    ],
)
def test_fit_rejects_malformed_requests(client: FlaskClient, payload: object, field: str) -> None:
    response = client.post("/api/calibration/fit", json=payload)
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["field"] == field


def test_a_body_that_is_not_json_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/calibration/fit", data="heel=1", content_type="text/plain")
    assert response.status_code == 400
    assert response.json == {
        "error": "bad_request",
        "message": "the request body must be a JSON object",
        "field": "body",
    }


def test_calibration_is_null_until_one_is_saved(client: FlaskClient) -> None:
    assert client.get("/api/calibration").json == {"id": None, "calibration": None}


def test_saved_calibration_is_stored_and_put_in_force(
    client: FlaskClient, log: SessionLog, monitor: Monitor
) -> None:
    calibration = Calibration(DIVIDER, (CURVE, FsrCurve(), CURVE), (0.5, 0.0, 1.25))
    response = client.post(
        "/api/calibration", json={"calibration": calibration.to_dict(), "label": "bench"}
    )
    assert response.status_code == 201
    body = response.json
    assert body is not None
    assert log.latest_calibration() == (body["id"], calibration.to_dict())
    assert Calibration.from_dict(client.get("/api/calibration").json["calibration"]) == calibration
    assert monitor.calibration == calibration


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"calibration": {"supply_v": 3.3}}, "calibration", "malformed"),
        ({"calibration": None}, "calibration", "must be an object"),
        ({"calibration": Calibration().to_dict(), "label": "x" * 81}, "label", "80"),
    ],
)
def test_bad_calibrations_are_not_stored(
    client: FlaskClient, log: SessionLog, payload: object, field: str, fragment: str
) -> None:
    response = client.post("/api/calibration", json=payload)
    assert response.status_code == 400
    body = response.json
    assert body is not None
    assert body["field"] == field
    assert fragment in body["message"]
    assert log.latest_calibration() is None


def test_the_raw_reading_is_null_until_the_first_frame(
    client: FlaskClient, monitor: Monitor
) -> None:
    assert client.get("/api/calibration/reading").json == {"reading": None}
    monitor.process(VoltsFrame(0.5, 1.25, 0.0, 2.5))
    body = client.get("/api/calibration/reading").json
    assert body is not None
    assert body["reading"]["volts"] == {"heel": 1.25, "little_toe": 0.0, "big_toe": 2.5}
    assert body["reading"]["forces_n"]["little_toe"] == 0.0
    assert body["reading"]["forces_n"]["big_toe"] > body["reading"]["forces_n"]["heel"] > 0.0
