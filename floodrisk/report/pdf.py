"""A PDF of an HTML page, printed by a headless Chromium when the machine has one.

The report is HTML first; its printable copy comes from the browser engine that shows
it, so the two look the same (fonts, CJK text, tables broken across pages by the CSS
``@page`` and ``break-inside`` rules). No Chromium: no PDF, and the caller says so.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from os import PathLike
from pathlib import Path

from ..errors import FloodRiskError

__all__ = ["CHROMIUM_NAMES", "find_chromium", "html_to_pdf"]

log = logging.getLogger(__name__)

#: Program names of Chromium-based browsers that print to PDF headless, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The path of the first of :data:`CHROMIUM_NAMES` on the PATH, or None."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html: str | PathLike[str], pdf: str | PathLike[str], *,
                chromium: str | None = None, timeout: float = 180.0) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4, no header or footer).

    Parameters
    ----------
    html
        The page (a local file; it must not need the network).
    pdf
        The PDF to write (written under a temporary name, renamed when complete).
    chromium
        The browser program (default :func:`find_chromium`).
    timeout
        Seconds to wait for the browser.

    Raises
    ------
    FloodRiskError
        When no browser is found or it fails; nothing is left at ``pdf``.
    """
    html, pdf = Path(html).resolve(), Path(pdf)
    program = chromium or find_chromium()
    if program is None:
        raise FloodRiskError("no Chromium to print the report to PDF.", path=pdf,
                             hint="Install one (Debian/Ubuntu: apt-get install chromium); "
                                  "the HTML report is complete without it.")
    tmp = pdf.with_name(f".{pdf.stem}.partial{pdf.suffix}")
    with tempfile.TemporaryDirectory(prefix="floodrisk-chromium-") as profile:
        cmd = [program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={tmp}", html.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            tmp.unlink(missing_ok=True)
            raise FloodRiskError(f"Chromium could not print the report ({exc}).", path=pdf,
                                 hint="The HTML report is complete without the PDF.") from exc
    if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise FloodRiskError(f"Chromium exited with {done.returncode} without a PDF "
                             f"({' / '.join(tail)}).", path=pdf,
                             hint="The HTML report is complete without the PDF.")
    tmp.replace(pdf)
    log.info("report printed to %s", pdf)
    return pdf
