"""Parsing and validating call-record and plate-sighting CSV files.

Columns (DESIGN.md): calls `caller,callee,start_time,duration_s[,cell]`; sightings
`plate,camera,seen_at,lat,lon[,place]`. Chinese headers are accepted as aliases. Times are
ISO 8601; a time without an offset is Asia/Shanghai. Files may be UTF-8 (with or without
BOM) or GB18030 (what Chinese spreadsheet software exports). Every error names its line
in the file (the header is line 1) and its column; a file with any error imports nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from casework.entities import normalise

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ERRORS = 1000

ALIASES = {
    "主叫": "caller", "主叫号码": "caller", "被叫": "callee", "被叫号码": "callee",
    "开始时间": "start_time", "通话开始时间": "start_time", "通话时长": "duration_s",
    "时长": "duration_s", "基站": "cell", "车牌": "plate", "车牌号": "plate",
    "卡口": "camera", "时间": "seen_at", "经过时间": "seen_at", "纬度": "lat", "经度": "lon",
    "地点": "place",
}
COLUMNS = {
    "calls": (("caller", "callee", "start_time", "duration_s"), ("cell",)),
    "sightings": (("plate", "camera", "seen_at", "lat", "lon"), ("place",)),
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class CallRow:
    line: int
    caller: str
    callee: str
    start_time: datetime
    duration_s: int
    cell: str


@dataclass(frozen=True)
class SightingRow:
    line: int
    plate: str
    camera: str
    seen_at: datetime
    lat: float
    lon: float
    place: str


class ImportRefused(Exception):
    """The file has errors; nothing may be written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([RowError(1, "", "the file is neither UTF-8 nor GB18030 text")])


def parse_time(value: str) -> datetime:
    text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment


def _header(fieldnames: list[str] | None, kind: str) -> dict[str, str]:
    """Source column → canonical name; refuses a header missing a required column."""
    required, optional = COLUMNS[kind]
    mapping = {}
    for name in fieldnames or []:
        clean = (name or "").strip()
        canonical = ALIASES.get(clean, clean.lower())
        if canonical in required or canonical in optional:
            mapping[name] = canonical
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        raise ImportRefused([RowError(1, c, "required column is missing") for c in missing])
    return mapping


def rows(data: bytes, kind: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {canonical column: text}) for every data row."""
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    header = next(reader, None)
    mapping = _header(header, kind)
    positions = [(i, mapping[name]) for i, name in enumerate(header or []) if name in mapping]
    for raw in reader:
        if not any(cell.strip() for cell in raw):
            continue  # blank line
        width = len(raw)
        yield reader.line_num, {column: raw[i].strip() if i < width else ""
                                for i, column in positions}


def _field(errors, line, column, fn, value):
    try:
        return fn(value)
    except (ValueError, normalise.InvalidKey) as exc:
        errors.append(RowError(line, column, str(exc) or f"invalid value {value!r}"))
        return None


def _duration(value: str) -> int:
    seconds = int(value)
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {value!r}")
    return seconds


def _required(value: str) -> str:
    if not value:
        raise ValueError("required")
    return value


def _coordinate(limit: float):
    def parse(value: str) -> float:
        number = float(value)
        if not -limit <= number <= limit:
            raise ValueError(f"{value} is out of range ±{limit}")
        return number
    return parse


def _time(value: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None


def parse_calls(data: bytes, progress=None) -> list[CallRow]:
    errors: list[RowError] = []
    out: list[CallRow] = []
    for n, (line, row) in enumerate(rows(data, "calls"), start=1):
        before = len(errors)
        caller = _field(errors, line, "caller", normalise.phone, row.get("caller", ""))
        callee = _field(errors, line, "callee", normalise.phone, row.get("callee", ""))
        start = _field(errors, line, "start_time", _time, row.get("start_time", ""))
        duration = _field(errors, line, "duration_s", _duration, row.get("duration_s", ""))
        if caller and caller == callee:
            errors.append(RowError(line, "callee", "a phone cannot call itself"))
        if len(errors) == before:
            out.append(CallRow(line, caller, callee, start, duration, row.get("cell", "")[:100]))
        if len(errors) >= MAX_ERRORS:
            break
        if progress and n % 5000 == 0:
            progress(n)
    if errors:
        raise ImportRefused(errors)
    return out


def parse_sightings(data: bytes, progress=None) -> list[SightingRow]:
    errors: list[RowError] = []
    out: list[SightingRow] = []
    for n, (line, row) in enumerate(rows(data, "sightings"), start=1):
        before = len(errors)
        plate = _field(errors, line, "plate", normalise.plate, row.get("plate", ""))
        camera = _field(errors, line, "camera", _required, row.get("camera", ""))
        seen_at = _field(errors, line, "seen_at", _time, row.get("seen_at", ""))
        lat = _field(errors, line, "lat", _coordinate(90), row.get("lat", ""))
        lon = _field(errors, line, "lon", _coordinate(180), row.get("lon", ""))
        if len(errors) == before:
            out.append(SightingRow(line, plate, camera[:190], seen_at, lat, lon,
                                   row.get("place", "")[:200]))
        if len(errors) >= MAX_ERRORS:
            break
        if progress and n % 5000 == 0:
            progress(n)
    if errors:
        raise ImportRefused(errors)
    return out
