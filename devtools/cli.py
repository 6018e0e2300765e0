"""Developer tools, outside the product: `python -m devtools run|sim|bench …`.

The `ledger` package never imports this one (import-linter keeps it so); `make run` and
`make bench` call it from a checkout.
"""

import json
from typing import Annotated

import typer

from devtools.sim.cli import sim
from ledger.core.errors import LedgerError

app = typer.Typer(no_args_is_help=True, help="Development tools: the local system, simulators, benchmarks.")
bench = typer.Typer(no_args_is_help=True, help="Benchmarks; each prints one JSON object.")
app.add_typer(bench, name="bench")
app.command("sim")(sim)


def _fail(exc: LedgerError) -> None:
    typer.secho(f"error: {exc}", fg="red", err=True)
    raise typer.Exit(1)


@app.command("crash")
def crash(
    iterations: Annotated[
        int, typer.Option(help="Iterations, each a burst of the mixed workload and one SIGKILL.")
    ] = 20,
    seed: Annotated[int | None, typer.Option(help="The seed to replay; a random one (printed) if not given.")] = None,
    work_dir: Annotated[str | None, typer.Option(help="Where the logs go; a temporary directory if not given.")] = None,
) -> None:
    """Crash harness: the whole system under a mixed workload while SIGKILL hits an API process, the worker,
    the indexer or the node; prints JSON counts and exits 1 on any violation (devtools/crash.py)."""
    from pathlib import Path

    from devtools.crash import main_run

    result = main_run(iterations, seed, Path(work_dir) if work_dir else None)
    typer.echo(json.dumps(result, ensure_ascii=False))
    if result["violations"]:
        raise typer.Exit(1)


@bench.command("soak")
def bench_soak(
    minutes: Annotated[float, typer.Option(help="How long the workload runs.")] = 30.0,
    rate: Annotated[float, typer.Option(help="Operations of the mixed workload started per second (open-loop).")] = 4.0,
    fault_every: Annotated[
        float, typer.Option(help="Seconds between faults: PostgreSQL, Redis, node, API, worker, indexer in turn.")
    ] = 60.0,
    seed: Annotated[int | None, typer.Option(help="The seed to replay; a random one (printed) if not given.")] = None,
    work_dir: Annotated[str | None, typer.Option(help="Where the logs go; a temporary directory if not given.")] = None,
) -> None:
    """Soak: the crash harness's mixed workload at a fixed rate with periodic faults on servers of its own;
    prints JSON (requests by answer, p50/p99, faults, commands, lost, duplicated) and exits 1 when anything
    acknowledged is lost, anything is on chain twice or any other check fails (devtools/bench/soak.py)."""
    from pathlib import Path

    from devtools.bench.soak import main_soak

    try:
        result = main_soak(minutes, rate, fault_every, seed, Path(work_dir) if work_dir else None)
    except LedgerError as exc:
        _fail(exc)
    typer.echo(json.dumps(result, ensure_ascii=False))
    if result["lost"] or result["duplicated"] or result["violations"]:
        raise typer.Exit(1)


@bench.command("gas")
def bench_gas() -> None:
    """Gas per write on a fresh local node (started and stopped here)."""
    from devtools.bench.gas import measure_gas

    typer.echo(json.dumps(measure_gas()))


@bench.command("index")
def bench_index(
    events: Annotated[int, typer.Option(help="How many events to emit and backfill.")] = 100_000,
    postgres: Annotated[
        str | None, typer.Option(help="Also backfill into a throwaway database on this server.")
    ] = None,
    repeats: Annotated[
        int, typer.Option(help="Interleaved runs of the SQLite indexer and the raw fetch; medians are reported.")
    ] = 3,
    node: Annotated[
        str, typer.Option(help="The development node: hardhat, or anvil (its logs carry blockTimestamp).")
    ] = "hardhat",
) -> None:
    """Backfill speed: indexer into SQLite (and PostgreSQL) vs the idiomatic web3+ORM path and raw fetches."""
    from devtools.bench.index import bench_index as run

    typer.echo(json.dumps(run(events, postgres, repeats, node_kind=node)))


@bench.command("audit")
def bench_audit_command(
    events: Annotated[int, typer.Option(help="How many events to emit, re-index and audit.")] = 20_000,
    repeats: Annotated[int, typer.Option(help="Interleaved runs of each; medians are reported.")] = 3,
) -> None:
    """`ledger audit verify` (independent rebuild + diff) vs the indexer's re-index of the same chain."""
    from devtools.bench.audit import bench_audit

    typer.echo(json.dumps(bench_audit(events, repeats)))


@bench.command("api")
def bench_api_command(
    requests: Annotated[int, typer.Option(help="Confirmations per timed run, ours and the bare baseline each.")] = 2000,
    connections: Annotated[int, typer.Option(help="Load processes, one keep-alive connection each.")] = 8,
    repeats: Annotated[int, typer.Option(help="Interleaved runs of each; medians are reported.")] = 3,
    payments: Annotated[int, typer.Option(help="End to end: confirmations to push through to `indexed`.")] = 20000,
    rate: Annotated[float, typer.Option(help="End to end: offered confirmations per second.")] = 1200.0,
    batch: Annotated[int, typer.Option(help="End to end: confirmations per /v1/tax/payments/batch request.")] = 500,
    end_to_end: Annotated[bool, typer.Option(help="Also run the end-to-end part.")] = True,
) -> None:
    """Confirmations accepted by one API process vs a bare FastAPI insert; API → chain → indexed."""
    from devtools.bench.api import bench_api

    typer.echo(
        json.dumps(
            bench_api(
                requests=requests,
                connections=connections,
                repeats=repeats,
                payments=payments,
                rate=rate,
                batch=batch,
                end_to_end=end_to_end,
            )
        )
    )


@bench.command("public")
def bench_public_command(
    projects: Annotated[
        int, typer.Option(help="Projects seeded in the read model; requests spread over them at random.")
    ] = 1000,
    requests: Annotated[int, typer.Option(help="Requests per timed run, ours and the bare baseline each.")] = 6000,
    connections: Annotated[int, typer.Option(help="Load processes, one keep-alive connection each.")] = 4,
    repeats: Annotated[int, typer.Option(help="Interleaved runs of each; medians are reported.")] = 3,
    latency_rate: Annotated[float, typer.Option(help="Offered requests per second of the latency run.")] = 200.0,
    database: Annotated[
        str, typer.Option(help="A PostgreSQL server URL (a scratch database is made) or sqlite.")
    ] = "postgresql://127.0.0.1/test",
) -> None:
    """The public inquiry API of one process vs a bare FastAPI JSON endpoint; p99 at a fixed rate."""
    from devtools.bench.public import bench_public

    typer.echo(
        json.dumps(
            bench_public(
                projects_count=projects,
                requests=requests,
                connections=connections,
                repeats=repeats,
                latency_rate=latency_rate,
                database="sqlite" if database == "sqlite" else database,
            )
        )
    )


@bench.command("all")
def bench_all(
    index_events: Annotated[int, typer.Option(help="Events of the indexer benchmark (with PostgreSQL).")] = 100_000,
    index_large_events: Annotated[
        int, typer.Option(help="Events of the large indexer run (one repeat); 0 leaves it out.")
    ] = 1_000_000,
    audit_events: Annotated[int, typer.Option(help="Events the audit benchmark verifies (one repeat).")] = 1_000_000,
    api_payments: Annotated[int, typer.Option(help="Confirmations of the API's end-to-end part.")] = 20_000,
    write_path_confirmations: Annotated[int, typer.Option(help="Confirmations of the write-path run.")] = 15_000,
    write_path_rate: Annotated[float, typer.Option(help="Offered confirmations per second, write path.")] = 1_200.0,
    postgres: Annotated[str, typer.Option(help="The PostgreSQL server the benchmarks make scratch databases on.")] = (
        "postgresql://127.0.0.1/test"
    ),
    only: Annotated[
        list[str] | None, typer.Option(help="Run only this benchmark (repeatable): gas, index, index-large, …")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds one benchmark may take before it is ended as failed.")] = (
        1800.0
    ),
    results: Annotated[str | None, typer.Option(help="Where latest.json, report.md and the charts go.")] = None,
    docs: Annotated[
        str | None, typer.Option(help="Also regenerate the figures table in this file (docs/figures.md).")
    ] = None,
) -> None:
    """Every benchmark of `make bench` in turn: latest.json, report.md and a chart per family in
    bench/results/ (devtools/bench/suite.py, report.py); prints a JSON summary, exits 1 if any failed."""
    from devtools.bench.suite import Sizes, default_suite, run_suite

    sizes = Sizes(
        index_events=index_events,
        index_large_events=index_large_events,
        audit_events=audit_events,
        postgres=postgres,
        api_payments=api_payments,
        write_path_confirmations=write_path_confirmations,
        write_path_rate=write_path_rate,
    )
    try:
        suite = default_suite(sizes, only=only or ())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    folder = _results_folder(results)
    run_suite(suite, folder, timeout=timeout)
    _publish(folder, docs)


@bench.command("report")
def bench_report(
    results: Annotated[str | None, typer.Option(help="The folder holding latest.json; the report goes there.")] = None,
    docs: Annotated[
        str | None, typer.Option(help="Also regenerate the figures table in this file (docs/figures.md).")
    ] = None,
) -> None:
    """report.md and the charts (and with --docs the docs' figures table) from an existing latest.json;
    prints a JSON summary, exits 1 if the run had a failed benchmark or did not finish."""
    _publish(_results_folder(results), docs)


def _results_folder(results: str | None):
    from pathlib import Path

    from devtools import REPO_ROOT

    return Path(results) if results else REPO_ROOT / "bench" / "results"


def _publish(folder, docs: str | None) -> None:
    from pathlib import Path

    from devtools import REPO_ROOT
    from devtools.bench.report import load_run, publish
    from devtools.bench.targets import design_source

    try:
        summary = publish(load_run(folder), folder, design=design_source(REPO_ROOT), docs=Path(docs) if docs else None)
    except (FileNotFoundError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(summary, ensure_ascii=False))
    if summary["exit"]:
        raise typer.Exit(summary["exit"])


@app.command("run")
def run(
    simulate: Annotated[
        bool,
        typer.Option(envvar="LEDGER_DEV_SIMULATE", help="Seed and drive the system with the tax/approval simulators."),
    ] = True,
) -> None:
    """Run the whole system locally (what `make run` does). Ctrl-C stops it."""
    from devtools.run import run_dev

    try:
        raise typer.Exit(run_dev(simulate=simulate))
    except LedgerError as exc:
        _fail(exc)


@bench.command("write-path")
def bench_write_path(
    confirmations: Annotated[int, typer.Option(help="Payment confirmations to push through.")] = 20_000,
    rate: Annotated[
        float, typer.Option(help="Offered confirmations per second (batches of 500, as the API takes them).")
    ] = 1_000.0,
    database: Annotated[
        str, typer.Option(help="sqlite or postgresql (a throwaway database on --postgres).")
    ] = "sqlite",
    postgres: Annotated[
        str, typer.Option(help="PostgreSQL server for --database postgresql.")
    ] = "postgresql://127.0.0.1/test",
    batch_size: Annotated[int, typer.Option(help="Commands per transaction.")] = 1000,
) -> None:
    """Confirmations end to end (service → outbox → chain → indexed) vs the chain alone, on a fresh node."""
    from devtools.bench.write_path import bench_write_path as run

    typer.echo(json.dumps(run(confirmations, rate, database, postgres, batch_size)))


@app.command("mutate")
def mutate(
    contract: Annotated[
        list[str] | None, typer.Option(help="An implementation contract to mutate (repeatable); all three by default.")
    ] = None,
    operator: Annotated[
        list[str] | None, typer.Option(help="flip, bound, check, write, event, role (repeatable); all by default.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many mutants per contract.")] = None,
    mutant: Annotated[list[str] | None, typer.Option(help="Only these mutant ids (repeatable).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds the tests of one mutant may take.")] = 1800.0,
    out: Annotated[str, typer.Option(help="The JSON report, rewritten after each mutant.")] = "mutation-report.json",
    list_only: Annotated[bool, typer.Option("--list", help="Only list the mutants (JSON), run nothing.")] = False,
    resume: Annotated[
        bool,
        typer.Option(
            help="Read the report at --out first and run only the mutants it has no verdict on (a run across"
            " sittings); the summary covers them all."
        ),
    ] = False,
) -> None:
    """Mutation run over the contracts (docs/contracts-mutation.md): each mutant compiled alone with the
    pinned solc, the contract's tests run fail-fast; prints a summary, writes the JSON report."""
    from dataclasses import asdict
    from pathlib import Path

    from devtools.mutate import OPERATORS, mutants_of
    from devtools.mutate import run as run_mutants

    contracts = contract or ["CommitmentRegistry", "FeeLedger", "InspectionDraws"]
    operators = tuple(operator or OPERATORS)
    if unknown := set(operators) - set(OPERATORS):
        raise typer.BadParameter(f"unknown operators {sorted(unknown)}; known: {', '.join(OPERATORS)}")
    if list_only:
        typer.echo(json.dumps([asdict(m) for c in contracts for m in mutants_of(c, operators)], ensure_ascii=False))
        return
    report = run_mutants(
        contracts,
        operators,
        limit=limit,
        timeout=timeout,
        report_path=Path(out),
        only=set(mutant or ()) or None,
        resume=resume,
    )
    typer.echo(report.summary())
