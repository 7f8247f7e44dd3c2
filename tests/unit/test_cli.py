"""The ``model-service`` verbs, driven through click's runner (argument handling and output)."""
import json

import pytest
import yaml
from click.testing import CliRunner

from helpers import ECHO, IRIS, LOAD_FAILING, RAISING, write_models_file
from model_service.cli import main


@pytest.fixture
def run(tmp_path):
    """Invoke the command with a models file hosting iris, echo, raising and a broken model."""
    models = write_models_file(tmp_path, [IRIS, ECHO, RAISING, LOAD_FAILING])

    def invoke(*args: str, input: str | bytes | None = None):
        return CliRunner().invoke(main, list(args), input=input,
                                  env={"MODEL_SERVICE_CONFIG": str(models)})

    return invoke


def lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines()]


def test_list_shows_a_table_of_models_with_version_status_and_source(run):
    result = run("list")
    assert result.exit_code == 0, result.output
    table = result.stdout.splitlines()
    assert table[0].split() == ["NAME", "VERSION", "STATUS", "SOURCE"]
    assert table[1].split() == ["iris_model", "1.0.0", "ready", "config"]
    assert any(row.split()[:1] == ["load_failing_model"] and "failed" in row for row in table)
    assert "load_failing_model:" in result.stderr  # the reason it failed


def test_list_as_json(run):
    result = run("list", "--json")
    models = {m["name"]: m for m in json.loads(result.stdout)["models"]}
    assert models["echo_model"]["status"] == "ready"
    assert models["echo_model"]["class_path"] == "fixture_models.echo_model.EchoModel"
    assert models["load_failing_model"]["error"]


def test_predict_csv_writes_one_json_line_per_row_and_reports_bad_rows(run, tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("sepal_length,sepal_width,petal_length,petal_width\n"
                    "5.1,3.5,1.4,0.2\n"
                    "abc,3.5,1.4,0.2\n"
                    "6.7,3.0,5.2,\n"
                    "6.7,3.0,5.2,2.3\n"
                    "6.7,3.0,5.2,25\n")
    result = run("predict", "iris_model", str(path))
    assert result.exit_code == 1
    assert [row["species"] for row in lines(result.stdout)] == ["setosa", "virginica"]
    assert "row 2: sepal_length: Not a valid value: expected a number, got a string." in result.stderr
    assert "row 3: petal_width: Missing data for required field." in result.stderr
    assert "row 5: petal_width: Must be less than or equal to 20." in result.stderr
    assert "2 of 5 rows predicted; 3 invalid" in result.stderr


def test_predict_csv_converts_cells_to_the_schema_types(run, tmp_path):
    path = tmp_path / "echo.csv"
    path.write_text("value,label\n3,a\n4,\n2.5,b\n")
    result = run("predict", "echo_model", str(path), "--row-numbers")
    assert lines(result.stdout) == [
        {"row": 1, "result": {"doubled": 6, "label": "a"}},
        {"row": 2, "result": {"doubled": 8, "label": "none"}},
    ]
    assert "row 3: value: Not a valid value: expected an integer, got a number." in result.stderr


def test_predict_jsonl_keeps_going_past_bad_lines(run, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"value": 1}\nnot json\n\n{"value": 500}\n{"value": 2, "extra": 1}\n'
                    '{"value": 3}\n')
    result = run("predict", "echo_model", str(path))
    assert result.exit_code == 1
    assert [row["doubled"] for row in lines(result.stdout)] == [2, 6]
    assert "row 2: (row): Not valid JSON" in result.stderr
    assert "row 3: value: Must be less than or equal to 100." in result.stderr
    assert "row 4: extra: Unknown field." in result.stderr


def test_predict_json_array_in_batches(run, tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"value": n} for n in range(10)]))
    result = run("predict", "echo_model", str(path), "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert [row["doubled"] for row in lines(result.stdout)] == [2 * n for n in range(10)]
    assert result.stderr == ""


def test_predict_reads_stdin_and_guesses_its_format(run):
    result = run("predict", "echo_model", "-", input='{"value": 4}\n{"value": 5}\n')
    assert [row["doubled"] for row in lines(result.stdout)] == [8, 10]
    result = run("predict", "echo_model", "-", input="value\n7\n")
    assert lines(result.stdout) == [{"doubled": 14, "label": "none"}]
    result = run("predict", "echo_model", "-", "--format", "json", input='[{"value": 1}]')
    assert lines(result.stdout) == [{"doubled": 2, "label": "none"}]


def test_predict_fail_fast_stops_at_the_first_invalid_row(run, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"value": 1}\n{"value": -1}\n{"value": 3}\n')
    result = run("predict", "echo_model", str(path), "--fail-fast", "--batch-size", "1")
    assert result.exit_code == 1
    assert [row["doubled"] for row in lines(result.stdout)] == [2]
    assert "row 2: value:" in result.stderr and "--fail-fast" in result.stderr


def test_predict_reports_each_row_the_model_fails_on_and_goes_on(run, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"value": 1}\n{"value": 13}\n{"value": 3}\n{"value": 13}\n{"value": 5}\n')
    result = run("predict", "raising_model", str(path), "--batch-size", "2", "-n")
    assert result.exit_code == 1
    assert [(row["row"], row["result"]["doubled"]) for row in lines(result.stdout)] == [
        (1, 2), (3, 6), (5, 10)]
    assert "row 2: Model 'raising_model' failed" in result.stderr
    assert "row 4: Model 'raising_model' failed" in result.stderr
    assert "3 of 5 rows predicted; 0 invalid, 2 failed in the model" in result.stderr
    assert "secret internal detail" not in result.stdout


def test_predict_fail_fast_stops_at_the_first_row_the_model_fails_on(run, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"value": 1}\n{"value": 13}\n{"value": 3}\n')
    result = run("predict", "raising_model", str(path), "--batch-size", "3", "--fail-fast")
    assert result.exit_code == 1
    assert [row["doubled"] for row in lines(result.stdout)] == [2]
    assert "Stopped at failed row 2 (--fail-fast)" in result.stderr


def test_predict_names_the_models_when_the_name_is_unknown(run, tmp_path):
    path = tmp_path / "rows.json"
    path.write_text("[]")
    result = run("predict", "nope", str(path))
    assert result.exit_code == 1
    assert "No model named 'nope'" in result.stderr and "echo_model" in result.stderr


def test_predict_refuses_a_json_file_that_is_not_an_array(run, tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('{"value": 1}')
    result = run("predict", "echo_model", str(path))
    assert result.exit_code == 1 and "JSON array" in result.stderr


def test_predict_on_a_missing_file_is_a_usage_error(run, tmp_path):
    result = run("predict", "echo_model", str(tmp_path / "missing.csv"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_predict_can_show_a_progress_bar_without_touching_stdout(run, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"value": 1}\n' * 50)
    result = run("predict", "echo_model", str(path), "--progress", "--batch-size", "7")
    assert len(lines(result.stdout)) == 50
    assert "Predicting with echo_model" in result.stderr
    assert "50 of 50 rows predicted." in result.stderr


def test_openapi_writes_the_document(run, tmp_path):
    target = tmp_path / "openapi.yaml"
    result = run("openapi", "-o", str(target))
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(target.read_text())
    assert document["openapi"].startswith("3.1")
    assert json.loads(run("openapi", "--format", "json").stdout)["openapi"] == document["openapi"]


def test_the_command_and_make_openapi_write_the_same_bytes(tmp_path, monkeypatch):
    import openapi as repository_script  # the script `make openapi` runs

    models = tmp_path / "models.yaml"
    models.write_text(repository_script.MODELS_FILE.read_text(encoding="utf-8")
                      .replace("discover_entry_points: true", "discover_entry_points: false"))
    monkeypatch.setenv("MODEL_SERVICE_CONFIG", str(models))
    target = tmp_path / "from-command.yaml"
    assert CliRunner().invoke(main, ["openapi", "-o", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == repository_script.render()


def test_serve_rejects_a_bad_port(run):
    result = run("serve", "--port", "99999")
    assert result.exit_code == 2 and "99999" in result.stderr


def test_the_models_file_can_be_given_on_the_command_line(tmp_path):
    models = write_models_file(tmp_path, [ECHO])
    unset = {"MODEL_SERVICE_CONFIG": None}  # and put back as it was after each run
    result = CliRunner().invoke(main, ["--config", str(models), "list", "--json"], env=unset)
    assert [m["name"] for m in json.loads(result.stdout)["models"]] == ["echo_model"]
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "missing.yaml"), "list"],
                                env=unset)
    assert result.exit_code == 2 and "does not exist" in result.stderr
