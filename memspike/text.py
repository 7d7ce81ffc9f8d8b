"""Numbers and values as people read them: 4 significant digits, long lists shortened."""

from __future__ import annotations

import numbers


def fmt(v, max_items: int = 8) -> str:
    """``v`` at 4 significant digits; lists show their first items and their length; dicts as k=v."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return f"{float(v):.4g}"
    if isinstance(v, dict):
        if "y" in v and "x" in v:            # a trend check: the values that were judged
            return fmt(v["y"], max_items)
        return ", ".join(f"{k}={fmt(x, max_items)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        items = [fmt(x, max_items) for x in v[:max_items]]
        more = f", ... ({len(v)} values)" if len(v) > max_items else ""
        return "[" + ", ".join(items) + more + "]"
    return str(v)
