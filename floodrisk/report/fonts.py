"""Fonts for Chinese labels: find a CJK font matplotlib can use, if the machine has one.

:func:`find_cjk_font` looks first among the fonts matplotlib knows (its font cache), then
among the system's font files the cache does not list yet (a font installed after the
cache was built), and returns the file and face of the first family of
:data:`CJK_FAMILIES` it finds. Text is drawn with ``FontProperties(fname=...)`` of that
face, so nothing is registered with matplotlib's global font manager.
:func:`require_cjk_font` raises, naming the package to install, when there is none.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from matplotlib import font_manager, ft2font
from matplotlib.font_manager import FontPath, FontProperties

from ..errors import FloodRiskError

__all__ = ["CJK_FAMILIES", "CJK_PACKAGE", "CJKFont", "cjk_family", "find_cjk_font", "has_cjk",
           "require_cjk_font"]

_log = logging.getLogger(__name__)

#: Families known to cover simplified Chinese, in order of preference.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Sarasa Gothic SC", "SimHei",
                "Microsoft YaHei", "PingFang SC", "Droid Sans Fallback", "AR PL UMing CN")

#: The Debian/Ubuntu package that provides the preferred family.
CJK_PACKAGE = "fonts-noto-cjk"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    """Whether the text holds CJK ideographs."""
    return bool(_CJK.search(str(text)))


@dataclass(frozen=True)
class CJKFont:
    """One face of an installed CJK font.

    Parameters
    ----------
    family
        Family name (one of :data:`CJK_FAMILIES`).
    path
        Font file (``.ttf``, ``.otf`` or a ``.ttc`` collection).
    index
        Face index in a collection (0 for single fonts).
    bold
        Whether the face is bold.
    """

    family: str
    path: str
    index: int = 0
    bold: bool = False

    def properties(self, size: float | None = None) -> FontProperties:
        """Font properties drawing with this face at ``size`` pt."""
        return FontProperties(fname=FontPath(self.path, self.index), size=size)


def _is_bold(weight: object) -> bool:
    if isinstance(weight, (int, float)):
        return weight >= 600
    return str(weight).lower() in {"bold", "heavy", "black", "extra bold", "demibold", "semibold"}


def _known_faces() -> list[CJKFont]:
    """CJK faces in matplotlib's font list."""
    return [CJKFont(f.name, f.fname, int(getattr(f, "index", 0)), _is_bold(f.weight))
            for f in font_manager.fontManager.ttflist if f.name in CJK_FAMILIES]


@functools.cache
def _faces_of_file(path: str) -> tuple[CJKFont, ...]:
    """CJK faces of one font file (every face of a collection)."""
    faces = []
    try:
        n = ft2font.FT2Font(path).num_faces
        for index in range(n):
            font = ft2font.FT2Font(path, face_index=index)
            if font.family_name in CJK_FAMILIES:
                faces.append(CJKFont(font.family_name, path, index,
                                     bool(font.style_flags & ft2font.StyleFlags.BOLD)))
    except Exception as exc:  # an unreadable font file is no CJK font
        _log.debug("font file %s not read: %s", path, exc)
    return tuple(faces)


def _uncached_faces() -> list[CJKFont]:
    """CJK faces of system font files that matplotlib's font cache does not list (fonts
    installed after the cache was built)."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    return [face for path in font_manager.findSystemFonts()
            if path not in known for face in _faces_of_file(path)]


def find_cjk_font(*, bold: bool = False) -> CJKFont | None:
    """The installed CJK face of the most preferred family of :data:`CJK_FAMILIES`.

    Parameters
    ----------
    bold
        Prefer a bold face (the regular face is returned when the family has no bold).

    Returns
    -------
    CJKFont or None
        None when the machine has no CJK font.
    """
    faces = _known_faces() or _uncached_faces()
    if not faces:
        return None
    family = min((f.family for f in faces), key=CJK_FAMILIES.index)
    same = [f for f in faces if f.family == family]
    return next((f for f in same if f.bold == bold), same[0])


def require_cjk_font(*, bold: bool = False) -> CJKFont:
    """:func:`find_cjk_font`, or an error saying what to install.

    Raises
    ------
    FloodRiskError
        When the machine has no CJK font: names the package to install.
    """
    font = find_cjk_font(bold=bold)
    if font is None:
        raise FloodRiskError(
            "no CJK font is installed, so Chinese labels (--lang zh) cannot be drawn.",
            hint=f"Install one: on Debian/Ubuntu `apt-get install {CJK_PACKAGE}` (Noto Sans CJK "
                 "SC; alternatives: fonts-wqy-microhei, fonts-wqy-zenhei, fonts-arphic-uming), on "
                 "Fedora google-noto-sans-cjk-fonts, elsewhere Source Han Sans SC or Noto Sans CJK "
                 f"SC; families looked for: {', '.join(CJK_FAMILIES)}. Or draw with --lang en.")
    return font


def cjk_family() -> str | None:
    """The first CJK family matplotlib's font list holds (usable as ``fontfamily``), or
    None."""
    faces = _known_faces()
    return min((f.family for f in faces), key=CJK_FAMILIES.index) if faces else None
