"""Starting the API: a bad setting stops it with one line naming the variable, not a traceback."""

import os
import subprocess
import sys

from devtools.dev_node import free_port


def test_the_api_started_with_a_bad_setting_says_so_in_one_line_naming_the_variable():
    env = {**os.environ, "LEDGER_API_PUBLIC_BURST": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "LEDGER_API_PUBLIC_BURST='0'" in result.stderr
