"""Micro-batching over real HTTP with real threads: right results, isolated errors, settings."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import ECHO, RAISING
from model_service import get_registry
from model_service.core.batching import BatchSettings
from model_service.core.limits import Limits, ModelRunner
from model_service.core.errors import ConfigurationError

GATED = {"class_path": "fixture_models.gated_model.GatedModel"}


def _post(url: str, value) -> requests.Response:
    return requests.post(f"{url}/api/models/gated_model/predict", json={"value": value}, timeout=30)


def _wait_for(condition, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


def _hold_then_release(url: str, hosted, first, queued: list) -> dict:
    """Hold ``first`` inside the model, queue ``queued`` behind it, release; responses by value."""
    model = hosted.model
    model.gate.clear()
    model.entered.clear()
    with ThreadPoolExecutor(1 + len(queued)) as pool:
        held = pool.submit(_post, url, first)
        assert model.entered.wait(10)
        waiting = {value: pool.submit(_post, url, value) for value in queued}
        _wait_for(lambda: hosted.runner.pending() == len(queued), "requests to queue")
        model.gate.set()
        responses = {first: held.result(), **{v: f.result() for v, f in waiting.items()}}
    return responses


@pytest.fixture
def gated(make_app, serve):
    def start(batching=None, **config):
        # One call at a time: while the gate holds it, the others queue (none starts beside it).
        entry = dict(GATED, limits={"max_concurrency": 1})
        if batching is not None:
            entry["batching"] = batching
        app = make_app([entry], **config)
        return serve(app), get_registry(app).get("gated_model")

    return start


def test_concurrent_predictions_share_one_batch_and_each_gets_its_own_result(gated):
    url, hosted = gated()
    responses = _hold_then_release(url, hosted, 1, [2, 3, 4, 5, 6, 8, 9])
    for value, response in responses.items():
        assert response.status_code == 200
        assert response.json() == {"doubled": value * 2, "label": f"v{value}"}
    assert hosted.model.calls[0] == ("predict", [1])
    kind, values = hosted.model.calls[1]
    assert kind == "predict_batch" and sorted(values) == [2, 3, 4, 5, 6, 8, 9]
    assert len(hosted.model.calls) == 2


def test_a_failing_item_fails_only_its_own_request_inside_a_batch(gated):
    url, hosted = gated()
    responses = _hold_then_release(url, hosted, 1, [2, 13, 7, 4])
    assert {v: r.status_code for v, r in responses.items()} == {1: 200, 2: 200, 13: 500, 7: 500, 4: 200}
    assert responses[4].json()["doubled"] == 8
    assert responses[13].headers["Content-Type"] == "application/problem+json"
    assert "unlucky" not in responses[13].text
    assert "gated_model" in responses[7].json()["detail"]
    # The batch call raised, so each item was retried alone.
    kinds = [kind for kind, _ in hosted.model.calls]
    assert kinds == ["predict", "predict_batch", "predict", "predict", "predict", "predict"]


def test_invalid_input_is_answered_at_once_and_never_joins_a_batch(gated):
    url, hosted = gated()
    model = hosted.model
    model.gate.clear()
    model.entered.clear()
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(_post, url, 1)
        assert model.entered.wait(10)
        bad = _post(url, "three")  # answered while the model is still held
        assert bad.status_code == 422 and "value" in bad.json()["errors"]
        assert hosted.runner.pending() == 0
        model.gate.set()
        assert held.result().status_code == 200
    assert hosted.runner._companions.on_the_way == 0


def test_max_batch_size_is_a_per_model_setting(gated):
    url, hosted = gated(batching={"max_batch_size": 3})
    responses = _hold_then_release(url, hosted, 1, [2, 3, 4, 5, 6, 8, 9])
    assert all(r.status_code == 200 for r in responses.values())
    sizes = [len(values) for _, values in hosted.model.calls]
    assert sizes == [1, 3, 3, 1]


def test_batching_can_be_switched_off_per_model(gated):
    _, hosted = gated(batching={"enabled": False})
    assert not hosted.runner.batching


def test_only_models_that_vectorise_are_batched_unless_configured(make_app):
    manager = get_registry(make_app([ECHO, RAISING, {**RAISING, "name": "raising_batched",
                                                    "batching": {"enabled": True}}]))
    assert manager.get("echo_model").runner.batching
    assert not manager.get("raising_model").runner.batching
    assert manager.get("raising_batched").runner.batching


def test_micro_batching_can_be_switched_off_for_the_whole_service(make_app):
    manager = get_registry(make_app([ECHO], MICRO_BATCHING="off"))
    assert not manager.get("echo_model").runner.batching


@pytest.mark.parametrize("batching, message", [
    ({"max_batch_size": 0}, "max_batch_size"),
    ({"max_wait_ms": "soon"}, "max_wait_ms"),
    ({"enabled": "yes"}, "enabled"),
    ({"size": 3}, "unknown key 'size'"),
    ([1], "expected a mapping"),
])
def test_bad_batching_settings_are_a_configuration_error_naming_the_key(make_app, batching, message):
    with pytest.raises(ConfigurationError) as raised:
        make_app([{**ECHO, "batching": batching}])
    assert "models[0].batching" in str(raised.value) and message in str(raised.value)


def test_a_raising_model_batched_by_configuration_fails_only_the_bad_request(make_app, serve):
    app = make_app([{**RAISING, "batching": {"enabled": True}}])
    url = serve(app)
    with ThreadPoolExecutor(8) as pool:
        values = [1, 13, 2, 13, 3, 4, 5, 6] * 3
        responses = list(pool.map(lambda v: requests.post(
            f"{url}/api/models/raising_model/predict", json={"value": v}, timeout=30), values))
    for value, response in zip(values, responses):
        if value == 13:
            assert response.status_code == 500
        else:
            assert response.status_code == 200 and response.json()["doubled"] == value * 2


# The runner on its own


def _runner(run_items, **batching) -> ModelRunner:
    return ModelRunner("m", Limits(timeout_s=10, max_concurrency=1, max_queue=10_000), run_items,
                       BatchSettings(enabled=True, **batching))


def test_a_lone_request_runs_at_once_without_waiting_for_companions():
    calls = []

    def run_items(items):
        calls.append(list(items))
        return [item * 2 for item in items]

    runner = _runner(run_items, max_wait_ms=500)
    started = time.perf_counter()
    with runner.incoming():
        assert runner.predict(21) == (42, (1, pytest.approx(0, abs=0.5)))
    assert time.perf_counter() - started < 0.25
    assert calls == [[21]]
    assert runner._companions.on_the_way == 0 and runner.state()["running"] == 0


def test_a_broken_run_items_fails_its_waiters_and_the_runner_keeps_working():
    gate, entered = threading.Event(), threading.Event()
    state = {"broken": True}

    def run_items(items):
        entered.set()
        gate.wait(10)
        if state["broken"]:
            raise ValueError("bug")
        return [item + 1 for item in items]

    runner = _runner(run_items)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(runner.predict, 0)
        assert entered.wait(10)
        rest = [pool.submit(runner.predict, i) for i in (1, 2, 3)]
        _wait_for(lambda: runner.pending() == 3, "submissions to queue")
        gate.set()
        outcomes = [first.result()[0]] + [f.result()[0] for f in rest]
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    state["broken"] = False
    assert runner.predict(41)[0] == 42
    assert runner.state()["running"] == 0


def test_many_threads_each_get_their_own_answer():
    runner = _runner(lambda items: [item * 3 for item in items], max_batch_size=5)
    with ThreadPoolExecutor(16) as pool:
        results = [outcome for outcome, _ in pool.map(runner.predict, range(2000))]
    assert results == [i * 3 for i in range(2000)]
    assert runner.items == 2000 and runner.calls < 2000 and runner.pending() == 0


def test_submit_many_notifies_once_per_call_with_all_of_its_tickets():
    gate, entered = threading.Event(), threading.Event()

    def run_items(items):
        entered.set()
        gate.wait(10)
        return [item * 2 for item in items]

    runner = _runner(run_items)
    notified: list[list] = []
    done = threading.Event()

    def notify(tickets):
        notified.append([ticket.outcome for ticket in tickets])
        if sum(map(len, notified)) == 6:
            done.set()

    first = runner.submit_many([1], notify)
    assert entered.wait(10)  # the first call runs: the next five queue behind it
    rest = runner.submit_many([2, 3, 4, 5, 6], notify)
    gate.set()
    assert done.wait(10)
    assert notified == [[2], [4, 6, 8, 10, 12]]
    assert [ticket.call[0] for ticket in first + rest if ticket.call] == [1, 5]


def test_metrics_count_every_request_and_time_each_shared_call(gated):
    url, hosted = gated()
    _hold_then_release(url, hosted, 1, [2, 3, 4, 5, 6, 8, 9])
    text = requests.get(f"{url}/metrics", timeout=10).text
    assert 'model_service_predictions_total{model="gated_model",outcome="ok"} 8.0' in text
    # Two calls of the model: the first request alone, then the seven that queued behind it.
    assert 'model_service_batch_size_count{model="gated_model"} 2.0' in text
    assert 'model_service_batch_size_sum{model="gated_model"} 8.0' in text
    assert 'model_service_prediction_duration_seconds_count{model="gated_model"} 2.0' in text
