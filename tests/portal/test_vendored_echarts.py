"""The portal serves ECharts from its own static files, copied by hardhat-local/vendor.js from the npm
package hardhat-local/package.json pins (`make check-vendored` checks the same in node)."""

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

VENDORED = REPO_ROOT / "portal" / "static" / "vendor" / "echarts.min.js"
PACKAGE = REPO_ROOT / "hardhat-local" / "node_modules" / "echarts"


def test_the_installed_echarts_is_the_version_package_json_pins():
    pinned = json.loads((REPO_ROOT / "hardhat-local" / "package.json").read_text())["dependencies"]["echarts"]
    assert json.loads((PACKAGE / "package.json").read_text())["version"] == pinned


def test_the_vendored_echarts_equals_the_pinned_package_s_file():
    assert VENDORED.read_bytes() == (PACKAGE / "dist" / "echarts.min.js").read_bytes(), (
        "portal/static/vendor/echarts.min.js is stale: run `cd hardhat-local && node vendor.js`"
    )
