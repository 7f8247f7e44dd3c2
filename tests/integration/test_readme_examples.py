"""The README's curl examples answer as the README shows, against the production server."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image as PILImage

from servers import REPO_ROOT, GunicornServer, service_env

pytestmark = pytest.mark.slow

README_URL = "http://127.0.0.1:8000"
EXAMPLES_SITE = Path(os.environ.get("MODEL_SERVICE_EXAMPLES_SITE",
                                    REPO_ROOT / ".venv" / "examples"))


def readme_block(heading: str) -> str:
    """Return the first ``bash`` block of the README's section ``heading``."""
    text = (REPO_ROOT / "README.md").read_text()
    return text.split(f"\n{heading}\n", 1)[1].split("```bash", 1)[1].split("```", 1)[0]


def readme_examples(heading: str = "## Try it") -> list[tuple[str, str]]:
    """Return (command, expected output) pairs from the README's section ``heading``."""
    section = readme_block(heading)
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


def test_readme_has_curl_examples():
    commands = [command for command, _ in readme_examples()]
    assert len(commands) >= 5
    assert any("/predict_batch" in command for command in commands)


def assert_answers_as_shown(examples: list[tuple[str, str]], url: str, cwd=None) -> None:
    """Run each curl command against ``url`` and find its expected fragments, in order."""
    for command, expected in examples:
        output = subprocess.run(["bash", "-c", command.replace(README_URL, url)], cwd=cwd,
                                capture_output=True, text=True, check=True).stdout
        assert output, command
        position = 0
        for fragment in (part.strip() for part in expected.split("...")):
            fragment = fragment.replace(" ", "")
            if not fragment:
                continue
            found = output.replace(" ", "").find(fragment, position)
            assert found >= 0, f"{command}\nexpected fragment {fragment!r} in\n{output}"
            position = found + len(fragment)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_examples_answer_as_shown():
    with GunicornServer(workers=1) as server:
        assert_answers_as_shown(readme_examples(), server.url)


MEDIA = "## Images and files"


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
        assert_answers_as_shown(readme_examples(MEDIA), server.url, cwd=tmp_path)
    with PILImage.open(tmp_path / "emoji.png") as answer:
        assert answer.format == "PNG"
