"""The example models, installed as `make demo` installs them, served by gunicorn as `make demo`
serves them: every README line of the "Example models" section answers, and each model works
through the API, the form and V2 where its inputs are tensors."""
from __future__ import annotations

import base64
import io
import os
import subprocess
from pathlib import Path

import pytest
import requests
from PIL import Image as PILImage

from servers import REPO_ROOT, GunicornServer, service_env

pytestmark = pytest.mark.slow

README_URL = "http://127.0.0.1:8000"
SITE = Path(os.environ.get("MODEL_SERVICE_EXAMPLES_SITE", REPO_ROOT / ".venv" / "examples"))
EXAMPLE_NAMES = {path.name for path in (REPO_ROOT / "examples").iterdir()
                 if (path / "pyproject.toml").exists()}


def readme_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## Example models", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in section.split("```bash")[1:]:
        lines = block.split("```", 1)[0].strip().splitlines()
        command: list[str] = []
        for line in lines:
            command.append(line)
            if not line.rstrip().endswith("\\"):
                commands.append("\n".join(command))
                command = []
    return commands


@pytest.fixture(scope="module")
def demo():
    assert (SITE / ".installed").exists(), f"the examples are not installed in {SITE}: make examples"
    env = service_env(PYTHONPATH=f"{SITE}{os.pathsep}{service_env()['PYTHONPATH']}")
    with GunicornServer(workers=2, env=env, cwd=REPO_ROOT) as server:
        yield server


def test_make_demo_serves_every_example_with_iris(demo):
    models = {m["qualified_name"]: m["status"]
              for m in requests.get(f"{demo.url}/api/models").json()["models"]}
    assert models["iris_model"] == "ready"
    assert {"face_emoji", "digits", "sentiment", "lyrics"} <= set(models)
    assert all(status == "ready" for status in models.values()), models


def test_every_readme_line_answers(demo, tmp_path):
    commands = readme_commands()
    assert len(commands) >= len(EXAMPLE_NAMES)
    (tmp_path / "examples").symlink_to(REPO_ROOT / "examples")  # the README's paths, as from the repo
    for command in commands:
        result = subprocess.run(["bash", "-c", command.replace(README_URL, demo.url)],
                                cwd=tmp_path, capture_output=True, timeout=60)
        assert result.returncode == 0, f"{command}\n{result.stdout[:500]}\n{result.stderr[:500]}"
    with PILImage.open(tmp_path / "emoji.png") as image:
        assert image.format == "PNG" and image.size == (320, 320)


def test_face_emoji_finds_the_astronaut_and_answers_json_too(demo):
    photo = (SITE / "face_emoji" / "samples" / "astronaut.jpg").read_bytes()
    answer = requests.post(f"{demo.url}/api/models/face_emoji/predict",
                           json={"photo": base64.b64encode(photo).decode(), "emoji": "wink"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["faces"] == 1
    assert PILImage.open(io.BytesIO(base64.b64decode(body["image"]))).format == "PNG"


def test_face_emoji_refuses_a_text_file_with_415(demo):
    answer = requests.post(f"{demo.url}/api/models/face_emoji/predict", data=b"hello",
                           headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_digits_reads_the_shipped_seven(demo):
    seven = (SITE / "digits_model" / "samples" / "seven.png").read_bytes()
    answer = requests.post(f"{demo.url}/api/models/digits/predict",
                           files={"image": ("seven.png", seven, "image/png")})
    assert answer.status_code == 200 and answer.json()["digit"] == 7


def test_sentiment_scores_a_batch_and_refuses_a_number(demo):
    answer = requests.post(f"{demo.url}/api/models/sentiment/predict_batch", json=[
        {"text": "A gorgeous, witty, seductive movie.", "ref": "r1"},
        {"text": "Arrived broken. Do not buy.", "ref": "r2"}]).json()
    assert [(row["sentiment"], row["ref"]) for row in answer] == [("positive", "r1"),
                                                                   ("negative", "r2")]
    refused = requests.post(f"{demo.url}/api/models/sentiment/predict", json={"text": "1234"})
    assert refused.status_code == 422
    assert refused.json()["errors"]["text"] == ["A review cannot be a number."]


def test_lyrics_start_with_the_seed_and_repeat_with_the_same_random_seed(demo):
    ask = {"seed": "Shall I compare thee", "length": 150, "random_seed": 2}
    first = requests.post(f"{demo.url}/api/models/lyrics/predict", json=ask).json()
    second = requests.post(f"{demo.url}/api/models/lyrics/predict", json=ask).json()
    assert first["lyrics"].startswith("Shall I compare thee") and first == second


def test_v2_serves_the_tensor_expressible_examples(demo):
    row = {"name": "text", "datatype": "BYTES", "shape": [1], "data": ["What a lovely film."]}
    answer = requests.post(f"{demo.url}/v2/models/sentiment/infer", json={"inputs": [row]})
    assert answer.status_code == 200, answer.text
    outputs = {output["name"]: output["data"] for output in answer.json()["outputs"]}
    assert outputs["sentiment"] == ["positive"]


@pytest.mark.parametrize("name", ["face_emoji", "digits", "sentiment", "lyrics"])
def test_each_example_has_a_form_and_valid_examples_in_the_api_document(demo, name):
    page = requests.get(f"{demo.url}/models/{name}/predict")
    assert page.status_code == 200
    media = name in ("face_emoji", "digits")
    assert ('type="file"' in page.text) is media
    document = requests.get(f"{demo.url}/api/openapi.json").json()
    operation = document["paths"][f"/api/models/{name}/predict"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["examples"]
