"""`?format=csv` on every statistics table: a header row, then one row per result, nested
objects flattened to `unit.call_sign`-style columns (spreadsheets open it directly; a BOM
so that Excel reads the Chinese names as UTF-8)."""

from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer


def _flatten(row: dict, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif value is None:
            out[name] = ""
        else:
            out[name] = value
    return out


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data.get("results") if isinstance(data, dict) and "results" in data else [data]
        flat = [_flatten(r) for r in rows]
        header: list[str] = []
        for r in flat:
            header.extend(k for k in r if k not in header)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(flat)
        response = (renderer_context or {}).get("response")
        view = (renderer_context or {}).get("view")
        if response is not None and view is not None:
            name = getattr(view, "csv_name", "statistics")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
