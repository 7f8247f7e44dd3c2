"""The README's curl examples answer as the README shows, against the production server."""
import re
import shutil
import subprocess

import pytest

from servers import REPO_ROOT, GunicornServer

pytestmark = pytest.mark.slow

README_URL = "http://127.0.0.1:8000"


def readme_examples() -> list[tuple[str, str]]:
    """Return (command, expected output) pairs from the README's "Try it" section."""
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## Try it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
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


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_examples_answer_as_shown():
    with GunicornServer(workers=1) as server:
        for command, expected in readme_examples():
            output = subprocess.run(["bash", "-c", command.replace(README_URL, server.url)],
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
