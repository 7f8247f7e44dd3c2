"""The README's curl and Python examples answer as the README shows, against the production server."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image as PILImage

from servers import REPO_ROOT, GunicornServer, service_env

pytestmark = pytest.mark.slow

README_URL = "http://127.0.0.1:8000"
README_ADDRESS = "127.0.0.1:8000"
V2_SECTION = "## Open Inference Protocol (V2)"
MEDIA = "## Images and files"
EXAMPLES_SITE = Path(os.environ.get("MODEL_SERVICE_EXAMPLES_SITE",
                                    REPO_ROOT / ".venv" / "examples"))


def readme_block(heading: str, language: str) -> str:
    """The first ``language`` code block of the README's section ``heading``."""
    text = (REPO_ROOT / "README.md").read_text()
    return text.split(heading + "\n", 1)[1].split(f"```{language}\n", 1)[1].split("```", 1)[0]


def readme_examples(heading: str = "## Try it") -> list[tuple[str, str]]:
    """Return (command, expected output) pairs from a README section's first bash block."""
    section = readme_block(heading, "bash")
    examples, command, expected = [], None, []
    lines = section.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("curl"):
            if command:
                examples.append((command, " ".join(expected)))
            parts = [line]
            while parts[-1].rstrip().endswith("\\") or (index + 1 < len(lines) and lines[index + 1].startswith("     ")):
                index += 1
                parts.append(lines[index])
            command, expected = "\n".join(parts), []
            inline = re.search(r"\s{2,}#\s*([\[{].*)$", command)
            if inline:
                expected.append(inline.group(1))
                command = command[: inline.start()]
        elif line.startswith("#") and command:
            expected.append(line.lstrip("#").strip())
        index += 1
    if command:
        examples.append((command, " ".join(expected)))
    return examples


def python_example() -> tuple[str, str]:
    """The V2 section's Python example and the output its ``print`` comments promise."""
    code = readme_block(V2_SECTION, "python")
    expected = [re.search(r"\)\s+#\s*(.*)$", line).group(1) for line in code.splitlines()
                if line.startswith("print(")]
    return code, " ".join(expected)


def test_readme_has_curl_examples():
    commands = [command for command, _ in readme_examples()]
    assert len(commands) >= 5
    assert any("/predict_batch" in command for command in commands)
    v2 = [command for command, _ in readme_examples(V2_SECTION)]
    assert any("/v2/models/iris_model/infer" in command for command in v2)


def test_readme_python_example_uses_tritonclient_and_promises_output():
    code, expected = python_example()
    assert "import tritonclient.http" in code and README_ADDRESS in code
    assert "setosa" in expected


def assert_shows(output: str, expected: str, what: str) -> None:
    """Each ``...``-separated fragment of ``expected`` appears in ``output``, in order."""
    assert output, what
    position, shown = 0, "".join(output.split())
    for fragment in ("".join(part.split()) for part in expected.split("...")):
        if not fragment:
            continue
        found = shown.find(fragment, position)
        assert found >= 0, f"{what}\nexpected fragment {fragment!r} in\n{output}"
        position = found + len(fragment)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_examples_answer_as_shown():
    with GunicornServer(workers=1) as server:
        for heading in ("## Try it", V2_SECTION):
            for command, expected in readme_examples(heading):
                output = subprocess.run(["bash", "-c", command.replace(README_URL, server.url)],
                                        capture_output=True, text=True, check=True).stdout
                assert_shows(output, expected, command)
        code, expected = python_example()
        code = code.replace(README_ADDRESS, server.url.removeprefix("http://"))
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout
        assert_shows(output, expected, code)


def test_readme_media_section_has_a_multipart_and_a_raw_body_example():
    commands = [command for command, _ in readme_examples(MEDIA)]
    assert any(" -F photo=@" in command for command in commands)
    assert any("--data-binary @" in command and "Content-Type: image/jpeg" in command
               for command in commands)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_media_examples_answer_as_shown(tmp_path):
    """Against the example models as `make demo` serves them, from the repository's paths."""
    assert (EXAMPLES_SITE / ".installed").exists(), \
        f"the examples are not installed in {EXAMPLES_SITE}: make examples"
    env = service_env(PYTHONPATH=f"{EXAMPLES_SITE}{os.pathsep}{service_env()['PYTHONPATH']}")
    (tmp_path / "examples").symlink_to(REPO_ROOT / "examples")
    with GunicornServer(workers=1, env=env, cwd=REPO_ROOT) as server:
        for command, expected in readme_examples(MEDIA):
            output = subprocess.run(["bash", "-c", command.replace(README_URL, server.url)],
                                    cwd=tmp_path, capture_output=True, text=True,
                                    check=True).stdout
            assert_shows(output, expected, command)
    with PILImage.open(tmp_path / "emoji.png") as answer:
        assert answer.format == "PNG"
