"""Small display helpers the page templates call: names in the viewer's language, fan levels.
Importing this module registers them as template globals."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fanloop.community.levels import service as levels
from fanloop.web.i18n import current_language
from fanloop.web.templating import env


def _is_chinese() -> bool:
    return current_language.get().startswith("zh")


def localized_name(item: Any) -> str:
    """A board's or tag's ``name_zh`` when the page is in Chinese and it has one, else ``name``."""
    name_zh = getattr(item, "name_zh", "") or ""
    return name_zh if _is_chinese() and name_zh.strip() else item.name


def level_of(xp: int) -> levels.Level:
    return levels.level_for(xp or 0)


def level_name(level: levels.Level) -> str:
    return level.name(current_language.get())


def level_percent(xp: int) -> int:
    return round(levels.level_progress(xp or 0) * 100)


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """``?a=1&b=2`` from ``params`` with ``changes`` applied; empty values are dropped."""
    merged = {**params, **changes}
    pairs = [(key, value) for key, value in merged.items() if value not in (None, "")]
    return f"?{urlencode(pairs)}" if pairs else "?"


env.globals.update(
    localized_name=localized_name,
    level_of=level_of,
    level_name=level_name,
    level_percent=level_percent,
    next_level=levels.next_level,
    query_string=query_string,
)
