#!/usr/bin/env bash
# core-area.sh VARIANT_RTL_DIR OUT_DIR [LIBERTY]
#
# Yosys area of the escape core (rtl/tsr_core.v) on Nangate45, with the M extension on and off.
# The tightly coupled memories (tsr_sram_1r1w instances) are black boxes: macros, not counted. The
# register file (31 x 32 flip-flops, one clock-gating cell CLKGATE_X1 per register instead of a
# hold multiplexer per bit: scripts/synth/tsr_clk_gate_nangate45.v) is logic and is counted. Trace = 0 (no retire-trace
# registers). Prints one line per configuration: area in um^2 and kGE (1 kGE = 798 um^2 = 1000
# NAND2_X1). VARIANT_RTL_DIR supplies the generated tsr_memmap.vh (e.g. build/gen/default/rtl).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
vdir=$1
out=$2
lib=${3:-${TSR_LIBERTY:-$here/../shared/liberty/nangate45_typ.lib.gz}}
mkdir -p "$out"
case "$lib" in
  *.gz) gunzip -c "$lib" > "$out/nangate45.lib"; lib="$out/nangate45.lib" ;;
esac
for m in 1 0; do
  cat > "$out/core_m$m.ys" <<YS
read_liberty -lib $lib
read_verilog -I$vdir $here/rtl/tsr_core.v $here/rtl/tsr_core_muldiv.v
read_verilog $here/scripts/synth/tsr_clk_gate_nangate45.v
read_verilog -lib $here/rtl/tsr_sram_1r1w.v
chparam -set MExt $m -set Trace 0 tsr_core
hierarchy -check -top tsr_core
synth -top tsr_core -flatten
dfflibmap -liberty $lib
abc -liberty $lib
opt_clean -purge
tee -o $out/core_m$m.stat stat -liberty $lib
YS
  yosys -q -l "$out/core_m$m.log" "$out/core_m$m.ys" > /dev/null
  area=$(awk '/Chip area for module/ {a=$NF} END {print a}' "$out/core_m$m.stat")
  ffs=$(grep -E '^\s+DFF' "$out/core_m$m.stat" | awk '{s+=$2} END {print s+0}')
  printf 'tsr_core MExt=%s: %s um^2, %.2f kGE (%s flip-flops; TCMs black-boxed)\n' "$m" "$area" \
    "$(echo "$area / 798" | bc -l)" "$ffs"
done
