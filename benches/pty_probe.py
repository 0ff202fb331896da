#!/usr/bin/env python3
"""Runs a terminal UI in a pseudo-terminal and measures it from the outside, the way a
person would feel it. Prints one JSON object.

    pty_probe.py [--cols C] [--rows R] [--ready TEXT] [--record TEXT] [--hold SECS]
                 [--probes N] [--open-key K --open-text T --close-key K] [--quit-key K]
                 [--min-elapsed SECS] [--press K --press-ready T] [--idle SECS]
                 -- COMMAND [ARG...]

- first_output_ms: spawn to the first byte on the terminal;
- first_frame_ms: spawn to the first time READY is on screen (default: first output);
- first_record_ms: spawn to RECORD on screen (optional);
- latency_ms: for each probe, OPEN-KEY written to the text OPEN-TEXT drawn (p50/p99);
- cpu_s / peak_rss_kib: the process's user+system CPU time and VmHWM before quitting;
- press_ready_ms: PRESS written (after READY) to PRESS-READY on screen;
- idle_cpu_pct: user+system CPU over IDLE seconds after that, as % of one core.

Text is matched on the output with escape sequences removed, so a styled run of cells
still matches; the terminal is drained continuously so the UI never blocks on writing.
"""

import argparse
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

CSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


class Pty:
    def __init__(self, argv, cols, rows, env):
        self.t0 = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(env)
            os.execvp(argv[0], argv)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.pid, self.fd = pid, fd
        self.tail = b""  # the last stripped bytes, so a text split across reads matches
        self.first_output = None
        self.bytes = 0
        self.exited = False

    def ms(self, t):
        return round((t - self.t0) * 1000, 1)

    def pump(self, timeout):
        """Reads what is there (up to `timeout` s); returns the new stripped text."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:
            self.exited = True
            return b""
        if not chunk:
            self.exited = True
            return b""
        if self.first_output is None:
            self.first_output = time.monotonic()
        self.bytes += len(chunk)
        return CSI.sub(b"", chunk)

    def wait_for(self, text, timeout, since_now=True):
        """Time (monotonic) at which `text` appears in the output, or None."""
        needle = text.encode()
        window = b"" if since_now else self.tail
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.exited:
            new = self.pump(min(0.05, max(0.0, deadline - time.monotonic())))
            if not new:
                continue
            window = (window + new)[-(len(needle) + (1 << 16)):]
            self.tail = window
            if needle in window:
                return time.monotonic()
        return None

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.exited:
            self.pump(min(0.05, max(0.0, end - time.monotonic())))

    def write(self, data):
        os.write(self.fd, data.encode().decode("unicode_escape").encode("latin-1"))

    def usage(self):
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = os.sysconf("SC_CLK_TCK")
            cpu = (int(fields[11]) + int(fields[12])) / ticks
            with open(f"/proc/{self.pid}/status") as f:
                hwm = next((int(l.split()[1]) for l in f if l.startswith("VmHWM:")), None)
            return round(cpu, 3), hwm
        except (OSError, ValueError, IndexError):
            return None, None

    def quit(self, key):
        if key and not self.exited:
            self.write(key)
            end = time.monotonic() + 10
            while time.monotonic() < end:
                self.drain(0.1)
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    return
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cols", type=int, default=120)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--ready")
    parser.add_argument("--record")
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--probes", type=int, default=0)
    parser.add_argument("--open-key", default="?")
    parser.add_argument("--open-text", default="Keys (Esc closes)")
    parser.add_argument("--close-key", default="\\x1b")
    parser.add_argument("--quit-key", default="q")
    parser.add_argument("--min-elapsed", type=float, default=0.0)
    parser.add_argument("--press", help="keys written once READY is shown (e.g. a tab's key)")
    parser.add_argument("--press-ready", help="text that shows the pressed view is complete")
    parser.add_argument("--idle", type=float, default=0.0,
                        help="then measure CPU over this many idle seconds (idle_cpu_pct)")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("argv", nargs="+")
    a = parser.parse_args()
    env = dict(e.split("=", 1) for e in a.env)
    env.setdefault("TERM", "xterm-256color")

    p = Pty(a.argv, a.cols, a.rows, env)
    out = {}
    ready = p.wait_for(a.ready, a.timeout, since_now=False) if a.ready else None
    if not a.ready:
        p.wait_for("", a.timeout)
    out["first_output_ms"] = p.ms(p.first_output) if p.first_output else None
    out["first_frame_ms"] = p.ms(ready) if ready else out["first_output_ms"]
    if a.record:
        seen = p.wait_for(a.record, a.timeout, since_now=False)
        out["first_record_ms"] = p.ms(seen) if seen else None
    if a.press:
        p.write(a.press)
        sent = time.monotonic()
        shown = p.wait_for(a.press_ready, a.timeout, since_now=False) if a.press_ready else None
        out["press_ready_ms"] = round((shown - sent) * 1000, 1) if shown else None
        out["press_ready_from_start_ms"] = p.ms(shown) if shown else None
    if a.idle > 0:
        p.drain(1.0)  # let the first refresh settle
        before, _ = p.usage()
        started = time.monotonic()
        p.drain(a.idle)
        after, _ = p.usage()
        if before is not None and after is not None:
            out["idle_cpu_pct"] = round(100 * (after - before) / (time.monotonic() - started), 2)
    p.drain(a.hold)
    latencies = []
    for _ in range(a.probes):
        p.write(a.open_key)
        sent = time.monotonic()
        shown = p.wait_for(a.open_text, 5.0)
        if shown is not None:
            latencies.append((shown - sent) * 1000)
        p.write(a.close_key)
        p.drain(0.15)
    if a.probes:
        out["probes"] = len(latencies)
        out["latency_p50_ms"] = round(percentile(latencies, 50), 1) if latencies else None
        out["latency_p99_ms"] = round(percentile(latencies, 99), 1) if latencies else None
    left = a.min_elapsed - (time.monotonic() - p.t0)
    if left > 0:
        p.drain(left)
    out["cpu_s"], out["peak_rss_kib"] = p.usage()
    out["elapsed_s"] = round(time.monotonic() - p.t0, 2)
    out["output_bytes"] = p.bytes
    p.quit(a.quit_key)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
