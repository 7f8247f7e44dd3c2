"""Per-model limits over real HTTP: timeouts, concurrency slots, the queue and refusals."""
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import ECHO, IRIS, IRIS_ROW
from model_service import get_registry
from model_service.config import settings_from_environment
from model_service.core.errors import ConfigurationError

HANGING = {"class_path": "fixture_models.hanging_model.HangingModel"}
SPINNING = {"class_path": "fixture_models.spinning_model.SpinningModel"}


def _wait_for(condition, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def hanging(make_app, serve, tmp_path):
    """Serve the hanging model with the given limits; yield (url, markers dir, hosted model)."""
    markers = tmp_path / "markers"
    markers.mkdir()
    started: list = []

    def start(**limits):
        entry = {**HANGING, "configuration": {"marker_dir": str(markers), "hang_s": 20},
                 "limits": limits}
        app = make_app([entry, ECHO])
        started.append(markers)
        return serve(app), markers, get_registry(app).get("hanging_model")

    yield start
    for directory in started:
        (directory / "release").touch()  # let every held call end


def _post(url: str, value: int, timeout: float = 30) -> requests.Response:
    return requests.post(f"{url}/api/models/hanging_model/predict", json={"value": value},
                         timeout=timeout)


def test_a_caller_gets_a_504_problem_when_the_model_does_not_answer_within_its_timeout(hanging):
    url, _, _ = hanging(timeout_s=0.5)
    started = time.monotonic()
    response = _post(url, 1)
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 504 and body["title"] == "Gateway Timeout"
    assert "hanging_model" in body["detail"] and "0.5 s" in body["detail"]
    assert 0.5 <= elapsed < 3


def test_a_request_beyond_the_queue_is_refused_at_once_with_503_and_retry_after(hanging):
    url, markers, hosted = hanging(timeout_s=10, max_concurrency=1, max_queue=1)
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(_post, url, 1)
        _wait_for(lambda: (markers / "started-1").exists(), "the first call to start")
        queued = pool.submit(_post, url, 2)
        _wait_for(lambda: hosted.runner.pending() == 1, "the second request to queue")
        started = time.monotonic()
        refused = _post(url, 3)
        assert time.monotonic() - started < 1
        assert refused.status_code == 503
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) >= 1
        assert "busy" in refused.json()["detail"] and "hanging_model" in refused.json()["detail"]
        (markers / "release").touch()
        assert running.result().json() == {"value": 1}
        assert queued.result().json() == {"value": 2}
    assert not (markers / "started-3").exists()


def test_a_request_that_times_out_in_the_queue_is_never_run(hanging):
    url, markers, hosted = hanging(timeout_s=0.5, max_concurrency=1, max_queue=4)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(_post, url, 1)
        _wait_for(lambda: (markers / "started-1").exists(), "the first call to start")
        queued = _post(url, 2)
        assert queued.status_code == 504
        assert "was not run" in queued.json()["detail"]
        assert running.result().status_code == 504
    assert hosted.runner.pending() == 0
    (markers / "release").touch()
    _wait_for(lambda: hosted.runner.state()["running"] == 0, "the late call to end")
    assert not (markers / "started-2").exists()


def test_a_late_result_is_dropped_and_its_slot_serves_again_once_the_model_returns(hanging):
    url, markers, hosted = hanging(timeout_s=0.5, max_concurrency=1, max_queue=0)
    assert _post(url, 1).status_code == 504
    assert _post(url, 0).status_code == 503  # the only slot is still held by the hung call
    assert hosted.runner.state() == {"running": 1, "waiting": 0, "stuck": 1}
    (markers / "release").touch()
    _wait_for(lambda: hosted.runner.state()["running"] == 0, "the late call to end")
    assert _post(url, 0).json() == {"value": 0}


def test_at_most_max_concurrency_calls_run_at_once(hanging):
    url, markers, hosted = hanging(timeout_s=10, max_concurrency=3, max_queue=10)
    with ThreadPoolExecutor(6) as pool:
        answers = [pool.submit(_post, url, value) for value in range(1, 7)]
        _wait_for(lambda: len(list(markers.glob("started-*"))) == 3, "three calls to start")
        _wait_for(lambda: hosted.runner.pending() == 3, "three requests to queue")
        time.sleep(0.2)
        assert len(list(markers.glob("started-*"))) == 3
        (markers / "release").touch()
        assert [answer.result().json()["value"] for answer in answers] == [1, 2, 3, 4, 5, 6]


def test_a_batch_request_is_one_call_within_the_same_limits(hanging):
    url, markers, _ = hanging(timeout_s=0.5, max_concurrency=1, max_queue=0)
    response = requests.post(f"{url}/api/models/hanging_model/predict_batch",
                             json=[{"value": 0}, {"value": 5}], timeout=30)
    assert response.status_code == 504
    assert response.headers["Content-Type"] == "application/problem+json"
    refused = requests.post(f"{url}/api/models/hanging_model/predict_batch",
                            json=[{"value": 0}], timeout=30)
    assert refused.status_code == 503 and "Retry-After" in refused.headers


def test_a_hung_model_costs_nothing_to_other_models_or_the_probes(hanging):
    url, _, _ = hanging(timeout_s=5, max_concurrency=2, max_queue=2)
    with ThreadPoolExecutor(8) as pool:
        held = [pool.submit(_post, url, value) for value in range(1, 9)]
        started = time.monotonic()
        echo = requests.post(f"{url}/api/models/echo_model/predict", json={"value": 4},
                             timeout=5)
        ready = requests.get(f"{url}/readyz", timeout=5)
        assert time.monotonic() - started < 1
        assert echo.json()["doubled"] == 8
        assert ready.status_code == 200
        statuses = sorted(answer.result().status_code for answer in held)
    # Two ran (504 when their timeout passed), two waited (504), four were refused at once.
    assert statuses == [503] * 4 + [504] * 4


def test_readiness_stays_200_and_names_a_stuck_model(hanging):
    url, markers, hosted = hanging(timeout_s=0.3, max_concurrency=1, max_queue=0)
    assert _post(url, 1).status_code == 504
    ready = requests.get(f"{url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["stuck"] == ["hanging_model"]
    (markers / "release").touch()
    _wait_for(lambda: hosted.runner.state()["running"] == 0, "the late call to end")
    assert requests.get(f"{url}/readyz", timeout=5).json()["stuck"] == []


def test_a_model_computing_in_python_past_its_timeout_still_gets_its_caller_a_504(make_app, serve):
    url = serve(make_app([{**SPINNING, "limits": {"timeout_s": 0.3}}]))
    started = time.monotonic()
    response = requests.post(f"{url}/api/models/spinning_model/predict", json={"seconds": 2},
                             timeout=10)
    assert response.status_code == 504
    assert time.monotonic() - started < 1.5


def test_metrics_count_refused_and_timed_out_predictions(hanging):
    url, markers, _ = hanging(timeout_s=0.3, max_concurrency=1, max_queue=0)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(_post, url, 1)
        _wait_for(lambda: (markers / "started-1").exists(), "the first call to start")
        assert _post(url, 2).status_code == 503
        assert first.result().status_code == 504
    text = requests.get(f"{url}/metrics", timeout=10).text
    assert 'model_service_predictions_total{model="hanging_model",outcome="busy"} 1.0' in text
    assert 'model_service_predictions_total{model="hanging_model",outcome="timeout"} 1.0' in text


def test_limits_default_to_the_environment_settings(make_app):
    registry = get_registry(make_app([IRIS, {**ECHO, "limits": {"max_queue": 3}}],
                                     MODEL_TIMEOUT_S=2.5, MODEL_MAX_CONCURRENCY=2,
                                     MODEL_MAX_QUEUE=7))
    iris, echo = registry.get("iris_model").limits, registry.get("echo_model").limits
    assert (iris.timeout_s, iris.max_concurrency, iris.max_queue) == (2.5, 2, 7)
    assert (echo.timeout_s, echo.max_concurrency, echo.max_queue) == (2.5, 2, 3)


@pytest.mark.parametrize("limits, message", [
    ({"timeout_s": 0}, "'timeout_s' must be a number of seconds above 0"),
    ({"timeout_s": "30s"}, "'timeout_s' must be a number of seconds"),
    ({"max_concurrency": 0}, "'max_concurrency' must be an integer of at least 1"),
    ({"max_concurrency": 2.5}, "'max_concurrency' must be an integer"),
    ({"max_queue": -1}, "'max_queue' must be an integer of at least 0"),
    ({"max_queue": True}, "'max_queue' must be an integer"),
    ({"timeout": 3}, "unknown key 'timeout'"),
    ([30], "expected a mapping"),
])
def test_bad_limits_are_a_configuration_error_naming_the_key(make_app, limits, message):
    with pytest.raises(ConfigurationError) as raised:
        make_app([{**ECHO, "limits": limits}])
    assert "models[0].limits" in str(raised.value) and message in str(raised.value)


def test_single_predictions_still_answer_right_under_concurrency_with_limits(make_app, serve):
    url = serve(make_app([{**IRIS, "limits": {"max_concurrency": 2, "max_queue": 64}}]))
    barrier = threading.Barrier(8)

    def predict(_):
        barrier.wait(5)
        with requests.Session() as session:
            return [session.post(f"{url}/api/models/iris_model/predict", json=IRIS_ROW,
                                 timeout=10) for _ in range(10)]

    with ThreadPoolExecutor(8) as pool:
        for responses in pool.map(predict, range(8)):
            assert all(r.status_code == 200 and r.json()["species"] == "setosa"
                       for r in responses)


@pytest.mark.parametrize("variable, value, message", [
    ("MODEL_SERVICE_TIMEOUT_S", "soon", "expected a number of seconds"),
    ("MODEL_SERVICE_TIMEOUT_S", "0", "above 0"),
    ("MODEL_SERVICE_MAX_CONCURRENCY", "0", "expected an integer of at least 1"),
    ("MODEL_SERVICE_MAX_QUEUE", "-2", "expected an integer of at least 0"),
])
def test_a_bad_limit_in_the_environment_is_a_configuration_error_naming_it(variable, value,
                                                                            message):
    with pytest.raises(ConfigurationError) as raised:
        settings_from_environment({variable: value})
    assert variable in str(raised.value) and message in str(raised.value)


def test_limits_in_the_environment_are_read_typed():
    settings = settings_from_environment({"MODEL_SERVICE_TIMEOUT_S": "2.5",
                                          "MODEL_SERVICE_MAX_CONCURRENCY": "3",
                                          "MODEL_SERVICE_MAX_QUEUE": "0"})
    assert settings == {"MODEL_TIMEOUT_S": 2.5, "MODEL_MAX_CONCURRENCY": 3, "MODEL_MAX_QUEUE": 0}


def test_the_prediction_form_shows_a_timeout_and_keeps_what_was_typed(make_app, tmp_path):
    markers = tmp_path / "form-markers"
    markers.mkdir()
    app = make_app([{**HANGING, "configuration": {"marker_dir": str(markers), "hang_s": 5},
                     "limits": {"timeout_s": 0.3}}])
    client = app.test_client()
    page = client.get("/models/hanging_model/predict").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/models/hanging_model/predict",
                           data={"value": "4321", "csrf_token": token})
    (markers / "release").touch()
    html = response.get_data(as_text=True)
    assert response.status_code == 504
    assert "did not answer within its limit of 0.3 s" in html and 'value="4321"' in html
