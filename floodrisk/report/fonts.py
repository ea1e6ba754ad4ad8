"""Fonts for Chinese labels: find a CJK font matplotlib can use, if the machine has one."""

from __future__ import annotations

import functools
import re

from matplotlib import font_manager

__all__ = ["CJK_FAMILIES", "cjk_family", "has_cjk"]

#: Families known to cover simplified Chinese, in order of preference.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Sarasa Gothic SC", "SimHei",
                "Microsoft YaHei", "PingFang SC", "Droid Sans Fallback", "AR PL UMing CN")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    """Whether the text holds CJK ideographs."""
    return bool(_CJK.search(str(text)))


@functools.cache
def cjk_family() -> str | None:
    """The first installed CJK font family matplotlib knows, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FAMILIES if f in installed), None)
