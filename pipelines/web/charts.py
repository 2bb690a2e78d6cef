"""Charts drawn on the server as inline SVG: no JavaScript, no CDN (the page works offline)."""

from __future__ import annotations

from datetime import date
from html import escape

WIDTH, HEIGHT, PAD = 720, 260, 36


class _Axes:
    """Maps (day, value) onto the plot area."""

    def __init__(self, first: date, last: date, top: float):
        self.first, self.span = first, max((last - first).days, 1)
        self.top = max(top, 1)

    def x(self, day: date) -> float:
        return round(PAD + (WIDTH - 2 * PAD) * (day - self.first).days / self.span, 1)

    def y(self, value: float) -> float:
        return round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / self.top, 1)


def _svg(label: str, body: list[str], css_class: str) -> str:
    return (f'<svg class="chart {css_class}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
            + "".join(body) + "</svg>")


def _frame(axes: _Axes, first: date, last: date) -> list[str]:
    bottom = HEIGHT - PAD
    return [
        f'<line class="axis" x1="{PAD}" y1="{bottom}" x2="{WIDTH - PAD}" y2="{bottom}"/>',
        f'<line class="axis" x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{bottom}"/>',
        f'<text x="{PAD}" y="{HEIGHT - 12}">{first.isoformat()}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" text-anchor="end">{last.isoformat()}</text>',
        f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end">{int(axes.top)}</text>',
        f'<text x="{PAD - 4}" y="{bottom}" text-anchor="end">0</text>',
    ]


def backlog_chart(series: list[dict], label: str, observed_from: date | None = None,
                  observed_label: str = "") -> str:
    """Two lines: open for the accountant and open for the client at each day's end; a
    marker where observed history starts (the days before it are reconstructed)."""
    if not series:
        return ""
    first, last = series[0]["calendar_date"], series[-1]["calendar_date"]
    top = max(max(int(r["accountant"]), int(r["client"])) for r in series)
    axes = _Axes(first, last, top)
    body = _frame(axes, first, last)
    for key in ("accountant", "client"):
        points = " ".join(f"{axes.x(r['calendar_date'])},{axes.y(int(r[key]))}" for r in series)
        body.append(f'<polyline class="line {key}" data-series="{key}" points="{points}"/>')
    if observed_from is not None and observed_from > first:
        x = axes.x(observed_from)
        body.append(f'<rect class="reconstructed" x="{PAD}" y="{PAD}" width="{x - PAD}" '
                    f'height="{HEIGHT - 2 * PAD}"/>')
        body.append(f'<line class="observed-from" data-date="{observed_from.isoformat()}" '
                    f'x1="{x}" y1="{PAD}" x2="{x}" y2="{HEIGHT - PAD}"/>')
        body.append(f'<text class="observed-label" x="{x}" y="{PAD - 8}" text-anchor="middle">'
                    f'{escape(observed_label)} {observed_from.isoformat()}</text>')
    return _svg(label, body, "backlog")


def vat_chart(period: dict, processed_per_day: list[tuple[date, int]], today: date,
              forecast: date | None, label: str) -> str:
    """Burn-up: documents processed so far against the period's total, the filing deadline
    marked, and a dashed line to the forecast finish."""
    start, deadline = period["vat_period_start"], period["filing_deadline"]
    total = int(period["documents_total"])
    ends = [period["vat_period_end"], deadline]
    if period["period_state"] != "complete":
        ends.append(today)
    if forecast is not None:
        ends.append(forecast)
    last = max(ends)
    first = min([start] + [day for day, _ in processed_per_day])
    axes = _Axes(first, last, total)
    body = _frame(axes, first, last)
    done, points = 0, [f"{axes.x(first)},{axes.y(0)}"]
    for day, count in processed_per_day:
        points.append(f"{axes.x(day)},{axes.y(done)}")
        done += count
        points.append(f"{axes.x(day)},{axes.y(done)}")
    end_of_line = min(today, last)
    points.append(f"{axes.x(end_of_line)},{axes.y(done)}")
    body.append(f'<line class="total" x1="{PAD}" y1="{axes.y(total)}" x2="{WIDTH - PAD}" '
                f'y2="{axes.y(total)}"/>')
    body.append(f'<polyline class="line processed" points="{" ".join(points)}"/>')
    x_deadline = axes.x(deadline)
    body.append(f'<line class="deadline" data-deadline="{deadline.isoformat()}" '
                f'x1="{x_deadline}" y1="{PAD}" x2="{x_deadline}" y2="{HEIGHT - PAD}"/>')
    body.append(f'<text class="deadline-label" x="{x_deadline}" y="{PAD - 8}" '
                f'text-anchor="middle">{deadline.isoformat()}</text>')
    if forecast is not None:
        body.append(f'<line class="forecast" x1="{axes.x(end_of_line)}" y1="{axes.y(done)}" '
                    f'x2="{axes.x(forecast)}" y2="{axes.y(total)}"/>')
    return _svg(label, body, "vat")
