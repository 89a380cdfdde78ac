#!/usr/bin/env bash
# check-rtl.sh VARIANT_DIR [--no-yosys]
#
# Checks that one generated variant's RTL is accepted, warning-free, by the three EDA tools the
# project targets (conventions §4). Reads the source list ("rtl_files", in dependency order) from
# VARIANT_DIR/manifest.json -- never from a hand-kept list -- and runs, inside VARIANT_DIR/rtl:
#
#   verilator  --lint-only -Wall --top-module tsr_array <files>
#              fails on a non-zero exit or on any %Warning / %Error line.
#   iverilog   -g2012 -o /dev/null -s tsr_array <files>
#              fails on a non-zero exit or on any warning line.
#   yosys      hierarchy -check -top tsr_array; proc; synth -top tsr_array; check -assert
#              full log in VARIANT_DIR/yosys_check.log; fails on a non-zero exit (check -assert
#              turns any multiple driver, undriven wire or combinational loop into an error) or
#              on any "Warning:" line in the log.
#
# Yosys cost: `synth -top` without -flatten synthesizes each distinct (parameterized) module once,
# so even the 16x16 'default' variant (256 PEs of one kind) takes ~3-4 s on this machine; the
# full synth pass is therefore used for every variant. (For reference, `synth -flatten` on
# 'default' takes ~110 s -- too slow for a per-variant test and not needed for these checks.)
#
# Prints one line per tool: "PASS <tool>", "FAIL <tool>" (followed by the tool's output) or
# "SKIP <tool>" (tool not on PATH, or yosys with --no-yosys). Exit status: 0 all run tools passed,
# 1 some tool failed, 2 usage / manifest error, 77 nothing failed but a tool was not on PATH
# (CTest reports that as skipped via SKIP_RETURN_CODE).
set -u

usage() {
  echo "usage: $0 VARIANT_DIR [--no-yosys]" >&2
  exit 2
}

variant_dir=""
run_yosys=1
for arg in "$@"; do
  case "$arg" in
    --no-yosys) run_yosys=0 ;;
    -h|--help) usage ;;
    -*) echo "check-rtl: unknown option '$arg'" >&2; usage ;;
    *)
      [[ -z "$variant_dir" ]] || { echo "check-rtl: more than one VARIANT_DIR given" >&2; usage; }
      variant_dir="$arg"
      ;;
  esac
done
[[ -n "$variant_dir" ]] || usage

manifest="$variant_dir/manifest.json"
if [[ ! -f "$manifest" ]]; then
  echo "check-rtl: $manifest not found (generate the variant first: tessera gen ... --out $variant_dir)" >&2
  exit 2
fi
variant_dir="$(cd "$variant_dir" && pwd)"
manifest="$variant_dir/manifest.json"

# The RTL files, one per line, in the manifest's (dependency) order.
if ! rtl_list="$(/usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
files = m.get("rtl_files")
if not isinstance(files, list) or not files:
    sys.exit(sys.argv[1] + ": no \"rtl_files\" list")
top = m.get("top", "tsr_array")
if top not in ("tsr_array", "tsr_top"):
    sys.exit(sys.argv[1] + ": top is \"%s\", expected \"tsr_array\" or \"tsr_top\"" % top)
print(top)
print("\n".join(files))
' "$manifest")"; then
  echo "check-rtl: cannot read the RTL file list from $manifest" >&2
  exit 2
fi
mapfile -t files <<< "$rtl_list"
top="${files[0]}"
files=("${files[@]:1}")

cd "$variant_dir/rtl" || { echo "check-rtl: $variant_dir/rtl missing" >&2; exit 2; }
for f in "${files[@]}"; do
  [[ -f "$f" ]] || { echo "check-rtl: $variant_dir/rtl/$f (listed in manifest.json) is missing" >&2; exit 2; }
done

name="$(basename "$variant_dir")"
failed=0
skipped=0

# Tool output, indented under its FAIL line.
indent() { sed 's/^/  | /'; }

# report TOOL RC OUTPUT BAD_PATTERN: PASS when RC is 0 and OUTPUT has no line matching BAD_PATTERN.
report() {
  local tool="$1" rc="$2" out="$3" bad="$4"
  if [[ "$rc" -eq 0 ]] && ! grep -Eiq "$bad" <<< "$out"; then
    echo "PASS $tool ($name)"
  else
    echo "FAIL $tool ($name): exit $rc"
    [[ -n "$out" ]] && indent <<< "$out"
    failed=1
  fi
}

have() { command -v "$1" > /dev/null 2>&1; }

# (a) Verilator lint, all warnings on.
if have verilator; then
  out="$(verilator --lint-only -Wall -I. --top-module "$top" "${files[@]}" 2>&1)"
  report verilator $? "$out" '^%(Warning|Error)'
else
  echo "SKIP verilator ($name): not on PATH"; skipped=1
fi

# (b) Icarus elaboration.
if have iverilog; then
  out="$(iverilog -g2012 -I. -o /dev/null -s "$top" "${files[@]}" 2>&1)"
  report iverilog $? "$out" 'warning|error'
else
  echo "SKIP iverilog ($name): not on PATH"; skipped=1
fi

# (c) Yosys elaboration, generic synthesis and structural checks.
if [[ "$run_yosys" -eq 0 ]]; then
  echo "SKIP yosys ($name): --no-yosys"
elif have yosys; then
  log="$variant_dir/yosys_check.log"
  # The array gets a full generic synthesis; the accelerator top (when there is one) a structural
  # check with its memories left as memory cells (mapping them to flops would take minutes).
  script='hierarchy -check -top tsr_array; proc; synth -top tsr_array; check -assert'
  if [[ "$top" == "tsr_top" ]]; then
    script="$script; design -reset; read_verilog -I. ${files[*]}; hierarchy -check -top tsr_top; proc; opt_clean; memory -nomap; check -assert"
  fi
  out="$(yosys -q -l "$log" -p "$script" "${files[@]}" 2>&1)"
  rc=$?
  if [[ "$rc" -eq 0 ]] && ! grep -q '^Warning:' "$log" && ! grep -Eiq 'warning|error' <<< "$out"; then
    echo "PASS yosys ($name)"
  else
    echo "FAIL yosys ($name): exit $rc; full log: $log"
    # With -q, yosys copies warnings and errors to stderr; show the log's tail when it did not.
    if [[ -n "$out" ]]; then indent <<< "$out"; else tail -n 20 "$log" | indent; fi
    failed=1
  fi
else
  echo "SKIP yosys ($name): not on PATH"; skipped=1
fi

if [[ "$failed" -ne 0 ]]; then exit 1; fi
if [[ "$skipped" -ne 0 ]]; then exit 77; fi
exit 0
