#!/usr/bin/env python3
"""Turns the slbench JSON reports written by bench/run into the results table of
docs/benchmarks.md: medians of the runs, SmartLink beside the peer, and their ratio.

Only the standard library: python3 on this machine may be a copy without Debian's modules.
"""

import argparse
import glob
import json
import os
import re
import statistics
import sys
import time

BEGIN = "<!-- bench/run:begin -->"
END = "<!-- bench/run:end -->"


def measured_phase(report):
    """The last phase that is not a warm-up: the one the workload is about."""
    phases = [p for p in report["phases"] if not p["warmup"]]
    return phases[-1] if phases else report["phases"][-1]


def lat(report, key, pct):
    return measured_phase(report)[key][pct]


def metrics(point, r):
    """The figures of one report that matter for its workload: {name: (value, unit)}."""
    p = measured_phase(r)
    out = {}
    sat = p["rate"]["saturated"]
    if point.startswith("echo-ping"):
        for q in ("p50", "p99", "p99.9"):
            out["ping " + q] = (p["ping_ms"][q], "ms")
    elif point.startswith("echo-msg") or point.startswith("durable"):
        for q in ("p50", "p99", "p99.9"):
            out["ack " + q] = (p["ack_ms"][q], "ms")
    elif point.startswith("fanout"):
        for q in ("p50", "p99", "p99.9"):
            out["delivery " + q] = (p["delivery_ms"][q], "ms")
        out["deliveries/s"] = (p["rate"]["delivered_per_s"], "/s")
    elif point.startswith("idle"):
        s = p.get("server") or {}
        out["server RSS per connection"] = (s.get("rss_per_connection_bytes"), "B")
        out["connections"] = (p["connections"]["ready_at_end"], "")
    elif point.startswith("setup"):
        c = p.get("churn") or {}
        out["handshakes/s"] = (c.get("per_s"), "/s")
        out["setup p99"] = ((c.get("setup_ms") or {}).get("p99"), "ms")
        # The server's CPU time per handshake: what the server spends, whichever side (the
        # server or slbench) set the rate.
        cpu = (p.get("server") or {}).get("cpu_percent")
        rate = c.get("per_s")
        out["server CPU per handshake"] = (cpu / 100 / rate * 1e6 if cpu and rate else None, "us")
    elif point.startswith("files"):
        f = p.get("files") or {}
        size = f.get("uploaded_bytes", 0)
        up = (f.get("upload_ms") or {}).get("p50")
        down = (f.get("download_ms") or {}).get("p50")
        n_up, n_down = f.get("uploaded") or 1, f.get("downloaded") or 1
        out["upload MB/s"] = (size / n_up / 1e6 / (up / 1e3) if up else None, "MB/s")
        out["download MB/s"] = (f.get("downloaded_bytes", 0) / n_down / 1e6 / (down / 1e3)
                                if down else None, "MB/s")
        out["server CPU-s per GB"] = (f.get("server_cpu_s_per_gb"), "s")
    elif point.startswith("reconnect"):
        rc = p.get("reconnect") or {}
        out["all caught up"] = (rc.get("all_caught_up_ms"), "ms")
        out["clients caught up"] = (rc.get("caught_up"), "")
    out["_lost"] = (r["totals"]["lost"], "")
    out["_saturated"] = (sat, "")
    out["_generator"] = (p["cpu"]["busiest_loop_thread_percent"], "%")
    server = p.get("server") or {}
    out["_server_cpu"] = (server.get("cpu_percent"), "%")
    return out


def median(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    if isinstance(values[0], bool):
        return any(values)
    return statistics.median(values)


def fmt(value, unit):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "ms":
        return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "B":
        return f"{value / 1024:.1f} KiB"
    if unit == "/s":
        return f"{value / 1000:.1f}k/s" if value >= 1000 else f"{value:.0f}/s"
    if unit in ("MB/s", "%"):
        return f"{value:.0f} {unit}"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "us":
        return f"{value:.0f} µs"
    return f"{value:.0f}" if isinstance(value, (int, float)) else str(value)


def load(results):
    runs = {}  # point -> kind -> [report]
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        m = re.match(r"(.+)\.([a-z-]+)\.(\d+)\.json$", os.path.basename(path))
        if not m:
            continue
        try:
            with open(path) as f:
                report = json.load(f)
        except (OSError, ValueError):
            continue
        runs.setdefault(m.group(1), {}).setdefault(m.group(2), []).append(report)
    return runs


def summarize(point, reports):
    per_run = [metrics(point, r) for r in reports]
    keys = per_run[0].keys()
    return {k: (median([m[k][0] for m in per_run]), per_run[0][k][1]) for k in keys}


TITLES = [
    ("echo-ping", "1. Echo round trip: 10 connections, ping at the offered rate"),
    ("echo-msg", "1. Echo round trip: 100-character msg.send to one-member rooms"),
    ("fanout", "2. Room fan-out: N members, M publishers, deliveries D = P × N"),
    ("idle", "3. Idle connections: 10k authenticated, in 100 rooms"),
    ("setup", "4. Connection setup: 64 concurrent connect-upgrade-auth-join-close loops"),
    ("durable", "5. Durable sends: 100 rooms at the offered rate, ok after the commit"),
    ("files", "6. File transfer: one 256 MiB file up and down"),
    ("reconnect", "7. Reconnect storm: 5000 clients drop at once and catch up with sync"),
]


def smart_kind(kinds):
    for k in ("slserver", "slserver-full", "slserver-tls"):
        if k in kinds:
            return k
    return None


def table(runs, args):
    # Points in the order bench/run ran them (the file "order"), else by name.
    order = []
    path = os.path.join(args.results, "order")
    if os.path.exists(path):
        with open(path) as f:
            order = [line.strip() for line in f if line.strip()]
    order += sorted([p for p in runs if p not in order], key=sort_key)
    lines = []
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines.append(f"Measured {stamp} on {args.machine}, commit `{args.commit}`; "
                 f"median of {args.repeat} run{'s' if args.repeat != 1 else ''} per point"
                 + (" (**--quick**: short runs, figures not meaningful)" if args.quick else "")
                 + ". Server " + ("pinned to CPU 0 and slbench to CPU 1" if args.pinned != "0"
                                  else "and slbench not pinned (no taskset or one CPU)")
                 + ". slserver ran as `slserver --sync normal --rate 0 --max-connections 60000 "
                 "--max-file 1GiB` "
                 "(`--sync full` for durable sends, `--tls-cert`/`--tls-key` for the wss points), "
                 "the peer as `node bench/peer/server.js`: the peer (Node.js, `ws`) keeps "
                 "everything in memory and stores nothing, where slserver commits every message "
                 "to SQLite before its ok.")
    lines.append("")
    lines.append("Ratio = SmartLink ÷ peer: below 1 means SmartLink's figure is lower (better for "
                 "latency and memory, worse for throughput). \"sat.\" marks a run that achieved "
                 "less than 99 % of its offered rate: its latency is not a valid point. "
                 "\"gen.\" is the busiest slbench event-loop thread's CPU use: near 100 % means "
                 "slbench measured itself.")
    for prefix, title in TITLES:
        points = [p for p in order if p in runs and p.startswith(prefix)]
        if not points:
            continue
        lines += ["", f"### {title}", ""]
        lines.append("| point | figure | SmartLink | peer | ratio | lost (SL / peer) "
                     "| sat. (SL / peer) | gen. (SL / peer) |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for point in points:
            kinds = runs[point]
            sk = smart_kind(kinds)
            s = summarize(point, kinds[sk]) if sk else {}
            pe = summarize(point, kinds["peer"]) if "peer" in kinds else {}
            names = [k for k in (s or pe) if not k.startswith("_")]
            for i, name in enumerate(names):
                sv, unit = s.get(name, (None, ""))
                pv, unit2 = pe.get(name, (None, unit))
                unit = unit or unit2
                ratio = "—"
                if isinstance(sv, (int, float)) and isinstance(pv, (int, float)) and pv and \
                        not isinstance(sv, bool):
                    ratio = f"{sv / pv:.2f}"
                label = point + (" (wss)" if sk == "slserver-tls" else "")
                lost = sat = gen = ""
                if i == 0:
                    lost = f"{fmt(s.get('_lost', (None, ''))[0], '')} / " \
                           f"{fmt(pe.get('_lost', (None, ''))[0], '')}"
                    sat = f"{fmt(s.get('_saturated', (None, ''))[0], '')} / " \
                          f"{fmt(pe.get('_saturated', (None, ''))[0], '')}"
                    gen = f"{fmt(s.get('_generator', (None, '%'))[0], '%')} / " \
                          f"{fmt(pe.get('_generator', (None, '%'))[0], '%')}"
                lines.append(f"| {label if i == 0 else ''} | {name} | {fmt(sv, unit)} | "
                             f"{fmt(pv, unit)} | {ratio} | {lost} | {sat} | {gen} |")
        lines += [""] + derived(prefix, runs)
        cmds = []
        for point in points:
            path = os.path.join(args.results, point + ".cmd")
            if os.path.exists(path):
                with open(path) as f:
                    cmds.append(f"{point}: {f.read().strip()}")
        if cmds:
            lines += ["", "<details><summary>commands</summary>", "", "```"] + cmds + ["```", "",
                                                                                   "</details>"]
    return "\n".join(lines).rstrip() + "\n"


def sort_key(point):
    nums = [int(n) for n in re.findall(r"\d+", point)]
    return (re.sub(r"\d+", "", point), nums)


def derived(prefix, runs):
    """The "highest rate under a latency bound" lines BENCHMARKS.md asks for."""
    def best(points, key, bound, rate_of, kinds):
        ok = []
        for point in points:
            for kind in kinds:
                if kind not in runs.get(point, {}):
                    continue
                s = summarize(point, runs[point][kind])
                v = s.get(key, (None, ""))[0]
                if v is not None and v < bound and not s["_saturated"][0]:
                    ok.append(rate_of(point))
        return max(ok) if ok else None

    def line(what, points, key, bound, rate_of=lambda p: int(p.rsplit("-", 1)[1])):
        # SmartLink ran as slserver, or as slserver-full (--sync full) for durable sends.
        sl = best(points, key, bound, rate_of, ("slserver", "slserver-full"))
        peer = best(points, key, bound, rate_of, ("peer",))
        return (f"{what}: SmartLink {fmt(sl, '/s')}, peer {fmt(peer, '/s')} "
                "(of the rates tried).")

    if prefix == "echo-ping":
        pts = [p for p in runs if p.startswith("echo-ping-")]
        return [line("Highest offered ping rate with p99 under 1 ms", pts, "ping p99", 1.0)]
    if prefix == "fanout":
        pts = [p for p in runs if p.startswith("fanout-ladder-") or p == "fanout-n100-m10"]
        rate = lambda p: 10000 if p == "fanout-n100-m10" else int(p.rsplit("-", 1)[1])
        return [line("Highest deliveries per second with p99 under 50 ms (N = 100, M = 10)",
                     pts, "delivery p99", 50.0, rate)]
    if prefix == "durable":
        pts = [p for p in runs if p.startswith("durable-")]
        return [line("Highest send rate with an ack p99 under 10 ms", pts, "ack p99", 10.0)]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--machine", default="unknown")
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--pinned", default="0")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    runs = load(args.results)
    if not runs:
        sys.exit("tabulate: no reports in " + args.results)
    body = BEGIN + "\n" + table(runs, args) + END
    text = ""
    if os.path.exists(args.out):
        with open(args.out) as f:
            text = f.read()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + body + text[text.index(END) + len(END):]
    else:
        text = text + ("\n" if text else "") + "## Results\n\n" + body + "\n"
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
