"""``floodrisk swmm-import``: read an EPA SWMM ``.inp`` model and write its network layers.

The layers (``nodes``, ``conduits``, ``pumps``, ``stations``, ``regulators``,
``subcatchments``) go to one GeoPackage, in SI units (US-unit models converted) and the
CRS given with ``--crs`` (``.inp`` files carry none). The GeoPackage is written under a
temporary name and renamed into place when complete, so a failed import never leaves a
half-written file. The ``.inp`` itself is not changed.

Exit code 0: written; 2: the model cannot be read (unknown FLOW_UNITS, a link to an
undefined node, a missing rain file, coordinates without ``--crs`` ...).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from ..errors import InputFileError
from ..io.files import atomic_write
from .app import STATE, app, guarded, out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@app.command("swmm-import")
@guarded
def swmm_import(
    model: Path = typer.Argument(..., help="EPA SWMM 5 .inp file."),
    crs: str = typer.Option(None, "--crs", help="CRS of the model's coordinates, e.g. "
                                                "EPSG:4547 (needed when it has coordinates)."),
    no_crs: bool = typer.Option(False, "--no-crs",
                                help="Write the coordinates without a CRS instead."),
    out_path: Path = typer.Option(None, "--out", help="GeoPackage to write (default: "
                                                      "./<model name>.gpkg)."),
    no_file_check: bool = typer.Option(False, "--no-file-check",
                                       help="Do not check that the rain and other files the "
                                            "model reads exist."),
) -> None:
    """Import an SWMM model's network (nodes, conduits, pumps, regulators, subcatchments)
    into a GeoPackage, converted to SI units."""
    from ..io.swmm_inp import read_swmm_model
    from ..io.vector import write_layers

    if crs is not None and no_crs:
        raise typer.BadParameter("give --crs or --no-crs, not both")
    m = read_swmm_model(model, crs=False if no_crs else crs, check_files=not no_file_check)
    net = m.network
    layers = net.layers()
    target = out_path if out_path is not None else Path.cwd() / f"{model.stem}.gpkg"
    if not target.parent.is_dir():
        raise InputFileError("the folder to write into does not exist.", path=target.parent)

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():   # --no-crs: a GeoPackage without a CRS is asked for
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            write_layers(layers, tmp)

    atomic_write(target, write)
    if STATE["quiet"]:
        typer.echo(str(target))
        return
    kinds = net.nodes["kind"].value_counts()
    out.print(f"{model.name}: FLOW_UNITS {m.units}, LINK_OFFSETS {m.link_offsets}"
              + (f", CRS {m.crs.name}" if m.crs is not None else ", no CRS"))
    if m.us_units:
        out.print("Units: US units converted to SI (ft → m, ft² → m², acres → m², "
                  f"{m.units.lower()} → m³/s); the .inp is unchanged.")
    else:
        out.print("Units: SI (m); flows converted to m³/s.")
    out.print("Nodes: " + ", ".join(_plural(int(kinds.get(k, 0)), k) for k in
                                    ("junction", "outfall", "storage") if kinds.get(k, 0)))
    out.print(f"Conduits: {len(net.conduits)}; pumps: {len(net.pumps)} in "
              f"{_plural(len(net.stations), 'station')}")
    if net.regulators is not None:
        rk = net.regulators["kind"].value_counts()
        out.print("Regulators: " + ", ".join(_plural(int(n), k) for k, n in rk.items()))
    if m.subcatchments is not None:
        subs = net.subcatchments
        n_net = 0 if subs is None else len(subs)
        poly = 0 if subs is None else int(subs.geometry.notna().sum())
        out.print(f"Subcatchments: {n_net} of {len(m.subcatchments)} drain to a node, "
                  f"{poly} with polygons")
    out.print(f"Layers written to [bold]{target}[/]: {', '.join(layers)}.")


@app.command("swmm-export")
@guarded
def swmm_export(
    config: Path = typer.Argument(..., help="Study config (TOML) with a [storm]."),
    out_path: Path = typer.Option(..., "--out", help=".inp file to write (must not exist)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file."),
) -> None:
    """Build the study's EPA SWMM model (nodes, conduits, pumps with their levels,
    subcatchments, the [storm] as a rain gauge, the [scenario]'s failures and outfall
    stages, the [swmm] options) and write it as an .inp file SWMM and PCSWMM open."""
    from ..config import load_config
    from ..engines.swmm import build_model
    from ..errors import ConfigError, InputError
    from ..io.rainfall import read_storm
    from ..io.study import read_study
    from ..io.swmm_inp import parse_inp

    cfg = load_config(config)
    if cfg.storm is None:
        raise ConfigError("the model needs a design storm for its rain gauge.", path=config,
                          field="storm", hint="Add a [storm] section (see the README).")
    if out_path.exists() and not overwrite:
        raise InputError("the file exists already.", path=out_path,
                         hint="Give a new name, or --overwrite to replace it.")
    if not out_path.parent.is_dir():
        raise InputFileError("the folder to write into does not exist.", path=out_path.parent)
    study = read_study(cfg)
    storm, _ = read_storm(cfg.storm)
    build = build_model(study, cfg.scenario.build(storm), cfg.swmm.settings)
    inp = parse_inp(build.text)
    atomic_write(out_path, lambda tmp: tmp.write_text(build.text, encoding="utf-8"))
    if STATE["quiet"]:
        typer.echo(str(out_path))
        return
    counts = {sec: len(inp.rows(sec)) for sec in ("JUNCTIONS", "OUTFALLS", "STORAGE",
                                                  "CONDUITS", "PUMPS", "SUBCATCHMENTS")}
    out.print(f"{study.name}: " + ", ".join(_plural(n, k.lower().rstrip("s")) for k, n in
                                            counts.items() if n))
    out.print(f"Scenario {build.name}: {build.rain_depth_mm:.1f} mm of rain, "
              f"{build.duration / 3600:g} h simulated; FLOW_UNITS CMS, DYNWAVE.")
    for note in build.notes:
        out.print(f"  note: {note}")
    out.print(f"Model written to [bold]{out_path}[/].")
