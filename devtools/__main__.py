from devtools.cli import app

app(prog_name="python -m devtools")
