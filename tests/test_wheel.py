"""The wheel works on its own: built from the tree, installed into a fresh venv (the pinned versions of
requirements.lock), and run from a directory outside the repository — `ledger --help`, `ledger db upgrade`
on SQLite, and one page of each audience rendered through `web.app:create_app`. An editable install
hides a missing template or data file, a path into the source tree, or an import of devtools; this does not.

The wheel's dependencies (its Requires-Dist at the versions of requirements.lock, and httpx) are installed
once into a venv kept under ~/.cache/fee-ledger-tests/ by a hash of that list and of the lock, and built
anew when either changes. Each run makes a fresh venv that sees that one through a .pth file, installs
the wheel into it and `pip check`s that every requirement the wheel declares is met there."""

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("ledger", "api", "portal", "web")  # the packages the wheel ships
LEFT_OUT = ("devtools", "tests")  # copied beside them, so leaving them out is the packaging's doing
PASSWORD = "wheel test password"
ENTERPRISE_USCC = "91410100MA0000801B"  # tests.support.samples.make_uscc(801), valid check digit
USERS = {
    "wheel-enterprise": ("enterprise", ENTERPRISE_USCC),
    "wheel-office": ("office", None),
    "wheel-regulator": ("regulator", None),
}


def run(args: list, *, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the tree (a build writes egg-info and build/ beside its sources)."""
    source = tmp_path_factory.mktemp("source")
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for package in PRODUCT + LEFT_OUT:
        if (ROOT / package).is_dir():
            shutil.copytree(ROOT / package, source / package, ignore=junk)
    shutil.copy(ROOT / "pyproject.toml", source)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", out, source], cwd=source, env=dict(os.environ))
    (built,) = out.glob("*.whl")
    return built


def declared_requirements(wheel: Path) -> list[str]:
    """The wheel's own Requires-Dist (those of its extras left out), as its METADATA states them."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode().splitlines()
    requirements = [Requirement(line.split(":", 1)[1].strip()) for line in lines if line.startswith("Requires-Dist:")]
    return sorted(str(r) for r in requirements if r.marker is None or "extra" not in str(r.marker))


def dependencies_venv(requirements: list[str]) -> Path:
    """A venv holding `requirements` (and httpx, for TestClient) at the versions of requirements.lock, kept
    between runs under a hash of both; made anew (in a folder of its own, then renamed) when missing."""
    lock = (ROOT / "requirements.lock").read_bytes()
    wanted = [*requirements, "httpx"]
    key = hashlib.sha256("\n".join([sys.version, *wanted]).encode() + lock).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fee-ledger-tests"
    venv = cache / f"wheel-dependencies-{key}"
    if (venv / "complete").exists():
        return venv
    cache.mkdir(parents=True, exist_ok=True)
    building = cache / f"building-{key}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run([sys.executable, "-m", "venv", "--without-pip", building], cwd=cache, env=env)
    pip = [sys.executable, "-m", "pip", "--python", building / "bin" / "python"]
    run([*pip, "install", "-q", "-c", ROOT / "requirements.lock", *wanted], cwd=cache, env=env, timeout=900)
    (building / "complete").write_text("\n".join(wanted) + "\n")
    try:
        building.rename(venv)
    except OSError:  # another run finished the same one first
        shutil.rmtree(building, ignore_errors=True)
    return venv


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with the wheel (its dependencies and httpx for TestClient from dependencies_venv), and
    an environment that sees nothing of the repository: no PYTHONPATH, no LEDGER_* of the shell, a working
    directory outside the tree."""
    dependencies = dependencies_venv(declared_requirements(wheel))
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv, env=dict(os.environ))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("LEDGER_")}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", "VIRTUAL_ENV": str(venv)}
    (site_packages,) = venv.glob("lib/python*/site-packages")
    (dependencies_site,) = dependencies.glob("lib/python*/site-packages")
    (site_packages / "wheel-test-dependencies.pth").write_text(f"{dependencies_site}\n")
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python"]
    run([*pip, "install", "-q", "--no-deps", wheel], cwd=venv, env=env)
    run([*pip, "check"], cwd=venv, env=env)  # every requirement the wheel declares, met at its version
    workdir = tmp_path_factory.mktemp("deployment")
    env |= {"LEDGER_DATABASE_URL": f"sqlite:///{workdir / 'ledger.db'}", "LEDGER_NEW_USER_PASSWORD": PASSWORD}
    return {"bin": venv / "bin", "cwd": workdir, "env": env}


@pytest.fixture(scope="module")
def upgraded(installed) -> subprocess.CompletedProcess:
    return run([installed["bin"] / "ledger", "db", "upgrade"], cwd=installed["cwd"], env=installed["env"])


def test_the_wheel_holds_every_file_of_the_product_and_nothing_of_the_dev_tools(wheel):
    shipped = set(zipfile.ZipFile(wheel).namelist())
    in_tree = {
        path.relative_to(ROOT).as_posix()
        for package in PRODUCT
        if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert in_tree - shipped == set()
    assert {name for name in shipped if name.split("/")[0] in LEFT_OUT} == set()


def test_the_installed_ledger_command_answers_help(installed):
    out = run([installed["bin"] / "ledger", "--help"], cwd=installed["cwd"], env=installed["env"]).stdout
    assert "Usage: ledger" in out and "users" in out


def test_ledger_db_upgrade_builds_the_schema_on_sqlite(installed, upgraded):
    import sqlite3

    with sqlite3.connect(installed["cwd"] / "ledger.db") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alembic_version", "chain_state", "users"} <= tables


RENDER_PAGES = textwrap.dedent("""
    import re
    import sys

    from fastapi.testclient import TestClient

    from web.app import create_app

    PAGES = [  # (who logs in, the page, its heading)
        (None, "/", "人防易地建设费公众服务"),
        ("wheel-enterprise", "/workspace", "企业工作台"),
        ("wheel-office", "/office", "人防办工作台"),
        ("wheel-regulator", "/regulator", "监管驾驶舱"),
    ]
    client = TestClient(create_app(), follow_redirects=False)
    for username, path, heading in PAGES:
        if username:
            client.cookies.clear()
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get("/login").text).group(1)
            login = client.post("/login", data={"username": username, "password": sys.argv[1], "csrf_token": csrf})
            assert login.status_code == 303 and login.headers["location"] == path, (username, login.status_code)
        page = client.get(path)
        assert page.status_code == 200 and f"<h1>{heading}</h1>" in page.text, (path, page.status_code, page.text[:500])
        # what the page loads from this site (style sheet, ECharts) comes with the wheel too
        for asset in re.findall(r'(?:src|href)="(/[^"/][^"]*\\.(?:js|css))"', page.text):
            assert client.get(asset).status_code == 200, (path, asset)
        print(path, "ok")
""")


def test_one_page_of_each_audience_renders_from_the_installed_wheel(installed, upgraded):
    for username, (role, uscc) in USERS.items():
        run(
            [
                installed["bin"] / "ledger",
                "users",
                "add",
                "--username",
                username,
                "--role",
                role,
                *(["--uscc", uscc] if uscc else []),
            ],
            cwd=installed["cwd"],
            env=installed["env"],
        )
    script = installed["cwd"] / "render_pages.py"
    script.write_text(RENDER_PAGES)
    out = run([installed["bin"] / "python", script, PASSWORD], cwd=installed["cwd"], env=installed["env"]).stdout
    assert out.split() == ["/", "ok", "/workspace", "ok", "/office", "ok", "/regulator", "ok"]
    # a default path computed from the package's location would have put var/ into site-packages
    assert list(installed["bin"].parent.glob("lib/python*/site-packages/var")) == []
