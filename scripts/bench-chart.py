#!/usr/bin/env python3
"""Draws the rnats / nats.c ratios of a bench/run.sh run as an SVG bar chart.

    bench-chart.py [--input bench/results/latest.txt]
                   [--output bench/results/chart.svg]
                   [--summary bench/results/summary.txt]

Reads the summary table that bench/run.sh writes (every line of the form
"<case label>  <nats.c>  <rnats>  <ratio>  <unit>  <higher|lower> is better
<runs ok>"), and writes:

- the chart: one horizontal bar per row, on a logarithmic axis centred on a
  vertical line at 1.0, labelled with the ratio; green where rnats is better,
  red where it is worse (taking the row's "better" direction into account),
  grey within +-3 % and for the raw TCP rows (floor and ceilings), which run no
  client code;
  rows labelled "... TLS/plain: ..." compare one library over TLS with the
  same library over plain TCP, not rnats with nats.c, and are left out;
- the summary: the run's header lines and the table, without the raw results.

Standard library only.
"""

import argparse
import html
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")

ROW_RE = re.compile(
    r"^(?P<label>\S.*?)\s+(?P<natsc>\S+)\s+(?P<rnats>\S+)\s+(?P<ratio>\S+)\s+"
    r"(?P<unit>\S+)\s+(?P<better>higher|lower) is better\s+(?P<runs>\d+/\d+,\s*\d+/\d+)\s*$"
)

NEUTRAL_BAND = 0.03
COLOURS = {"better": "#2e7d32", "worse": "#c62828", "neutral": "#9e9e9e"}


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def parse(path):
    """Returns (header lines, table lines, rows) of a run.sh result file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()

    header = []
    for line in lines:
        if line.startswith("## "):
            break
        header.append(line)
    while header and not header[-1].strip():
        header.pop()

    # Prefer the summary section; fall back to any line that looks like a row.
    start = 0
    for i, line in enumerate(lines):
        if line.strip().startswith("## summary"):
            start = i + 1
            break
    table, rows = [], []
    for line in lines[start:]:
        stripped = line.rstrip()
        if stripped.startswith("RESULT ") or stripped.startswith("#"):
            continue
        if stripped.startswith("case ") or set(stripped.replace(" ", "")) <= set("-"):
            if stripped:
                table.append(stripped)
            continue
        m = ROW_RE.match(stripped)
        if m:
            table.append(stripped)
            rows.append(m.groupdict())
        elif start and stripped.startswith("note:"):
            table.append("")
            table.append(stripped)
    return header, table, rows


def header_value(header, key):
    for line in header:
        m = re.match(r"#\s*" + re.escape(key) + r":\s*(.*)$", line)
        if m:
            return m.group(1).strip()
    return ""


def verdict(row, ratio):
    if row["label"].startswith("raw TCP"):
        return "neutral"
    if abs(ratio - 1.0) <= NEUTRAL_BAND:
        return "neutral"
    good = ratio > 1.0 if row["better"] == "higher" else ratio < 1.0
    return "better" if good else "worse"


def svg_chart(header, rows):
    charted, skipped, self_rows = [], [], []
    for row in rows:
        if "TLS/plain" in row["label"]:
            self_rows.append(row["label"])
            continue
        ratio = number(row["ratio"])
        a, b = number(row["natsc"]), number(row["rnats"])
        if ratio is None or ratio <= 0 or a is None or b is None or (a == 0 and b == 0):
            skipped.append(row["label"])
            continue
        charted.append((row, ratio))
    if not charted:
        raise SystemExit("bench-chart: no rows with a ratio found")

    lo = min(min(r for _, r in charted) / 1.15, 0.5)
    hi = max(max(r for _, r in charted) * 1.15, 2.0)
    lmin, lmax = math.log2(lo), math.log2(hi)

    label_w, gutter, plot_w, right_w = 330, 44, 450, 60
    row_h, top = 22, 92
    width = label_w + gutter + plot_w + right_w
    height = top + row_h * len(charted) + 58 + (16 if skipped else 0) + (16 if self_rows else 0)

    def x(v):
        return label_w + gutter + (math.log2(v) - lmin) / (lmax - lmin) * plot_w

    rounds = header_value(header, "rounds").split(" ")[0] or "?"
    date = ""
    if header and header[0].startswith("#"):
        date = header[0].split(",", 1)[-1].strip()
    machine = header_value(header, "machine")
    esc = html.escape
    out = []
    out.append(
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
        'font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">' % (width, height, width, height)
    )
    out.append('<rect width="100%" height="100%" fill="#ffffff"/>')
    out.append(
        '<text x="%d" y="22" font-size="15" font-weight="bold">rnats / nats.c, median of %s '
        "alternating rounds</text>" % (12, esc(rounds))
    )
    sub = "; ".join(s for s in (date, machine) if s)
    out.append('<text x="12" y="40" fill="#555">%s</text>' % esc(sub))
    # Legend.
    lx = 12
    for key, text in (
        ("better", "rnats better"),
        ("worse", "rnats worse"),
        ("neutral", "within 3 % / no client code"),
    ):
        out.append('<rect x="%d" y="50" width="12" height="12" fill="%s"/>' % (lx, COLOURS[key]))
        out.append('<text x="%d" y="60">%s</text>' % (lx + 16, esc(text)))
        lx += 30 + 7 * len(text)
    out.append(
        '<text x="%d" y="60" fill="#555">log scale; (+) higher is better, (-) lower is better</text>'
        % (lx + 8)
    )

    # Grid and ticks.
    bottom = top + row_h * len(charted)
    # Powers of two first, then 0.75, 1.5, 3, ... where there is room.
    ticks = []
    for mult in (1.0, 1.5):
        e = math.floor(lmin)
        while 2.0 ** e <= hi:
            v = 2.0 ** e * mult
            if mult > 1 and v < 0.75:
                pass
            elif lo <= v <= hi and all(abs(x(v) - x(t)) >= 28 for t in ticks):
                ticks.append(v)
            e += 1
    for v in ticks:
        xv = x(v)
        out.append(
            '<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e0e0e0"/>' % (xv, top - 6, xv, bottom)
        )
        out.append(
            '<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>'
            % (xv, bottom + 16, ("%g" % v))
        )
    out.append(
        '<text x="%d" y="%d" text-anchor="middle" fill="#555">ratio rnats / nats.c</text>'
        % (label_w + gutter + plot_w // 2, bottom + 34)
    )

    for i, (row, ratio) in enumerate(charted):
        y = top + i * row_h
        mid = y + row_h / 2
        colour = COLOURS[verdict(row, ratio)]
        sign = "+" if row["better"] == "higher" else "-"
        label = "%s (%s) %s" % (row["label"], row["unit"], "(" + sign + ")")
        tip = "%s: nats.c %s, rnats %s %s, ratio %s (%s is better)" % (
            row["label"], row["natsc"], row["rnats"], row["unit"], row["ratio"], row["better"],
        )
        if i % 2 == 0:
            out.append(
                '<rect x="0" y="%d" width="%d" height="%d" fill="#f6f6f6"/>' % (y, width, row_h)
            )
        out.append(
            '<text x="%d" y="%.1f" text-anchor="end">%s</text>'
            % (label_w - 8, mid + 4, esc(label))
        )
        x0, x1 = x(1.0), x(ratio)
        left, w = min(x0, x1), max(abs(x1 - x0), 1.5)
        out.append(
            '<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>'
            % (left, y + 4, w, row_h - 8, colour, esc(tip))
        )
        if ratio >= 1.0:
            out.append(
                '<text x="%.1f" y="%.1f">%s</text>'
                % (x1 + 4, mid + 4, esc(row["ratio"]))
            )
        else:
            out.append(
                '<text x="%.1f" y="%.1f" text-anchor="end">%s</text>'
                % (x1 - 4, mid + 4, esc(row["ratio"]))
            )

    xv = x(1.0)
    out.append(
        '<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#212121" stroke-width="1.5"/>'
        % (xv, top - 8, xv, bottom + 2)
    )
    if skipped:
        out.append(
            '<text x="12" y="%d" fill="#555">not charted (no ratio, or zero on both sides): %s</text>'
            % (bottom + 54, esc(", ".join(skipped)))
        )
    if self_rows:
        out.append(
            '<text x="12" y="%d" fill="#555">not charted (TLS / plain TCP of one library, see summary): %d rows</text>'
            % (bottom + 54 + (16 if skipped else 0), len(self_rows))
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default=os.path.join(RESULTS, "latest.txt"))
    ap.add_argument("--output", default=os.path.join(RESULTS, "chart.svg"))
    ap.add_argument("--summary", default=os.path.join(RESULTS, "summary.txt"),
                    help="where to write the header and table ('' to skip)")
    args = ap.parse_args()

    header, table, rows = parse(args.input)
    if not rows:
        sys.exit("bench-chart: no table rows found in %s" % args.input)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(svg_chart(header, rows))
    print("wrote %s (%d rows)" % (args.output, len(rows)))
    if args.summary:
        # Paths inside the checkout are shown relative to it.
        header = [line.replace(ROOT + os.sep, "") for line in header]
        with open(args.summary, "w", encoding="utf-8") as f:
            f.write("\n".join(header + [""] + table) + "\n")
        print("wrote %s" % args.summary)


if __name__ == "__main__":
    main()
