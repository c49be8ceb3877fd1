"""``greenfin demo``: build the demo region into the configured database, then serve it."""

from __future__ import annotations

import os
import time

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from greenfin.cli import cli_session
from greenfin.demo import region
from greenfin.demo.service import (
    DEFAULT_ENTERPRISES,
    DEFAULT_RESIDENTS,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DEMO_USERS,
    DemoSummary,
    build_region,
    find_demo,
    refuse_in_production,
    reset_region,
)
from greenfin.settings import get_settings

_STEPS = {
    "enterprises": "生成企业与能耗数据 enterprises and records",
    "labels": "贴标 labelling 2023–2025",
    "accounts": "农业、金融与个人账户 farms, consents, residents",
}


def _print_summary(summary: DemoSummary, where: region.Place) -> None:
    typer.echo(
        f"built the demo region {where.city_name} {where.city_code} (seed {summary.seed}) in "
        f"{summary.seconds.get('build', 0):.1f} s: "
        f"{summary.enterprises:,} enterprises in {len(where.counties)} counties, "
        f"{summary.energy_records:,} monthly energy records, {summary.process_emissions:,} process emissions, "
        f"{summary.annual_figures:,} annual figures, {summary.organisations} organisations, {summary.users} logins"
    )
    typer.echo(f"data digest {summary.digest}")
    for year, counts in summary.labels.items():
        shown = ", ".join(f"{label} {count:,}" for label, count in counts.items())
        typer.echo(f"labels {year}: {shown}")
    if summary.labels:
        typer.echo(f"labelled {len(summary.labels)} years in {summary.seconds.get('label', 0):.2f} s")
    if summary.farms or summary.residents:
        farms = ", ".join(f"{key} {value:,}" for key, value in summary.farms.items())
        residents = ", ".join(f"{key} {value:,}" for key, value in summary.residents.items())
        typer.echo(f"farms: {farms}; consents to the demo bank: {summary.consents}; residents: {residents}")
    if summary.market:
        typer.echo("financing platform: " + ", ".join(f"{key} {value:,}" for key, value in summary.market.items()))
    if summary.stats:
        typer.echo("green-loan book: " + ", ".join(f"{key} {value:,}" for key, value in summary.stats.items()))
    if summary.ecobank:
        typer.echo("Two Mountains Bank: " + ", ".join(f"{key} {value:,}" for key, value in summary.ecobank.items()))


def demo(
    enterprises: int = typer.Option(
        DEFAULT_ENTERPRISES, "--enterprises", "-n", help="Number of industrial enterprises"
    ),
    residents: int = typer.Option(
        DEFAULT_RESIDENTS, "--residents", help="Residents with a personal carbon account and a year of events"
    ),
    seed: int = typer.Option(DEFAULT_SEED, help="Random seed: the same seed builds the same region"),
    reset: bool = typer.Option(False, "--reset", help="Empty the demo database and rebuild it"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the platform once the region is built"),
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    region_code: str | None = typer.Option(
        None,
        "--region",
        help="GB/T 2260 code of the region to build (a file of src/greenfin/region/data); GREENFIN_REGION when omitted",
    ),
) -> None:
    """Build the deterministic demo region (unless it is there already) and serve it; Quzhou-like by default."""
    from greenfin.migrations import upgrade
    from greenfin.region.service import load_region

    if region_code is not None and region_code != get_settings().region:
        load_region(region_code)  # a region that is not shipped is refused before anything is written
        # The option stands for GREENFIN_REGION: the served platform must run for the region built.
        os.environ["GREENFIN_REGION"] = region_code
        get_settings.cache_clear()
    settings = get_settings()
    refuse_in_production(settings)
    upgrade(settings.database_url)
    with cli_session(settings) as session:
        existing = find_demo(session)
        if existing is not None and reset:
            started = time.perf_counter()
            deleted = reset_region(session, settings=settings)
            typer.echo(
                f"reset: removed the demo region (seed {existing.seed}), {deleted:,} rows, "
                f"in {time.perf_counter() - started:.1f} s"
            )
            existing = None
        if existing is not None:
            typer.echo(
                f"the database holds the demo region already ({existing.enterprises:,} enterprises, "
                f"seed {existing.seed}); nothing built — use --reset to rebuild it"
            )
        else:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            ) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(step: str, done: int, total: int) -> None:
                    if step not in tasks:
                        tasks[step] = bar.add_task(_STEPS.get(step, step), total=total)
                    bar.update(tasks[step], completed=done)

                summary = build_region(
                    session,
                    enterprises=enterprises,
                    seed=seed,
                    settings=settings,
                    principal=session.info["actor"],
                    residents=residents,
                    progress=progress,
                )
    if existing is None:
        _print_summary(summary, region.place(settings.region))
    users = ", ".join(user.username for user in DEMO_USERS)
    typer.echo(f"demo logins: {users} — password {DEMO_PASSWORD}")
    if serve:
        import uvicorn

        from greenfin.app import create_app

        typer.echo(f"serving on http://{host}:{port} (Ctrl+C stops)")
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
