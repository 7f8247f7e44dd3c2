"""``model-service predict`` with images and files: paths in, files out, through click's runner."""
import base64
import io
import json

import pytest
from click.testing import CliRunner
from PIL import Image as PILImage

from helpers import FILE, IMAGE, write_models_file
from model_service.cli import main


def picture(fmt: str = "JPEG", size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the command in a scratch working directory, with the image and file models."""
    models = write_models_file(tmp_path, [IMAGE, FILE])
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def invoke(*args: str, input: str | bytes | None = None):
        return CliRunner().invoke(main, list(args), input=input,
                                  env={"MODEL_SERVICE_CONFIG": str(models)})

    return invoke


def lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines()]


def opened(data: bytes) -> PILImage.Image:
    return PILImage.open(io.BytesIO(data))


def test_csv_paths_are_read_relative_to_the_csv_and_outputs_written_as_row_files(run, tmp_path):
    photos = tmp_path / "batch" / "photos"
    photos.mkdir(parents=True)
    (photos / "a.jpg").write_bytes(picture(size=(64, 48)))
    (photos / "b.png").write_bytes(picture("PNG", size=(30, 90)))
    table = tmp_path / "batch" / "photos.csv"
    table.write_text("photo,size\nphotos/a.jpg,16\nphotos/missing.jpg,16\nphotos/b.png,\n")
    out = tmp_path / "thumbnails"
    result = run("predict", "image_model", str(table), "--output-dir", str(out), "-n")
    assert result.exit_code == 1  # the missing file
    assert lines(result.stdout) == [
        {"row": 1, "result": {"image": "row-1.image.png", "width": 64, "height": 48, "mode": "RGB"}},
        {"row": 3, "result": {"image": "row-3.image.png", "width": 30, "height": 90, "mode": "RGB"}},
    ]
    assert sorted(path.name for path in out.iterdir()) == ["row-1.image.png", "row-3.image.png"]
    first, third = (opened((out / name).read_bytes()) for name in ("row-1.image.png",
                                                                   "row-3.image.png"))
    assert first.format == "PNG" and max(first.size) == 16
    assert max(third.size) == 32  # the field's default
    assert ("row 2: photo: Cannot read 'photos/missing.jpg': no such file (paths are relative "
            "to the input file's folder") in result.stderr


def test_jsonl_takes_paths_and_data_uris_and_answers_base64_without_an_output_dir(run, tmp_path):
    (tmp_path / "face.jpg").write_bytes(picture())
    uri = "data:image/png;base64," + base64.b64encode(picture("PNG", (10, 20))).decode()
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"photo": "face.jpg", "size": 8}) + "\n"
                    + json.dumps({"photo": uri}) + "\n")
    result = run("predict", "image_model", str(rows))
    assert result.exit_code == 0, result.output
    answers = lines(result.stdout)
    assert [(a["width"], a["height"]) for a in answers] == [(64, 48), (10, 20)]
    assert max(opened(base64.b64decode(answers[0]["image"])).size) == 8


def test_input_pairs_make_one_prediction_with_paths_from_the_current_directory(run, tmp_path):
    (tmp_path / "work" / "face.jpg").write_bytes(picture())
    result = run("predict", "image_model", "--input", "photo=face.jpg", "-i", "size=4",
                 "--output-dir", "out")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        {"image": "row-1.image.png", "width": 64, "height": 48, "mode": "RGB"}]
    assert max(opened((tmp_path / "work" / "out" / "row-1.image.png").read_bytes()).size) == 4


def test_input_text_values_are_typed_by_the_schema(run, tmp_path):
    (tmp_path / "work" / "face.jpg").write_bytes(picture())
    result = run("predict", "image_model", "-i", "photo=face.jpg", "-i", "size=big")
    assert result.exit_code == 1
    assert "row 1: size: Not a valid value: expected an integer, got a string." in result.stderr


def test_a_file_that_is_not_an_allowed_image_is_an_error_of_its_row(run, tmp_path):
    (tmp_path / "work" / "notes.txt").write_text("not a picture")
    result = run("predict", "image_model", "-i", "photo=notes.txt")
    assert result.exit_code == 1 and result.stdout == ""
    assert "row 1: photo: Not a PNG or JPEG image." in result.stderr


def test_a_file_over_max_bytes_is_refused_before_it_is_read(run, tmp_path):
    (tmp_path / "work" / "long.txt").write_text("word " * 4_000)
    result = run("predict", "file_model", "-i", "document=long.txt", "-i", "title=Long")
    assert result.exit_code == 1
    assert "row 1: document: File is 20000 bytes; at most 10000 allowed." in result.stderr


def test_a_folder_is_not_a_file(run, tmp_path):
    result = run("predict", "file_model", "-i", "document=.", "-i", "title=T")
    assert "row 1: document: Cannot read '.': not a file" in result.stderr


def test_file_outputs_are_written_with_their_media_types_extension(run, tmp_path):
    (tmp_path / "work" / "notes.txt").write_text("three little words")
    result = run("predict", "file_model", "-i", "document=notes.txt", "-i", "title=Notes",
                 "-o", "out")
    assert lines(result.stdout) == [{"title": "Notes", "words": 3, "shouted": "row-1.shouted.txt"}]
    assert (tmp_path / "work" / "out" / "row-1.shouted.txt").read_text() == "THREE LITTLE WORDS"


def test_stdin_paths_are_relative_to_the_current_directory(run, tmp_path):
    (tmp_path / "work" / "face.jpg").write_bytes(picture())
    result = run("predict", "image_model", "-", input='{"photo": "face.jpg"}\n')
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[0]["width"] == 64


def test_every_row_writes_its_own_file_named_by_its_row_number(run, tmp_path):
    (tmp_path / "face.jpg").write_bytes(picture(size=(20, 10)))
    rows = tmp_path / "rows.csv"
    rows.write_text("photo\n" + "face.jpg\n" * 20)
    result = run("predict", "image_model", str(rows), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert [row["image"] for row in lines(result.stdout)] == [
        f"row-{n}.image.png" for n in range(1, 21)]


@pytest.mark.parametrize("args, message", [
    (["rows.csv", "--input", "photo=a.jpg"], "not both"),
    ([], "Give FILE, or --input"),
    (["--input", "photo"], "'photo' is not FIELD=VALUE"),
])
def test_input_and_file_are_used_one_at_a_time(run, tmp_path, args, message):
    (tmp_path / "work" / "rows.csv").write_text("photo\n")
    result = run("predict", "image_model", *args)
    assert result.exit_code == 2 and message in result.stderr
