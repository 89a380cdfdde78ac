#!/usr/bin/python3
"""Unit timeline of one accelerator run from its FST wave.

    build/tessera bench layers --only "25x5x64" --wave /tmp/dw.fst
    scripts/unit-timeline.py /tmp/dw.fst

Prints, in clock cycles from the start of the wave: every command start and done of the load,
execute and store units (tsr_ld, tsr_ex, tsr_st), the busy span of each unit, and how many
cycles the execute unit spent in each state of its sequencer. Reads the wave through `fst2vcd`
(Debian package gtkwave).
"""
import collections
import subprocess
import sys

UNITS = {"u_ld": "load", "u_ex": "execute", "u_st": "store"}
EX_STATES = ["Idle", "Set1", "Set2", "Check", "Pass1", "Pass2", "Pass3", "Stream", "Drain",
             "Params", "ParDrain", "Hold", "Tail", "Wb1", "Wb2", "Wb3"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: unit-timeline.py WAVE.fst")
    try:
        vcd = subprocess.run(["fst2vcd", sys.argv[1]], check=True, capture_output=True,
                             text=True).stdout
    except FileNotFoundError:
        sys.exit("unit-timeline.py: fst2vcd not found (apt-get install gtkwave)")
    except subprocess.CalledProcessError as e:
        sys.exit(f"unit-timeline.py: fst2vcd failed on {sys.argv[1]}: {e.stderr.strip()}")

    wanted = {}  # vcd id -> signal key
    scopes = []
    lines = iter(vcd.splitlines())
    for line in lines:
        if line.startswith("$enddefinitions"):
            break
        if line.startswith("$scope"):
            scopes.append(line.split()[2])
        elif line.startswith("$upscope"):
            scopes.pop()
        elif line.startswith("$var"):
            f = line.split()
            path = scopes + [f[4]]
            if path == ["tsr_top", "clk_i"]:
                wanted[f[3]] = "clk"
            elif len(path) >= 2 and path[-2] in UNITS and path[-3:-2] == ["u_accel"]:
                if f[4] in ("start_i", "done_o", "err_o") or (path[-2] == "u_ex" and
                                                              f[4] == "state_q"):
                    wanted[f[3]] = f"{path[-2]}.{f[4]}"
    if "clk" not in wanted.values() or len(wanted) < 4:
        sys.exit("unit-timeline.py: the wave has no tsr_top with u_ld / u_ex / u_st")

    val = collections.defaultdict(int)
    cycle = 0
    events = []
    states = collections.Counter()
    for line in lines:
        if not line or line[0] in "#$":
            continue
        if line[0] == "b":
            bits, ident = line[1:].split()
            if ident in wanted:
                val[wanted[ident]] = int(bits, 2) if set(bits) <= {"0", "1"} else 0
            continue
        bit, ident = line[0], line[1:]
        key = wanted.get(ident)
        if key is None:
            continue
        if key == "clk":
            if bit == "1":  # sample what was settled before this rising edge
                cycle += 1
                for u in UNITS:
                    for sig, what in (("start_i", "start"), ("done_o", "done"),
                                      ("err_o", "ERROR")):
                        if val[f"{u}.{sig}"]:
                            events.append((cycle, UNITS[u], what))
                states[val["u_ex.state_q"]] += 1
        else:
            val[key] = 1 if bit == "1" else 0

    print(f"{cycle} cycles in the wave")
    span = {}
    for c, unit, what in events:
        lo, hi = span.get(unit, (c, c))
        span[unit] = (min(lo, c), max(hi, c))
    for unit, (lo, hi) in span.items():
        n = sum(1 for e in events if e[1] == unit and e[2] == "start")
        print(f"{unit:8} {n:4} commands, first start {lo}, last event {hi}")
    print("execute states: " + ", ".join(
        f"{EX_STATES[s] if s < len(EX_STATES) else s} {n}" for s, n in sorted(states.items())))
    print("events (cycle unit what):")
    for c, unit, what in events:
        print(f"  {c:7} {unit:8} {what}")


if __name__ == "__main__":
    main()
