"""Store QGIS layer styles in a GeoPackage, as QGIS itself does.

QGIS keeps the styles of a GeoPackage's layers in its table ``layer_styles`` (columns
``f_table_catalog``, ``f_table_schema``, ``f_table_name``, ``f_geometry_column``,
``styleName``, ``styleQML``, ``styleSLD``, ``useAsDefault``, ``description``, ``owner``,
``ui``, ``update_time``), registered in ``gpkg_contents`` as an ``attributes`` table.
When a layer is opened, QGIS applies the row of that table and geometry column with
``useAsDefault`` set. pyogrio cannot write such a table next to existing layers with
the types QGIS gives it, so this module writes it with :mod:`sqlite3`, in one transaction.
"""

from __future__ import annotations

import logging
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from ..errors import InputError, InputFileError

__all__ = ["STYLE_TABLE", "read_layer_styles", "write_layer_styles"]

log = logging.getLogger(__name__)

#: The table QGIS reads layer styles from.
STYLE_TABLE = "layer_styles"

# The table as OGR's GeoPackage driver creates it for QGIS (QgsOgrProviderMetadata::saveStyle:
# text widths 256/30, useAsDefault a boolean, update_time defaulting to the current time).
_CREATE = """
CREATE TABLE "layer_styles" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256),
  "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256),
  "styleName" TEXT(30),
  "styleQML" TEXT,
  "styleSLD" TEXT,
  "useAsDefault" BOOLEAN,
  "description" TEXT,
  "owner" TEXT(30),
  "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise InputFileError("GeoPackage not found.", path=path)
    try:
        con = sqlite3.connect(path, isolation_level=None)  # transactions opened by hand
        con.execute("SELECT table_name, data_type FROM gpkg_contents LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputFileError(f"is not a GeoPackage ({exc}).", path=path,
                             hint="Give a .gpkg written by floodrisk or GDAL.") from exc
    return con


def write_layer_styles(gpkg: str | PathLike[str], styles: Mapping[str, str], *,
                       descriptions: Mapping[str, str] | None = None,
                       style_name: str | None = None) -> list[str]:
    """Store a QGIS style (QML) for layers of a GeoPackage, each as the layer's default.

    A style of the same name stored earlier for a layer is replaced; the layer's other
    styles stay, no longer the default (as QGIS's "Save as default" does). Everything is
    written in one transaction: on any error the file is left as it was.

    Parameters
    ----------
    gpkg
        The GeoPackage (changed in place).
    styles
        Layer name → QML document.
    descriptions
        Layer name → description of the style (shown in QGIS's style list).
    style_name
        Name of the styles (at most 30 characters); default: each layer's name, as QGIS.

    Returns
    -------
    list of str
        The layers styled.

    Raises
    ------
    InputFileError
        The file is missing or not a GeoPackage.
    InputError
        A layer is not a feature layer of the GeoPackage, or a style is not an XML
        document.
    """
    path = Path(gpkg)
    descriptions = descriptions or {}
    con = _connect(path)
    try:
        geometry_columns = dict(con.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        for layer, qml in styles.items():
            if layer not in geometry_columns:
                raise InputError("is not a feature layer of the GeoPackage.", path=path,
                                 layer=layer,
                                 hint="Style the layers it holds: "
                                      + ", ".join(sorted(geometry_columns)) + ".")
            try:
                ET.fromstring(qml)
            except ET.ParseError as exc:
                raise InputError(f"the style is not an XML document ({exc}).", path=path,
                                 layer=layer) from None
        con.execute("BEGIN IMMEDIATE")
        try:
            _ensure_table(con)
            for layer, qml in styles.items():
                geom = geometry_columns[layer]
                name = (style_name or layer)[:30]
                con.execute(f'UPDATE "{STYLE_TABLE}" SET "useAsDefault" = 0 '
                            'WHERE f_table_name = ? AND f_geometry_column = ?', (layer, geom))
                con.execute(f'DELETE FROM "{STYLE_TABLE}" WHERE f_table_name = ? '
                            'AND f_geometry_column = ? AND "styleName" = ?', (layer, geom, name))
                con.execute(
                    f'INSERT INTO "{STYLE_TABLE}" (f_table_catalog, f_table_schema, '
                    'f_table_name, f_geometry_column, "styleName", "styleQML", "styleSLD", '
                    f'"useAsDefault", description, owner, ui, update_time) '
                    f"VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, {_NOW})",
                    (layer, geom, name, qml, descriptions.get(layer, "")))
            _update_counts(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise InputFileError(f"layer styles cannot be written ({exc}).", path=path) from exc
    finally:
        con.close()
    log.debug("%s: QGIS styles stored for %s", path.name, ", ".join(styles))
    return list(styles)


def _ensure_table(con: sqlite3.Connection) -> None:
    """Create ``layer_styles`` and register it as an attributes table, unless it exists."""
    exists = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                         (STYLE_TABLE,)).fetchone()
    if not exists:
        con.execute(_CREATE)
    registered = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?",
                             (STYLE_TABLE,)).fetchone()
    if not registered:
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, "
                    f"description, last_change, srs_id) VALUES (?, 'attributes', ?, '', "
                    f"{_NOW}, 0)", (STYLE_TABLE, STYLE_TABLE))


def _update_counts(con: sqlite3.Connection) -> None:
    """Keep GDAL's cached feature count of the table right (``gpkg_ogr_contents``)."""
    has_counts = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                             "AND name = 'gpkg_ogr_contents'").fetchone()
    if not has_counts:
        return
    n = con.execute(f'SELECT COUNT(*) FROM "{STYLE_TABLE}"').fetchone()[0]
    updated = con.execute("UPDATE gpkg_ogr_contents SET feature_count = ? "
                          "WHERE lower(table_name) = lower(?)", (n, STYLE_TABLE)).rowcount
    if not updated:
        con.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)",
                    (STYLE_TABLE, n))


def read_layer_styles(gpkg: str | PathLike[str]) -> list[dict[str, object]]:
    """The rows of a GeoPackage's ``layer_styles`` table (empty when it has none).

    Parameters
    ----------
    gpkg
        The GeoPackage.

    Returns
    -------
    list of dict
        One dict per stored style, keyed by column name, in table order.
    """
    path = Path(gpkg)
    con = _connect(path)
    try:
        con.row_factory = sqlite3.Row
        exists = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                             (STYLE_TABLE,)).fetchone()
        if not exists:
            return []
        return [dict(r) for r in con.execute(f'SELECT * FROM "{STYLE_TABLE}" ORDER BY id')]
    finally:
        con.close()
