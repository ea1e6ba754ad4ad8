"""``floodrisk season``: a pre-flood-season assessment on Dask."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .app import STATE, app, err, guarded, out


@app.command()
@guarded
def season(
    config: Path = typer.Argument(..., help="Season config (TOML), e.g. configs/season.toml."),
    out_dir: Path = typer.Option(None, "--out", help="Season folder (default: the config's "
                                                     "[season] out)."),
    scheduler: str = typer.Option(None, "--scheduler",
                                  help="Address of a running Dask scheduler, e.g. "
                                       "tcp://10.0.0.5:8786 (default: a LocalCluster here)."),
    workers: int = typer.Option(None, "--workers", min=1,
                                help="Workers of the LocalCluster (default: the config's)."),
) -> None:
    """Run every (district × scenario) task of a season on Dask, skipping those already
    finished with the same inputs and settings, then merge the districts, find the lowest
    return period that floods each place, compare with the previous season and write
    season_report.html and season.json.

    Exit code 0 when every task finished, 1 when some failed (season.json says which and
    why; logs/ has their logs), 2 for a bad config, bad input or a folder another season
    holds."""
    from ..season import run_season

    if STATE["quiet"]:
        outcome = run_season(config, out_dir, scheduler=scheduler, workers=workers)
    else:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("Season tasks", total=None)

            def step(done: int, total: int, result: dict) -> None:
                what = result.get("task_id", "")
                if result.get("status") == "failed":
                    err.print(f"[bold red]failed:[/] {what}: {result.get('error')}")
                bar.update(task, completed=done, total=total,
                           description=f"Season tasks ({what} {result.get('status', '')})"
                           if what else "Season tasks")

            outcome = run_season(config, out_dir, scheduler=scheduler, workers=workers,
                                 progress=step)
    s = outcome.summary
    if STATE["quiet"]:
        typer.echo(str(outcome.path))
    else:
        c = s["counts"]
        out.print(f"Season [bold]{s['season']}[/]: {c['done']} tasks run, {c['reused']} "
                  f"reused, {c['failed']} failed in {s['wall_s']:.0f} s ({s['scheduler']})")
        for r in s.get("scenarios", []):
            ug = r.get("underground") or {}
            out.print(f"  {r['scenario_id']}: {r.get('waterlogging_points')} waterlogging "
                      f"points, underground flooded {ug.get('flooded', 0)}, at risk "
                      f"{ug.get('at risk', 0)}; stations failed: "
                      f"{', '.join(r.get('stations_failed') or []) or 'none'}")
        if s.get("comparison"):
            p = s["comparison"]["points"]
            out.print(f"Against {s['comparison']['previous']}: points new {p['new']}, "
                      f"worsened {p['worsened']}, improved {p['improved']}, resolved "
                      f"{p['resolved']}")
        out.print(f"Written to [bold]{outcome.path}[/]: season.json, season_report.html, "
                  "scenarios/, city/" + (", comparison/" if s.get("comparison") else ""))
    if not outcome.ok:
        raise typer.Exit(1)
