// tessera: execute unit. Runs MATMUL on the weight-stationary array, VECTOR on C vector lanes and
// PARAMS into the store unit's requantization parameter sets.
//
// One window walker serves MATMUL and VECTOR: for every pass (MATMUL: chunk c, tap ky, kx;
// VECTOR: tap ky, kx) it walks the output pixels in row-major order with incremental input
// coordinates and scratchpad addresses (no multiplier on the per-pixel path). A pixel inside the
// input reads its scratchpad row through port a; a padded pixel reads nothing and becomes a vector
// of the pad value, one cycle later, in order. MATMUL: the vectors feed the array's activation
// stream (a_last on each pass's last pixel), a separate feeder streams each pass's weight tile
// (rows R-1 .. 0) through port w, and the results, which leave the array in input order, are
// written or added to accumulator rows by an output counter. VECTOR: the lanes compute and write
// the accumulator five cycles later; nothing downstream can stall them. Commands are checked
// (fields, scratchpad and accumulator extents) before the first read.
//
// Back-to-back MATMULs overlap: once a MATMUL has issued its last activation and weight row, the
// unit is ready (ready_o) for the next command while the array drains.
//
// Depthwise VECTORs with k_w <= 3 (and out_w < 4096) run as a row FIR: one pass per kernel row
// instead of per tap. Each output row's input span ((out_w - 1) * s_w + k_w pixels) is read once,
// left to right; every lane keeps the last two pixels of its channel and, at the pixels where an
// output's window ends, multiplies the three with the kernel row's taps (k_w MACs per lane per
// output, one read per cycle). Results are identical to the per-tap walk (exact integer sums).
// With `mirror` (the input was loaded into both banks of a pair) a pass covers two kernel rows:
// port a reads row ky from the input, port w row ky + 1 from the copy in the partner bank, and
// the lanes keep a window per row (2 * k_w MACs per lane per output). The second row's tap
// weights are fetched in three extra setup cycles (StWb1..3) per pass.
// Three-row FIR (k_h = 3, s_h <= 2, mirror, row span 2..LinePx pixels): a single pass instead of
// two. A line buffer keeps the row one output row needs from the row above it, so every output
// row reads only two rows: port a kernel row 1, port w kernel row 2 (partner bank), the line
// buffer kernel row 0. The pass walks out_h + 1 rows: the first (priming) row reads kernel row 0
// of output row 0 into the line buffer and emits nothing; after it, the line buffer is written
// with the row the next output row will need as its kernel row 0 (port a's row for s_h = 1, port
// w's for s_h = 2). The lanes then keep a window per row (3 * k_w MACs per lane per output); the
// products of each row are summed and registered before the three row sums are added (the
// lane latency VecLat is unchanged). Kernel row 0's taps are fetched in StWz1..3.
// The output side then works
// from a two-entry queue of output contexts (accumulator base, accumulate flag, pixels, results)
// and reports done_o per MATMUL when its last result is written. PARAMS also runs while MATMULs
// drain (it uses neither the array nor the accumulator); its completion is reported once every
// older MATMUL has reported, because the sequencer retires commands in start order. VECTOR waits
// until no MATMUL result is outstanding (it shares the accumulator write port). Completions that
// fall in the same cycle are reported on consecutive cycles (done_o is one pulse per command).
//
// Zero-skip arrays (SkipDepth > 0, docs/skip.md): the array subtracts the zero point itself
// (arr_zp_o, the MATMUL's in_zp) and a beat is one pixel of ADepth (D) chunks. With D > 1 a pass
// covers chunk group g (chunks D*g .. D*g+D-1) of one tap: lane group j of the beat is read from
// row + j of copy j of the input (row XOR j*SpBankRows: the input was loaded with LOAD mirror, which
// writes the partner bank, or all four banks on a depth-4 variant). Group 0 comes through port a,
// group D-1 through port w (before the weight feeder, which fills the gaps), groups 1 and 2 of a
// depth-4 array through the x ports. Tap groups: with one chunk (or two on a depth-4 array) and
// k_w > 1 a pass covers T = D / chunks taps instead, in flattened order f = ky*k_w + kx across
// kernel rows (taps f0 .. f0+T-1, f0 a multiple of T; ceil(k_h*k_w / T) passes); lane group j is
// chunk j mod chunks of tap f0 + j / chunks: row + j, or when that tap is on the next kernel row,
// row + j + (in_w - k_w) * chunks (one input row down). A pass takes D*R weight rows; the
// MATMUL's `skip` bit drives the array's skip enable.
module tsr_ex #(
  parameter Rows     = 4,
  parameter Cols     = 4,
  parameter RowBytes = 4,   // scratchpad row bytes, max(Rows, Cols)
  parameter SpRows   = 256,
  parameter SpBankRows = 256,  // mirror partner of row r: r XOR SpBankRows
  parameter SpBanks  = 1,
  parameter AccRows  = 64,
  parameter SpAW     = 16,
  parameter AccAW    = 16,
  parameter SkipDepth = 0,  // 0: dense array; 1, 2 or 4: zero-skip array taking SkipDepth chunks a beat
  parameter LinePx   = 0,   // depthwise line buffer: longest row span of the three-row FIR
  parameter ADepth   = (SkipDepth > 0) ? SkipDepth : 1  // derived: chunks per array beat
) (
  input  wire                  clk_i,
  input  wire                  rst_ni,
  input  wire                  start_i,
  input  wire [255:0]          cmd_i,
  output wire                  done_o,
  output wire                  ready_o,     // may start the command on cmd_i (MATMUL overlap)
  output wire                  free_o,      // no longer reads cmd_i
  output wire                  err_o,
  output wire [7:0]            err_code_o,
  output wire                  busy_o,      // issued a row (array, lanes or params) this cycle
  output wire                  array_row_o, // an activation vector entered the array
  output wire                  vec_row_o,   // a row entered the vector lanes
  // scratchpad read ports
  output wire                  a_req_o,
  output wire [SpAW-1:0]       a_addr_o,
  input  wire                  a_gnt_i,
  input  wire [8*RowBytes-1:0] a_rdata_i,
  output wire                  w_req_o,
  output wire [SpAW-1:0]       w_addr_o,
  input  wire                  w_gnt_i,
  input  wire [8*RowBytes-1:0] w_rdata_i,
  // depth-4 zero skip: lane groups 1 and 2 of a beat (tied off otherwise)
  output wire [1:0]            x_req_o,
  output wire [2*SpAW-1:0]     x_addr_o,
  input  wire [1:0]            x_gnt_i,
  input  wire [16*RowBytes-1:0] x_rdata_i,
  // array
  output wire                  arr_a_valid_o,
  input  wire                  arr_a_ready_i,
  output wire                  arr_a_last_o,
  output wire [8*Rows*ADepth-1:0] arr_a_data_o,
  output wire [7:0]            arr_zp_o,     // skip array: zero point of the beats in flight
  output wire                  arr_skip_o,   // skip array: skip zero activations
  output wire                  arr_b_valid_o,
  input  wire                  arr_b_ready_i,
  output wire [8*Cols-1:0]     arr_b_data_o,
  input  wire                  arr_c_valid_i,
  output wire                  arr_c_ready_o,
  input  wire [32*Cols-1:0]    arr_c_data_i,
  // accumulator write port
  output wire                  acc_wr_valid_o,
  output wire                  acc_wr_accum_o,
  output wire                  acc_wr_max_o,
  output wire [AccAW-1:0]      acc_wr_addr_o,
  output wire [32*Cols-1:0]    acc_wr_data_o,
  // parameter writes to the store unit
  output wire                  pw_valid_o,
  output wire [1:0]            pw_set_o,
  output wire [1:0]            pw_kind_o,   // 0 bias, 1 multiplier, 2 shift
  output wire [7:0]            pw_idx_o,    // row within the kind
  output wire [8*RowBytes-1:0] pw_data_o
);

`include "tsr_isa.vh"

  localparam integer NB       = (4 * Cols + RowBytes - 1) / RowBytes;  // rows per int32 vector
  localparam integer ParRows  = 2 * NB + 1;
  localparam integer FifoD    = 4;
  localparam integer VecLat   = 5;   // lane pipeline depth (tsr_requant)
  localparam integer SpRowsI  = SpRows;
  localparam integer AccRowsI = AccRows;
  localparam [31:0]  SpRows32 = SpRowsI[31:0];
  // Zero-skip arrays (docs/skip.md): a beat carries ADepth chunks of one pixel, chunk j of the
  // group in lanes j*R..j*R+R-1; a pass (chunk group g, tap) takes WRows weight rows.
  localparam integer WRowsI   = Rows * ADepth;
  localparam [31:0]  WRows32  = WRowsI;
  localparam [SpAW-1:0] WRowsW = WRows32[SpAW-1:0];
  localparam [31:0]  SpBankRows32 = SpBankRows;
  localparam [SpAW-1:0] SpBankRowsW = SpBankRows32[SpAW-1:0];  // 0 with one bank
  localparam         SkipOn   = (SkipDepth > 0) ? 1'b1 : 1'b0;
  localparam         HasC1    = (ADepth > 1) ? 1'b1 : 1'b0;
  localparam integer ALog     = (ADepth == 4) ? 2 : ((ADepth == 2) ? 1 : 0);

  localparam [4:0] StIdle = 5'd0, StSet1 = 5'd1, StSet2 = 5'd2, StCheck = 5'd3, StPass1 = 5'd4,
                   StPass2 = 5'd5, StPass3 = 5'd6, StStream = 5'd7, StDrain = 5'd8,
                   StParams = 5'd9, StParDrain = 5'd10, StHold = 5'd11, StTail = 5'd12,
                   StWb1 = 5'd13, StWb2 = 5'd14, StWb3 = 5'd15, StWz1 = 5'd16, StWz2 = 5'd17,
                   StWz3 = 5'd18, StSet3 = 5'd19;
  localparam integer LineD  = (LinePx < 2) ? 2 : LinePx;
  localparam integer LineAW = $clog2(LineD);
  localparam [31:0]  LineMax = (LinePx < 2) ? 32'd0 : LinePx;

  // ---- command fields ---------------------------------------------------------------------------
  // The command runs from cmd_q, captured from the offer (cmd_i) when it starts; the offer is then
  // released (free_o) once the command has passed its checks, so the sequencer can offer the next
  // one while this one streams. Decisions about the offered command use the l_* fields of cmd_i.
  reg  [255:0] cmd_q;
  wire [7:0]  l_opcode, l_pad;
  wire [15:0] l_w_addr, l_par_addr;
  wire [1:0]  l_par_set;
  wire        l_is_mm, l_is_par, l_is_vec, l_skip;
  assign l_opcode = cmd_i[TSR_F_OPCODE_LSB +: 8];
  assign l_is_mm  = (l_opcode == TSR_OP_MATMUL[7:0]);
  assign l_is_par = (l_opcode == TSR_OP_PARAMS[7:0]);
  assign l_is_vec = (l_opcode == TSR_OP_VECTOR[7:0]);
  assign l_pad    = cmd_i[TSR_F_MATMUL_IN_ZP_LSB +: 8];
  assign l_skip   = cmd_i[TSR_F_MATMUL_SKIP_LSB];
  assign l_w_addr = cmd_i[TSR_F_MATMUL_W_ADDR_LSB +: 16];
  assign l_par_addr = cmd_i[TSR_F_PARAMS_SP_ADDR_LSB +: 16];
  assign l_par_set  = cmd_i[TSR_F_PARAMS_PSET_LSB +: 2];
  wire [7:0]  opcode;
  wire        is_mm, is_vec, is_par;
  wire        accumulate;
  wire [2:0]  vmode;
  wire [15:0] in_addr, w_addr, acc_addr, in_h, in_w, out_h, out_w;
  wire [7:0]  k_h, k_w, pad_val, chunks, pitch_f;
  wire [3:0]  s_h, s_w, p_t, p_l;
  wire [15:0] par_addr;
  wire [1:0]  par_set;
  wire [7:0]  pitch;
  wire [15:0] nchunks, ngroups;
  wire        skip_f, skip_pair, tpair, kx_end;
  wire [15:0] kstep;
  // tap groups: the next pass's first tap in flattened (ky, kx) order, and whether this pass is
  // the chunk group's last
  wire [15:0] fkx1, fkx2, fkx3, fnkx, fnky;
  wire        fw1, fw2, tg_end;

  assign opcode     = cmd_q[TSR_F_OPCODE_LSB +: 8];
  // The opcode decodes are registers set with cmd_q (the same values: cmd_q changes only there),
  // so the many paths behind them (operand pitch, walker, ready_o) start at a flip-flop.
  reg         is_mm_q, is_vec_q, is_par_q;
  wire [7:0]  unused_opcode;
  assign unused_opcode = opcode;
  assign is_mm      = is_mm_q;
  assign is_vec     = is_vec_q;
  assign is_par     = is_par_q;
  assign accumulate = cmd_q[TSR_F_MATMUL_ACCUMULATE_LSB];
  assign vmode      = cmd_q[TSR_F_VECTOR_VMODE_LSB +: 3];
  assign in_addr    = cmd_q[TSR_F_MATMUL_IN_ADDR_LSB +: 16];
  assign w_addr     = cmd_q[TSR_F_MATMUL_W_ADDR_LSB +: 16];
  assign acc_addr   = cmd_q[TSR_F_MATMUL_ACC_ADDR_LSB +: 16];
  assign pad_val    = cmd_q[TSR_F_MATMUL_IN_ZP_LSB +: 8];
  assign chunks     = cmd_q[TSR_F_MATMUL_CHUNKS_LSB +: 8];
  assign pitch_f    = cmd_q[TSR_F_VECTOR_PITCH_LSB +: 8];
  assign in_h       = cmd_q[TSR_F_MATMUL_IN_H_LSB +: 16];
  assign in_w       = cmd_q[TSR_F_MATMUL_IN_W_LSB +: 16];
  assign out_h      = cmd_q[TSR_F_MATMUL_OUT_H_LSB +: 16];
  assign out_w      = cmd_q[TSR_F_MATMUL_OUT_W_LSB +: 16];
  assign k_h        = cmd_q[TSR_F_MATMUL_K_H_LSB +: 8];
  assign k_w        = cmd_q[TSR_F_MATMUL_K_W_LSB +: 8];
  assign s_h        = cmd_q[TSR_F_MATMUL_STRIDE_H_LSB +: 4];
  assign s_w        = cmd_q[TSR_F_MATMUL_STRIDE_W_LSB +: 4];
  assign p_t        = cmd_q[TSR_F_MATMUL_PAD_TOP_LSB +: 4];
  assign p_l        = cmd_q[TSR_F_MATMUL_PAD_LEFT_LSB +: 4];
  assign par_addr   = cmd_q[TSR_F_PARAMS_SP_ADDR_LSB +: 16];
  assign par_set    = cmd_q[TSR_F_PARAMS_PSET_LSB +: 2];
  assign pitch      = is_mm ? chunks : pitch_f;
  assign fir        = is_vec && (vmode == TSR_VECTOR_MODE_DW[2:0]) && (k_w <= 8'd3) &&
                      (out_w < 16'd4096);
  assign mirror_f   = cmd_q[TSR_F_VECTOR_MIRROR_LSB];
  assign dual       = fir && mirror_f;
  assign skip_f     = cmd_q[TSR_F_MATMUL_SKIP_LSB];
  // chunk groups of a MATMUL (passes per tap): chunks on the dense array, ceil(chunks / D) when a
  // beat carries D chunks (the others read from the mirrored copies)
  assign ngroups    = ({8'd0, chunks} + ADepth - 16'd1) >> ALog;
  // Tap groups: one chunk (cin <= R; or two on a depth-4 array) and k_w > 1: a pass covers
  // T = D / chunks taps (flattened ky*k_w + kx order, across kernel rows) from the mirrored copies.
  assign tpair      = HasC1 && is_mm && (k_w > 8'd1) &&
                      ((chunks == 8'd1) || ((ADepth == 4) && (chunks == 8'd2)));
  assign skip_pair  = HasC1 && is_mm && ((chunks > 8'd1) || tpair);
  assign nchunks    = is_mm ? ngroups : 16'd1;

  // ---- state --------------------------------------------------------------------------------------
  reg  [4:0]  state_q, state_d;
  // setup products
  reg  [31:0] npix_q, m_q, m_m1_q, taps_q, stepx_q, syw_q, spanm_q, rowlen_m1_q;
  reg  [47:0] in_ext_q, w_ext_q;
  reg  [8:0]  in_sub_q;
  reg  [31:0] stepy_q, passes_q;
  // The setup products over three cycles, at most one 8-bit-wide multiplier operand each
  // (StSet1 -> StSet2 -> StSet3; a 16-row product and its 32-bit add do not fit one 2 ns cycle on
  // Nangate45): partial products of m = out_h * out_w and npix = in_h * in_w (StSet1), the
  // passes * m partial products (StSet3), the pitch as a register (StSet1).
  reg  [23:0] m_lo_q, m_hi_q, np_lo_q, np_hi_q;
  reg  [31:0] tot0_q;
  reg  [23:0] tot1_q;
  reg  [15:0] tot2_q;
  reg  [7:0]  pitch_q;
  // pass counters
  reg  [15:0] c_q, ky_q, kx_q;
  reg  [31:0] pass_q;
  reg  [31:0] t_q;            // iy0 * in_w + ix0 (signed)
  reg  [31:0] trow_q;         // iy0 * in_w - p_l: t_q less kx_q, kept beside ky_q (see trow_n)
  reg  [31:0] base_q;         // scratchpad address of pixel (0, 0) of this pass (signed)
  // pixel walker
  reg  [15:0] oy_q, ox_q;
  reg  [31:0] iy_q, ix_q, rowaddr_q, addr_q, m_idx_q;
  // row FIR (depthwise): next pixel of the row that ends an output window; tap of the pass
  reg  [15:0] nxt_q;
  wire        fir, fir_emit, last_px, row_end, mirror_f, dual;
  // three-row FIR: chosen in StSet2; prime: the pass's first (priming) row
  reg         row3_q;
  wire        row3, row3_d, prime;
  // dual: the second kernel row of the pass (row B) and its read address in the partner bank
  reg  [31:0] rowstep_q;
  reg  [31:0] rowjump_q;      // tap groups: (in_w - k_w) * pitch, one kernel row down
  wire        rowb, px_valid_b, b_req;
  // The scratchpad requests leave registers (the grant of port a depends on port w's request and
  // bank, and the walker advances on that grant): the pixel's range checks are kept beside its
  // coordinates (rok_q: iy_q inside the input, cok_q: ix_q, rbok_q: iy_q + 1, row B of a dual
  // pass), and row B's address beside addr_q / rowaddr_q (addrb_q, rowaddrb_q: + rowstep_q; dual
  // VECTORs only, so the MATMUL fast pass start leaves them alone).
  reg         rok_q, cok_q, rbok_q;
  reg  [SpAW-1:0] addrb_q, rowaddrb_q;
  // weight feeder
  // wfa_q: scratchpad row of the next weight row (the tile's base + wj_q)
  reg  [31:0] wleft_q;
  // wzero_q == (wleft_q == 0), kept beside it: the feeder's and the look-ahead's decisions start at
  // a flip-flop, not behind a 32-bit zero test (they go on into the unit sequencer)
  reg         wzero_q;
  wire [31:0] wleft_set;
  reg  [SpAW-1:0] wfa_q;
  reg  [15:0] wj_q;
  // output side
  reg  [31:0] out_m_q, out_pass_q, outs_q, total_q;
  reg  [31:0] outs1_q;        // outs_q + 1, kept beside it (the last-result compare has no adder)
  // MATMUL output contexts: entry 0 is the command whose results leave the array now.
  reg  [1:0]  ctx_n_q;
  reg         pf_q;           // a look-ahead MATMUL is taken and waits on cmd_i (see la_ok)
  reg  [15:0] ctx0_acc_q, ctx1_acc_q;
  reg         ctx0_accum_q, ctx1_accum_q;
  reg  [31:0] ctx0_m_q, ctx1_m_q;
  reg  [31:0] ctx0_total_q, ctx1_total_q;
  wire        ctx_push, ctx_pop;
  // params: the engine that copies a parameter set (row prow_q at scratchpad row pea_q)
  reg  [7:0]  prow_q;
  reg         pe_busy_q, pe_fin1_q, pe_fin2_q;
  reg  [SpAW-1:0] pea_q;
  reg  [1:0]  pe_set_q;
  wire        pe_any, pe_last, pe_start;
  // error
  reg  [7:0]  err_code_d;
  reg         err_d, done_d;

  // ---- setup arithmetic -----------------------------------------------------------------------------
  wire [31:0] iy0, ix0;
  wire        last_m, last_pass, px_valid, issue, pass_end;
  wire        a_conflict;  // port w reads port a's bank this cycle (see the port w section)
  wire        fields_bad, sp_bad, acc_bad;
  wire [47:0] in_end, w_end;
  wire [31:0] acc_end;

  assign iy0 = {16'd0, ky_q} - {28'd0, p_t};
  assign ix0 = {16'd0, kx_q} - {28'd0, p_l};

  // MATMUL pass setup in the shadow of the stream: the next pass's (chunk, tap), its first input
  // coordinates and base address are computed while this pass streams (two cycles, pre_q), so
  // after the last pixel the walker continues with the next pass without the StPass1..3 bubble.
  reg  [31:0] nt_q, nbase_q;
  reg  [1:0]  pre_q;
  wire [15:0] nkx, nky, nc;
  wire [31:0] niy0, nix0;
  wire        fast_next;
  // taps a pass covers: T = D / chunks for tap groups
  assign kstep = !tpair ? 16'd1 : (((ADepth == 4) && (chunks == 8'd1)) ? 16'd4 : 16'd2);
  assign kx_end = (kx_q == {8'd0, k_w} - 16'd1);
  // Tap groups run the taps in flattened order ky*k_w + kx, T a pass, across kernel rows: the
  // next pass starts T taps on (k_w >= 2 and T <= 4: at most two row wraps).
  assign fkx1 = kx_q + kstep;
  assign fw1  = (fkx1 >= {8'd0, k_w});
  assign fkx2 = fkx1 - {8'd0, k_w};
  assign fw2  = fw1 && (fkx2 >= {8'd0, k_w});
  assign fkx3 = fkx2 - {8'd0, k_w};
  assign fnkx = fw2 ? fkx3 : (fw1 ? fkx2 : fkx1);
  assign fnky = ky_q + {15'd0, fw1} + {15'd0, fw2};
  assign tg_end = (fnky >= {8'd0, k_h});
  assign nkx  = tpair ? (tg_end ? 16'd0 : fnkx) : (kx_end ? 16'd0 : kx_q + 16'd1);
  assign nky  = tpair ? (tg_end ? 16'd0 : fnky) :
                (!kx_end ? ky_q : ((ky_q == {8'd0, k_h} - 16'd1) ? 16'd0 : ky_q + 16'd1));
  assign nc   = (tpair ? tg_end : (kx_end && (ky_q == {8'd0, k_h} - 16'd1))) ? c_q + 16'd1
                                                                                  : c_q;
  assign niy0 = {16'd0, nky} - {28'd0, p_t};
  assign nix0 = {16'd0, nkx} - {28'd0, p_l};
  // The next pass's t (niy0 * in_w + nix0) without a multiplier behind the tap counters: trow_q
  // holds (ky_q - p_t) * in_w - p_l, and the next pass's kernel row is row 0 (trow0) or
  // ky_q + 0, 1 or 2 (trow_q + 0, in_w or 2 * in_w); nt = trow_n + nkx. trow_q follows every
  // write of ky_q (valid from StCheck on, while cmd_q holds the command).
  wire [31:0] inw, trow0, trow_n, trow_v;
  wire        nky0;
  wire [1:0]  nkyd;
  assign inw    = {16'd0, in_w};
  assign trow0  = 32'd0 - {28'd0, p_t} * inw - {28'd0, p_l};
  assign nky0   = tpair ? tg_end : (kx_end && (ky_q == {8'd0, k_h} - 16'd1));
  assign nkyd   = tpair ? {fw2, fw1 && !fw2} : {1'b0, kx_end};  // nky - ky_q unless nky0
  assign trow_n = nky0 ? trow0 : trow_q + ((nkyd == 2'd2) ? {inw[30:0], 1'b0} :
                                           (nkyd == 2'd1) ? inw : 32'd0);
  // VECTOR passes: ky_q back to 0 or on by 1 (2 for dual)
  assign trow_v = (ky_q + (dual ? 16'd1 : 16'd0) >= {8'd0, k_h} - 16'd1) ? trow0 :
                  trow_q + (dual ? {inw[30:0], 1'b0} : inw);

  assign fields_bad = (in_h == 16'd0) || (in_w == 16'd0) || (out_h == 16'd0) ||
                      (out_w == 16'd0) || (k_h == 8'd0) || (k_w == 8'd0) || (s_h == 4'd0) ||
                      (s_w == 4'd0) || (pitch == 8'd0) || (is_vec && (vmode > 3'd3)) ||
                      (is_vec && mirror_f && (!fir || (SpBanks < 2))) ||
                      (skip_pair && (SpBanks < ADepth));
  // three-row FIR: k_h = 3, s_h 1 or 2, a row span (spanm_q + k_w, valid in StSet2) the line
  // buffer holds and of at least two pixels (the read-first line buffer needs one cycle between a
  // position's write and its next read)
  assign row3_d   = dual && (k_h == 8'd3) && ((s_h == 4'd1) || (s_h == 4'd2)) &&
                   (spanm_q + {24'd0, k_w} >= 32'd2) && (spanm_q + {24'd0, k_w} <= LineMax);
  assign in_end  = {32'd0, in_addr} + in_ext_q;
  assign w_end   = {32'd0, w_addr} + w_ext_q;
  assign acc_end = {16'd0, acc_addr} + m_q;
  // mirror: the input rows must stay in one bank (first and last row in the same bank)
  wire [31:0] in_last;
  wire        in_cross;
  assign in_last  = in_end[31:0] - 32'd1;
  assign in_cross = ((is_vec && mirror_f) || skip_pair) &&
                    (({16'd0, in_addr} / SpBankRows) != (in_last / SpBankRows));
  assign sp_bad  = in_cross || (in_end[47:32] != 16'd0) || (in_end[31:0] > SpRows32) ||
                   (w_end[47:32] != 16'd0) || (w_end[31:0] > SpRows32);
  assign acc_bad = (acc_end > AccRowsI);

  // ---- activation issue -------------------------------------------------------------------------
  // Credits bound what is in flight towards the array FIFO (MATMUL only).
  reg  [3:0] a_cred_q;
  wire [3:0] a_cred_d;
  wire       a_fifo_pop, a_fifo_push, a_fifo_ready, a_fifo_valid, unused_a_full;
  reg        s1_valid_q, s1_pad_q, s1_last_q;
  reg  [31:0] s1_m_q, s1_pass_q;

  // Range checks of the walker's next pixel, for each way the walker moves (registered in
  // rok_q / cok_q / rbok_q with the coordinates): the pass's first pixel (iy0, ix0), the next
  // output row (iy_row, ix0), the next pixel of the row (ix_col), the next pass's first pixel
  // (niy0, nix0).
  function automatic in_rng(input [31:0] v, input [15:0] lim);
    in_rng = !v[31] && (v < {16'd0, lim});
  endfunction
  wire [31:0] iy_row, iyb_row, ix_col, rowaddr_nx;
  assign iy_row     = iy_q + (prime ? 32'd1 : {28'd0, s_h});
  assign iyb_row    = iy_q + (prime ? 32'd2 : {27'd0, {1'b0, s_h} + 5'd1});  // iy_row + 1
  assign ix_col     = ix_q + (fir ? 32'd1 : {28'd0, s_w});
  assign rowaddr_nx = rowaddr_q + (prime ? rowstep_q : stepy_q);
  wire [SpAW-1:0] rowstep_nx;  // the same step for row B's address
  assign rowstep_nx = prime ? rowstep_q[SpAW-1:0] : stepy_q[SpAW-1:0];
  assign px_valid  = rok_q && cok_q;
  // m_m1_q = m_q - 1 (StSet3) and rowlen_m1_q (the row length - 1, StSet2) are registers, so
  // the walker's end-of-pass and end-of-row compares start at registers.
  assign last_m    = (m_idx_q == m_m1_q);
  assign row_end   = ({16'd0, ox_q} == rowlen_m1_q);
  assign fir_emit  = (ox_q == nxt_q);
  assign row3       = row3_q && dual;
  assign prime     = row3 && (oy_q == 16'd0);
  assign last_px   = fir ? (row_end && (oy_q == out_h - (row3 ? 16'd0 : 16'd1))) : last_m;
  assign last_pass = (pass_q == passes_q - 32'd1);
  wire can_issue   = (state_q == StStream) && (!is_mm || (a_cred_q != 4'd0));
  assign a_req_o   = can_issue && px_valid && !a_conflict;
  assign a_addr_o  = addr_q[SpAW-1:0];
  assign rowb       = dual && (ky_q + 16'd1 < {8'd0, k_h});
  assign px_valid_b = rowb && !prime && rbok_q && cok_q;
  assign b_req      = can_issue && px_valid_b;
  // Skip arrays with D chunks a beat: lane group j >= 1 of the pixel from copy j (row + j, XOR
  // j*SpBankRows); group D-1 (c1) takes port w before the weight feeder, groups 1 and 2 of a
  // depth-4 array the x ports. Past the last chunk, or outside the input / past k_w for a tap
  // group: the zero point.
  wire [ADepth-1:0]    cj_valid;
  wire [32*ADepth-1:0] cj_addr;
  wire        c1_valid, c1_req, x_ok;
  wire [31:0] addr_c1;
  wire        unused_cj_addr;  // bits above the scratchpad (checked in StCheck); group 0 is addr_q
  assign cj_valid[0] = px_valid;
  assign cj_addr[31:0] = addr_q;
  assign unused_cj_addr = ^cj_addr;
  genvar gj;
  generate
    for (gj = 1; gj < ADepth; gj = gj + 1) begin : g_cj
      localparam [15:0] TjA = gj;       // tap offset of lane group gj: one chunk
      localparam [15:0] TjB = gj / 2;   // two chunks (depth 4)
      wire [15:0] tj;
      wire [31:0] ixj, iyj;
      wire        pxj, dyj;
      assign tj  = (chunks == 8'd1) ? TjA : TjB;
      // flattened taps: tap kx + tj past the kernel row is tap kx + tj - k_w of the next row
      // (pixel one input row down, k_w pixels back; never two rows, as passes start at a
      // multiple of T)
      assign dyj = tpair && (kx_q + tj >= {8'd0, k_w});
      assign ixj = ix_q + {16'd0, tj} - (dyj ? {24'd0, k_w} : 32'd0);
      assign iyj = iy_q + {31'd0, dyj};
      assign pxj = !iyj[31] && (iyj < {16'd0, in_h}) && !ixj[31] && (ixj < {16'd0, in_w}) &&
                   (ky_q + {15'd0, dyj} < {8'd0, k_h});
      assign cj_valid[gj] = is_mm && (tpair ? pxj
                                            : (px_valid && ({16'd0, c_q} * ADepth + gj <
                                                            {24'd0, chunks})));
      assign cj_addr[32*gj +: 32] = (addr_q + gj + (dyj ? rowjump_q : 32'd0)) ^ (gj * SpBankRows);
    end
    if (ADepth == 4) begin : g_x
      assign x_req_o  = {can_issue && cj_valid[2], can_issue && cj_valid[1]};
      assign x_addr_o = {cj_addr[64 +: SpAW], cj_addr[32 +: SpAW]};
      assign x_ok     = (!x_req_o[0] || x_gnt_i[0]) && (!x_req_o[1] || x_gnt_i[1]);
      wire unused_xrd;  // lanes above R of the x rows
      assign unused_xrd = ^x_rdata_i;
    end else begin : g_nox
      wire unused_x;
      assign unused_x = ^{x_gnt_i, x_rdata_i};
      assign x_req_o  = 2'b00;
      assign x_addr_o = {(2*SpAW){1'b0}};
      assign x_ok     = 1'b1;
    end
    if (ADepth == 1) begin : g_norj
      wire unused_rj;  // no tap groups on a dense array
      assign unused_rj = ^rowjump_q;
    end
  endgenerate
  assign c1_valid   = HasC1 && cj_valid[ADepth-1];
  assign c1_req     = can_issue && c1_valid;
  assign addr_c1    = cj_addr[32*(ADepth-1) +: 32];
  // port w always wins a bank conflict, so row B never waits; port a is asked for only when it
  // wins (a_conflict), and the x ports may lose one (then the pixel is read again)
  assign issue     = can_issue && (!px_valid || !a_conflict) && x_ok;
  assign pass_end  = issue && last_px;
  assign fast_next = is_mm && (pre_q == 2'd2) && !last_pass;

  wire [8*RowBytes-1:0] s1_data;
  assign s1_data = s1_pad_q ? {RowBytes{pad_val}} : a_rdata_i;

  // ---- MATMUL: array streams ---------------------------------------------------------------------
  wire [8*Rows*ADepth:0]   a_fifo_out;
  wire [8*Rows*ADepth-1:0] s1_beat;
  reg  [ADepth-1:0]        s1c_pad_q;   // lane group j past the chunks / taps (bit 0: s1_pad_q)
  wire                     unused_pad0;
  assign unused_pad0 = s1c_pad_q[0];
  assign s1_beat[8*Rows-1:0] = s1_data[8*Rows-1:0];
  generate
    for (gj = 1; gj < ADepth; gj = gj + 1) begin : g_beat
      // Tap groups: lane r of tap t carries channel (r + t*R/T) mod R, so a row holds T different
      // channels (a channel that is rarely zero no longer keeps its row busy on every tap).
      // SA: one chunk (T = D, t = gj); SB: two chunks on a depth-4 array (T = 2, t = gj / 2).
      localparam integer SA = (gj * Rows / ADepth) % Rows;
      localparam integer SB = ((gj / 2) * Rows / 2) % Rows;
      wire [8*Rows-1:0] raw, rot_a, rot_b;
      if (gj == ADepth - 1) begin : g_w
        assign raw = w_rdata_i[8*Rows-1:0];
      end else begin : g_x
        assign raw = x_rdata_i[8*RowBytes*(gj-1) +: 8*Rows];
      end
      if (SA == 0) begin : g_a0
        assign rot_a = raw;
      end else begin : g_a
        assign rot_a = {raw[8*SA-1:0], raw[8*Rows-1:8*SA]};
      end
      if (SB == 0) begin : g_b0
        assign rot_b = raw;
      end else begin : g_b
        assign rot_b = {raw[8*SB-1:0], raw[8*Rows-1:8*SB]};
      end
      assign s1_beat[8*Rows*gj +: 8*Rows] =
          s1c_pad_q[gj] ? {Rows{pad_val}} : (!tpair ? raw : ((chunks == 8'd1) ? rot_a : rot_b));
    end
  endgenerate
  assign a_fifo_push = s1_valid_q && is_mm;
  tsr_fifo #(.Width (8 * Rows * ADepth + 1), .Depth (FifoD)) u_a_fifo (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_valid_i (a_fifo_push),
    .push_ready_o (a_fifo_ready),
    .push_data_i  ({s1_last_q, s1_beat}),
    .pop_valid_o  (a_fifo_valid),
    .pop_ready_i  (arr_a_ready_i),
    .pop_data_o   (a_fifo_out),
    .full_o       (unused_a_full)
  );
  assign a_fifo_pop    = a_fifo_valid && arr_a_ready_i;
  assign arr_a_valid_o = a_fifo_valid;
  assign arr_a_last_o  = a_fifo_out[8*Rows*ADepth];
  assign arr_a_data_o  = a_fifo_out[8*Rows*ADepth-1:0];
  assign array_row_o   = a_fifo_pop;
  assign a_cred_d      = a_cred_q - {3'd0, issue && is_mm} + {3'd0, a_fifo_pop};

  // Weight feeder: all passes' tiles in order, rows R-1 .. 0 of each.
  reg  [3:0] w_cred_q;
  wire [3:0] w_cred_d;
  reg        w1_valid_q;
  wire       w_issue, w_fifo_valid, w_fifo_ready, w_fifo_pop, unused_w_full;
  wire       w_run, par_issue;
  assign w_run   = (is_mm && (state_q == StPass1 || state_q == StPass2 || state_q == StPass3 ||
                              state_q == StStream || state_q == StTail)) ||
                   (pf_q && (state_q == StIdle));
  assign w_issue = w_run && !wzero_q && (w_cred_q != 4'd0) && !c1_req && !par_issue;
  tsr_fifo #(.Width (8 * Cols), .Depth (FifoD)) u_w_fifo (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_valid_i (w1_valid_q),
    .push_ready_o (w_fifo_ready),
    .push_data_i  (w_rdata_i[8*Cols-1:0]),
    .pop_valid_o  (w_fifo_valid),
    .pop_ready_i  (arr_b_ready_i),
    .pop_data_o   (arr_b_data_o),
    .full_o       (unused_w_full)
  );
  assign w_fifo_pop    = w_fifo_valid && arr_b_ready_i;
  assign arr_b_valid_o = w_fifo_valid;
  assign w_cred_d      = w_cred_q - {3'd0, w_issue} + {3'd0, w_fifo_pop};

  // Port w: weight rows (MATMUL), the tap's weight row (VECTOR dw, in StPass2), parameter rows.
  // Depthwise tap weights: per tap, in StPass2; FIR: taps j = 0..k_w-1 of the kernel row in
  // StPass1..3 (j = state - StPass1).
  wire       dw_fetch, in_pass_setup;
  wire [1:0] dw_j;
  wire       in_wb_setup, in_wz_setup;
  assign in_pass_setup = (state_q == StPass1) || (state_q == StPass2) || (state_q == StPass3);
  assign in_wb_setup   = (state_q == StWb1) || (state_q == StWb2) || (state_q == StWb3);
  assign in_wz_setup   = (state_q == StWz1) || (state_q == StWz2) || (state_q == StWz3);
  assign dw_j     = (state_q == StPass1 || state_q == StWb1 || state_q == StWz1) ? 2'd0 :
                    ((state_q == StPass2 || state_q == StWb2 || state_q == StWz2) ? 2'd1 : 2'd2);
  // The fetch's scratchpad row (dwa_q) is formed a cycle ahead, for the setup state that follows
  // this one (dw_nst; from StStream: the next pass's first). FIR: wtb_q (w_addr + the taps of the
  // earlier passes) + tap j + the tap row's offset: A (port a) at +0, B at +k_w; three-row FIR: Z
  // (line buffer) at +0, A at +k_w, B at +2*k_w. Per-tap walk: w_addr + pass (in StPass1).
  reg  [4:0]      dw_nst;
  reg  [SpAW-1:0] wtb_q, dwa_q;
  wire [15:0]     tapstep;
  wire [SpAW-1:0] dwb, dwa_d;
  wire [1:0]      dw_nj;
  wire [7:0]      dw_noff;
  always @(*) begin
    case (state_q)
      StCheck:  dw_nst = row3 ? StWz1 : (dual ? StWb1 : StPass1);
      StStream: dw_nst = dual ? StWb1 : StPass1;
      StWz1:    dw_nst = StWz2;
      StWz2:    dw_nst = StWz3;
      StWz3:    dw_nst = StWb1;
      StWb1:    dw_nst = StWb2;
      StWb2:    dw_nst = StWb3;
      StWb3:    dw_nst = StPass1;
      StPass1:  dw_nst = StPass2;
      default:  dw_nst = StPass3;
    endcase
  end
  assign dw_nj   = (dw_nst == StPass1 || dw_nst == StWb1 || dw_nst == StWz1) ? 2'd0 :
                   ((dw_nst == StPass2 || dw_nst == StWb2 || dw_nst == StWz2) ? 2'd1 : 2'd2);
  assign dw_noff = (dw_nst == StWz1 || dw_nst == StWz2 || dw_nst == StWz3) ? 8'd0 :
                   (dw_nst == StWb1 || dw_nst == StWb2 || dw_nst == StWb3) ?
                   (row3 ? {k_w[6:0], 1'b0} : k_w) : (row3 ? k_w : 8'd0);
  assign tapstep = dual ? {7'd0, k_w, 1'b0} : {8'd0, k_w};
  wire unused_tapstep;  // bits above the scratchpad address
  assign unused_tapstep = ^tapstep;
  assign dwb     = (state_q == StCheck) ? w_addr[SpAW-1:0] :
                   ((state_q == StStream) ? wtb_q + tapstep[SpAW-1:0] : wtb_q);
  assign dwa_d   = fir ? dwb + {{(SpAW-2){1'b0}}, dw_nj} + {{(SpAW-8){1'b0}}, dw_noff}
                       : w_addr[SpAW-1:0] + pass_q[SpAW-1:0];
  assign dw_fetch = is_vec && (vmode == TSR_VECTOR_MODE_DW[2:0]) &&
                    (fir ? (((in_pass_setup) || (in_wb_setup && rowb) || in_wz_setup) &&
                            ({6'd0, dw_j} < k_w))
                         : (state_q == StPass2));
  assign par_issue = pe_busy_q;
  assign pe_last   = pe_busy_q && (prow_q == ParRows[7:0] - 8'd1);
  assign pe_any    = pe_busy_q || pe_fin1_q || pe_fin2_q;
  assign w_req_o   = w_issue || dw_fetch || par_issue || b_req || c1_req;
  assign w_addr_o  = par_issue ? pea_q :
                     b_req     ? (addrb_q ^ SpBankRowsW) :
                     c1_req    ? addr_c1[SpAW-1:0] :
                     dw_fetch  ? dwa_q : wfa_q;
  // Port a loses a bank conflict with port w (tsr_spad: w wins). The walker therefore requests
  // port a only when port w does not read the same bank in this cycle, so the request is always
  // granted and the walker advances without waiting for the grant to come back from the
  // scratchpad (a_gnt_i equals a_req_o). While the walker issues (StStream) port w carries no
  // depthwise tap fetch, so the stream-time requests of port w (w_req_s, w_addr_s) decide.
  localparam integer SpRowW  = (SpBankRows <= 2) ? 1 : $clog2(SpBankRows);
  localparam integer SpBankW = (SpBanks <= 1) ? 1 : $clog2(SpBanks);
  wire            w_req_s, unused_w_addr_s;  // (the row bits of w_addr_s)
  wire [SpAW-1:0] w_addr_s;
  assign unused_w_addr_s = ^w_addr_s;
  assign w_req_s    = w_issue || par_issue || b_req || c1_req;
  assign w_addr_s   = par_issue ? pea_q :
                      b_req     ? (addrb_q ^ SpBankRowsW) :
                      c1_req    ? addr_c1[SpAW-1:0] : wfa_q;
  generate
    if (SpBanks > 1) begin : g_conf_banks
      assign a_conflict = w_req_s && (w_addr_s[SpRowW +: SpBankW] == addr_q[SpRowW +: SpBankW]);
    end else begin : g_conf_one
      assign a_conflict = w_req_s;
    end
  endgenerate

  // Array results: written in the order they left, counted per pass.
  wire mm_out;
  assign arr_c_ready_o = 1'b1;
  assign mm_out        = arr_c_valid_i;  // only MATMUL uses the array

  // ---- VECTOR lanes -----------------------------------------------------------------------------
  // Tap weights: w0 multiplies the newest pixel, w1 / w2 (FIR only) the one / two before it.
  reg  [8*Cols-1:0] dw_w0_q, dw_w1_q, dw_w2_q;
  reg  [8*Cols-1:0] x1_q, x2_q;   // FIR window: the lanes' previous two pixels
  reg  [8*Cols-1:0] wb0_q, wb1_q, wb2_q, y1_q, y2_q;  // dual: row B's taps and window
  reg  [8*Cols-1:0] wz0_q, wz1_q, wz2_q, z1_q, z2_q;  // three-row FIR: row Z's taps and window
  reg               s1b_pad_q;
  wire [8*Cols-1:0] s1b_data;
  reg               dw_latch_q;
  reg  [3:0]        dw_slot_q;    // which tap register the fetched row goes to (4.. row B, 8.. row Z)
  reg               s1_emit_q;
  wire [32*Cols-1:0] lane_simple, lane_scale;
  wire [Cols-1:0]    unused_rq_valid;
  wire [8*Cols-1:0]  unused_rq_data;
  wire               vec_in;
  wire [15:0] offset;
  wire [4:0]  lshift;
  wire [5:0]  vshift;
  wire [31:0] vmult;
  assign vec_in = s1_valid_q && is_vec && (!fir || s1_emit_q);
  assign s1b_data = s1b_pad_q ? {Cols{pad_val}} : w_rdata_i[8*Cols-1:0];

  // Line buffer (three-row FIR): read at issue with the pixel's position in the row, written one
  // cycle later (read-first: a position is read for this row before this row overwrites it).
  // Without a line buffer (LinePx < 2) the three-row FIR is never chosen (LineMax = 0) and row Z
  // reads zeros.
  reg  [LineAW-1:0] s1_ox_q;
  reg               s1_prime_q;
  wire [8*Cols-1:0] lb_rdata;
  generate
    if (LinePx >= 2) begin : g_line
      wire [8*Cols-1:0] lb_wdata;
      assign lb_wdata = ((s_h == 4'd1) || s1_prime_q) ? s1_data[8*Cols-1:0] : s1b_data;
      tsr_sram_1r1w #(.Width (8 * Cols), .Depth (LineD)) u_line (
        .clk_i   (clk_i),
        .re_i    (issue && row3),
        .raddr_i (ox_q[LineAW-1:0]),
        .rdata_o (lb_rdata),
        .we_i    (s1_valid_q && row3),
        .waddr_i (s1_ox_q),
        .wdata_i (lb_wdata)
      );
    end else begin : g_no_line
      wire unused_line;
      assign unused_line = ^{s1_ox_q, s1_prime_q};
      assign lb_rdata = {(8*Cols){1'b0}};
    end
  endgenerate
  assign offset = cmd_q[TSR_F_VECTOR_OFFSET_LSB +: 16];
  assign lshift = cmd_q[TSR_F_VECTOR_LSHIFT_LSB +: 5];
  assign vshift = cmd_q[TSR_F_VECTOR_SHIFT_LSB +: 6];
  assign vmult  = cmd_q[TSR_F_VECTOR_MULT_LSB +: 32];

  // One kernel row of a lane is head + tail: the newest pixel times tap 0 (head), and the two
  // before it times taps 1 and 2 (tail, FIR rows only). Head and tail are registered apart and
  // summed over the three rows in the next stage: the head's multiplier follows the scratchpad
  // read, the sum does not.
  function automatic [15:0] row_head(input [7:0] p0, input [7:0] t0);
    row_head = $signed(p0) * $signed(t0);
  endfunction
  function automatic [16:0] row_tail(input [7:0] p1, input [7:0] t1, input [7:0] p2,
                                     input [7:0] t2);
    reg [15:0] m1, m2;
    begin
      m1 = $signed(p1) * $signed(t1);
      m2 = $signed(p2) * $signed(t2);
      row_tail = {m1[15], m1} + {m2[15], m2};
    end
  endfunction

  // SCALE: (x + offset) << lshift, then the requant lane's own << max(shift, 0), is
  // (x + offset) << (lshift + max(shift, 0)) modulo 2^32 (0 for a total of 32 or more): one
  // short sum of the int8 pixel and the int16 offset, then one shifter, formed here (the lanes'
  // tsr_requant has PreScaled = 1). The total shift comes from the command alone.
  wire [5:0] sc_shift;
  assign sc_shift = {1'b0, lshift} + (vshift[5] ? 6'd0 : {1'b0, vshift[4:0]});

  genvar l;
  generate
    for (l = 0; l < Cols; l = l + 1) begin : g_lane
      wire [31:0] ys, scaled_in;
      wire [15:0] xs;
      wire [16:0] x_off;
      wire [15:0] a_head, b_head, z_head;
      wire [16:0] a_tail, b_tail, z_tail;
      reg  [15:0] a_head_q, b_head_q, z_head_q;
      reg  [16:0] a_tail_q, b_tail_q, z_tail_q;
      // Row A: the pixel just read (port a) and the FIR window; row B: port w and its window;
      // row Z: the line buffer and its window. Unused taps (k_w < 3) hold zero weights; the
      // per-tap walk uses w0 only. Other modes pass the input through row A's head.
      assign xs     = {{8{s1_data[8*l+7]}}, s1_data[8*l +: 8]};
      assign a_head = (vmode != TSR_VECTOR_MODE_DW[2:0]) ? xs :
                      row_head(s1_data[8*l +: 8], dw_w0_q[8*l +: 8]);
      assign a_tail = ((vmode != TSR_VECTOR_MODE_DW[2:0]) || !fir) ? 17'd0 :
                      row_tail(x1_q[8*l +: 8], dw_w1_q[8*l +: 8], x2_q[8*l +: 8],
                               dw_w2_q[8*l +: 8]);
      assign b_head = dual ? row_head(s1b_data[8*l +: 8], wb0_q[8*l +: 8]) : 16'd0;
      assign b_tail = dual ? row_tail(y1_q[8*l +: 8], wb1_q[8*l +: 8], y2_q[8*l +: 8],
                                      wb2_q[8*l +: 8]) : 17'd0;
      assign z_head = row3 ? row_head(lb_rdata[8*l +: 8], wz0_q[8*l +: 8]) : 16'd0;
      assign z_tail = row3 ? row_tail(z1_q[8*l +: 8], wz1_q[8*l +: 8], z2_q[8*l +: 8],
                                      wz2_q[8*l +: 8]) : 17'd0;
      // one register stage of the VecLat: the rows' heads and tails, then their total (exact:
      // |total| < 2^19)
      always @(posedge clk_i) begin
        a_head_q <= a_head;
        b_head_q <= b_head;
        z_head_q <= z_head;
        a_tail_q <= a_tail;
        b_tail_q <= b_tail;
        z_tail_q <= z_tail;
      end
      assign ys = {{16{a_head_q[15]}}, a_head_q} + {{15{a_tail_q[16]}}, a_tail_q} +
                  {{16{b_head_q[15]}}, b_head_q} + {{15{b_tail_q[16]}}, b_tail_q} +
                  {{16{z_head_q[15]}}, z_head_q} + {{15{z_tail_q[16]}}, z_tail_q};
      assign x_off     = {{9{s1_data[8*l+7]}}, s1_data[8*l +: 8]} + {offset[15], offset};
      assign scaled_in = {{15{x_off[16]}}, x_off} << sc_shift;
      tsr_delay #(.Width (32), .Depth (VecLat - 1), .Reset (0)) u_simple (
        .clk_i  (clk_i),
        .rst_ni (rst_ni),
        .en_i   (1'b1),
        .d_i    (ys),
        .q_o    (lane_simple[32*l +: 32])
      );
      tsr_requant #(.PreScaled (1)) u_scale (
        .clk_i     (clk_i),
        .rst_ni    (rst_ni),
        .en_i      (1'b1),
        .valid_i   (vec_in),
        .acc_i     (scaled_in),
        .bias_i    (32'd0),
        .mult_i    (vmult),
        .shift_i   (vshift),
        .out_zp_i  (8'd0),
        .act_min_i (8'h80),
        .act_max_i (8'h7f),
        .valid_o   (unused_rq_valid[l]),
        .data_o    (unused_rq_data[8*l +: 8]),
        .wide_o    (lane_scale[32*l +: 32])
      );
    end
  endgenerate

  // Control delayed with the lanes: valid, row, first-pass flag.
  wire [AccAW+1:0] vec_ctl_in, vec_ctl_out;
  wire             vec_first;
  wire [31:0]      vec_row;
  assign vec_row    = {16'd0, acc_addr} + s1_m_q;
  // Rows past AccAW bits are excluded by the range check before the command starts.
  wire [31:0] unused_rows;
  assign unused_rows = vec_row ^ mm_row ^ addr_c1 ^
                       {31'd0, w_gnt_i ^ a_gnt_i ^ a_fifo_ready ^ w_fifo_ready};
  assign vec_first  = (s1_pass_q == 32'd0) && !accumulate;
  assign vec_ctl_in = {vec_in, vec_first, vec_row[AccAW-1:0]};
  tsr_delay #(.Width (AccAW + 2), .Depth (VecLat), .Reset (1)) u_vec_ctl (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .en_i   (1'b1),
    .d_i    (vec_ctl_in),
    .q_o    (vec_ctl_out)
  );

  // ---- accumulator writes -----------------------------------------------------------------------
  wire [31:0] mm_row;
  wire        vec_out;
  assign mm_row         = {16'd0, ctx0_acc_q} + out_m_q;
  assign vec_out        = vec_ctl_out[AccAW+1];
  assign acc_wr_valid_o = mm_out || vec_out;
  assign acc_wr_accum_o = mm_out ? (ctx0_accum_q || (out_pass_q != 32'd0)) : !vec_ctl_out[AccAW];
  assign acc_wr_max_o   = vec_out && (vmode == TSR_VECTOR_MODE_MAX[2:0]);
  assign acc_wr_addr_o  = mm_out ? mm_row[AccAW-1:0] : vec_ctl_out[AccAW-1:0];
  assign acc_wr_data_o  = mm_out ? arr_c_data_i :
                          (vmode == TSR_VECTOR_MODE_SCALE[2:0]) ? lane_scale : lane_simple;

  // ---- parameters -------------------------------------------------------------------------------
  reg        pw1_valid_q;
  reg  [7:0] pw1_row_q;
  assign pw_valid_o = pw1_valid_q;
  assign pw_set_o   = pe_set_q;
  localparam [7:0] NB8 = NB[7:0];
  assign pw_kind_o  = (pw1_row_q < NB8) ? 2'd0 : ((pw1_row_q < 2 * NB8) ? 2'd1 : 2'd2);
  assign pw_idx_o   = (pw1_row_q < NB8) ? pw1_row_q :
                      ((pw1_row_q < 2 * NB8) ? pw1_row_q - NB8 : 8'd0);
  assign pw_data_o  = w_rdata_i;

  // ---- control ----------------------------------------------------------------------------------
  // Skip arrays take one zero point (and skip enable) for every beat in flight: a MATMUL that
  // changes them waits until the older MATMULs' results are out (the array is empty).
  reg  [7:0] arr_zp_q;
  reg        arr_skip_q;
  wire [7:0] arr_zp_d;
  wire       arr_skip_d, zp_change;
  assign arr_zp_d   = (state_q == StSet1 && is_mm) ? pad_val : arr_zp_q;
  assign arr_skip_d = (state_q == StSet1 && is_mm) ? skip_f : arr_skip_q;
  // (of the offered command)
  assign zp_change  = SkipOn && l_is_mm && ((l_pad != arr_zp_q) || (l_skip != arr_skip_q));

  // Weight look-ahead: once a MATMUL has issued all its weight rows (its last pass streams), the
  // next MATMUL may start (la_ok): it is taken, stays on offer (pf_q, free_o low) and the feeder
  // streams its first pass's weight tile (WRows rows) into the array's free bank. When the walker
  // is done with the current command, the pending one is set up (StSet1 .. StCheck, where it is
  // checked as usual) and the feeder continues after the rows already sent. Only when its first
  // tile lies inside the scratchpad and it keeps the skip array's zero point; a failing check
  // leaves weights in the array, which the halt and the soft reset that follow clear.
  wire la_ok, la_start, pf_go, la_fit;
  wire [31:0] la_end;
  assign la_end   = {16'd0, l_w_addr} + WRowsI;
  assign la_fit   = (la_end <= SpRows32);
  // mm_st_q: is_mm && state_q is StStream or StTail, kept as its own register, so that ready_o's
  // look-ahead terms (which go on into the sequencer and the token counters) start at one
  // flip-flop instead of the opcode and state decodes, whose hundreds of loads ABC buffers as a
  // chain. cmd_q (and so is_mm) changes only in StIdle, whose next state is neither.
  reg  mm_st_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) mm_st_q <= 1'b0;
    else         mm_st_q <= is_mm && ((state_d == StStream) || (state_d == StTail));
  end
  assign la_ok    = mm_st_q &&
                    wzero_q && !pf_q && l_is_mm && !zp_change && la_fit && !pe_any;
  assign la_start = start_i && (state_q != StIdle) && l_is_mm;
  assign pf_go    = pf_q && (ctx_n_q != 2'd2);

  // PARAMS beside a MATMUL: a PARAMS on offer while a MATMUL's last pass streams (port w is free
  // then on a dense array) is taken and runs on the parameter engine at once (bp_ok), so it does
  // not stand between two MATMULs (the weight look-ahead then takes the MATMUL behind it). Only
  // when its rows lie inside the scratchpad (otherwise it runs, and fails, the usual way) and no
  // other PARAMS is unreported; its completion is reported after the older MATMULs' as always.
  wire bp_ok, bp_start;
  assign bp_ok    = !HasC1 && mm_st_q &&
                    wzero_q && !pf_q && l_is_par && !pe_any && !par_pend_q &&
                    (dq_q == 2'd0) && ({16'd0, l_par_addr} + ParRows <= SpRowsI);
  assign bp_start = start_i && (state_q != StIdle) && l_is_par;
  assign pe_start = bp_start || ((state_q == StCheck) && is_par &&
                                 !({16'd0, par_addr} + ParRows > SpRowsI));
  assign arr_zp_o   = arr_zp_q;
  assign arr_skip_o = arr_skip_q;
  assign wleft_set = !is_mm ? 32'd0 :
                     pf_q ? passes_q * WRowsI - WRowsI + wleft_q : passes_q * WRowsI;
  wire [31:0] total_w;  // results of this command: passes * output pixels (mod 2^32)
  assign total_w = tot0_q + {tot1_q, 8'd0} + {tot2_q, 16'd0};
  wire outs_total_done, mm_last;
  assign outs_total_done = (outs_q == total_q);
  // The last result of the head MATMUL is written this cycle.
  assign mm_last  = mm_out && (outs1_q == ctx0_total_q);
  assign ctx_pop  = mm_last;
  assign ctx_push = is_mm && (state_q == StCheck) && !fields_bad && !sp_bad && !acc_bad;

  always @(*) begin
    state_d    = state_q;
    err_d      = 1'b0;
    err_code_d = TSR_ERROR_NONE[7:0];
    done_d     = 1'b0;
    case (state_q)
      StIdle:  if (pf_go) state_d = StSet1;
               else if (start_i) state_d = l_is_par ? StCheck :
                                      (((l_is_vec || zp_change) && (ctx_n_q != 2'd0)) ? StHold
                                                                                 : StSet1);
      StHold:  if (ctx_n_q == 2'd0) state_d = StSet1;
      StSet1:  state_d = StSet2;
      StSet2:  state_d = StSet3;
      StSet3:  state_d = StCheck;
      StCheck: begin
        if (is_par) begin
          if ({16'd0, par_addr} + ParRows > SpRowsI) begin
            err_d = 1'b1; err_code_d = TSR_ERROR_SP_RANGE[7:0]; state_d = StIdle;
          end else begin
            state_d = StParams;
          end
        end else if (fields_bad) begin
          err_d = 1'b1; err_code_d = TSR_ERROR_BAD_FIELD[7:0]; state_d = StIdle;
        end else if (sp_bad) begin
          err_d = 1'b1; err_code_d = TSR_ERROR_SP_RANGE[7:0]; state_d = StIdle;
        end else if (acc_bad) begin
          err_d = 1'b1; err_code_d = TSR_ERROR_ACC_RANGE[7:0]; state_d = StIdle;
        end else begin
          state_d = dw_nst;  // the first setup state (row3 ? StWz1 : dual ? StWb1 : StPass1)
        end
      end
      // the setup chain StWz1..3, StWb1..3, StPass1..3: dw_nst is its one description
      StWz1, StWz2, StWz3, StWb1, StWb2, StWb3, StPass1, StPass2: state_d = dw_nst;
      StPass3: state_d = StStream;
      StStream: if (pass_end) state_d = last_pass ? (is_mm ? StTail : StDrain) :
                                                  (fast_next ? StStream :
                                                   (dual ? StWb1 : StPass1));
      // MATMUL: every weight row issued, and the last activation through the issue stage.
      // (with a look-ahead command pending, wleft_q counts its weight rows)
      StTail: if ((wzero_q || pf_q) && !s1_valid_q) state_d = StIdle;
      StDrain: if (outs_total_done && !s1_valid_q && !vec_out && (a_cred_q == FifoD[3:0])) begin
        done_d = 1'b1; state_d = StIdle;
      end
      StParams: if (pe_last) state_d = StParDrain;
      StParDrain: if (!pw1_valid_q) state_d = StIdle;  // completion: par_fin
      default: state_d = StIdle;
    endcase
  end

  // Completion reporting. A PARAMS that finishes while older MATMULs are outstanding waits for
  // their pops (par_wait_q of them); completions beyond one per cycle queue in dq_q.
  reg  [1:0] par_wait_q, par_wait_d, dq_q;
  reg        par_pend_q, par_pend_d;
  wire       par_fin, par_now, par_release;
  wire [1:0] older, events, dq_sum, dq_d;
  assign par_fin     = pe_fin2_q;  // two cycles after the last row's read (its write is done)
  assign older       = ctx_n_q - {1'b0, ctx_pop};
  assign par_now     = par_fin && (older == 2'd0);
  assign par_release = par_pend_q && ctx_pop && (par_wait_q == 2'd1);
  assign events      = {1'b0, done_d} + {1'b0, ctx_pop} + {1'b0, par_now} + {1'b0, par_release};
  assign dq_sum      = dq_q + events;
  always @(*) begin
    par_pend_d = par_pend_q;
    par_wait_d = par_wait_q;
    if (par_fin && (older != 2'd0)) begin
      par_pend_d = 1'b1;
      par_wait_d = older;
    end else if (par_pend_q && ctx_pop) begin
      par_wait_d = par_wait_q - 2'd1;
      if (par_wait_q == 2'd1) par_pend_d = 1'b0;
    end
  end

  assign done_o     = (dq_sum != 2'd0);
  assign dq_d       = dq_sum - {1'b0, done_o};
  // The offer is kept while a started command is not yet checked (an error names it) and while a
  // look-ahead command is pending.
  assign free_o     = !pf_q && (state_q != StSet1) && (state_q != StSet2) &&
                      (state_q != StSet3) && (state_q != StCheck) && (state_q != StHold);
  // MATMUL: a free output context. Others: nothing unreported, so the sequencer's in-flight
  // window (3) always has room for the MATMULs that overlap them.
  assign ready_o    = ((state_q == StIdle) && !pf_q && !pe_any &&
                       (l_is_mm ? (ctx_n_q != 2'd2) : (!par_pend_q && (dq_q == 2'd0)))) ||
                      la_ok || bp_ok;
  assign err_o      = err_d;
  assign err_code_o = err_code_d;
  assign busy_o     = issue || w_issue || par_issue;
  assign vec_row_o  = issue && is_vec;

  // Output counting: VECTOR counts lane writes, MATMUL counts array results.
  wire out_fire;
  assign out_fire = mm_out || vec_out;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      a_cred_q    <= FifoD[3:0];
      w_cred_q    <= FifoD[3:0];
      s1_valid_q  <= 1'b0;
      w1_valid_q  <= 1'b0;
      pw1_valid_q <= 1'b0;
      dw_latch_q  <= 1'b0;
      ctx_n_q     <= 2'd0;
      pf_q        <= 1'b0;
      pe_busy_q   <= 1'b0;
      pe_fin1_q   <= 1'b0;
      pe_fin2_q   <= 1'b0;
      par_pend_q  <= 1'b0;
      par_wait_q  <= 2'd0;
      dq_q        <= 2'd0;
      arr_zp_q    <= 8'd0;
      arr_skip_q  <= 1'b0;
    end else begin
      arr_zp_q    <= arr_zp_d;
      arr_skip_q  <= arr_skip_d;
      par_pend_q  <= par_pend_d;
      par_wait_q  <= par_wait_d;
      dq_q        <= dq_d;
      ctx_n_q     <= ctx_n_q + {1'b0, ctx_push} - {1'b0, ctx_pop};
      if (la_start) pf_q <= 1'b1;
      else if (state_q == StCheck) pf_q <= 1'b0;
      if (pe_start) pe_busy_q <= 1'b1;
      else if (pe_last) pe_busy_q <= 1'b0;
      pe_fin1_q   <= pe_last;
      pe_fin2_q   <= pe_fin1_q;
      state_q     <= state_d;
      a_cred_q    <= a_cred_d;
      w_cred_q    <= w_cred_d;
      s1_valid_q  <= issue;
      w1_valid_q  <= w_issue;
      pw1_valid_q <= par_issue;
      dw_latch_q  <= dw_fetch;
    end
  end

  always @(posedge clk_i) begin
    if ((state_q == StIdle) && (start_i || pf_go)) begin
      cmd_q    <= cmd_i;
      is_mm_q  <= l_is_mm;
      is_vec_q <= l_is_vec;
      is_par_q <= l_is_par;
    end
    // setup products (two cycles)
    if (state_q == StSet1) begin
      np_lo_q <= {8'd0, in_h} * {16'd0, in_w[7:0]};
      np_hi_q <= {8'd0, in_h} * {16'd0, in_w[15:8]};
      pitch_q <= pitch;
      // the input extent's subtrahend (StSet3): 0, or pitch - 1 as a 9-bit two's complement
      in_sub_q <= is_mm ? 9'd0 : {1'b0, pitch} - 9'd1;
      m_lo_q  <= {8'd0, out_h} * {16'd0, out_w[7:0]};
      m_hi_q  <= {8'd0, out_h} * {16'd0, out_w[15:8]};
      // MATMUL tap groups: ceil(k_w / T) passes per kernel row
      // MATMUL tap groups: ceil(k_h * k_w / T) passes (flattened taps)
      taps_q  <= !tpair ? {16'd0, {8'd0, k_h} * {8'd0, k_w}} :
                 (kstep == 16'd4) ? ({16'd0, {8'd0, k_h} * {8'd0, k_w}} + 32'd3) >> 2
                                  : ({16'd0, {8'd0, k_h} * {8'd0, k_w}} + 32'd1) >> 1;
      stepx_q <= (fir ? 32'd1 : {28'd0, s_w}) * {24'd0, pitch};
      spanm_q <= ({16'd0, out_w} - 32'd1) * {28'd0, s_w};
      rowstep_q <= {16'd0, in_w} * {24'd0, pitch};
      syw_q   <= {28'd0, s_h} * {16'd0, in_w};
    end
    if (state_q == StSet2) begin
      npix_q   <= {8'd0, np_lo_q} + {np_hi_q, 8'd0};
      m_q      <= {8'd0, m_lo_q} + {m_hi_q, 8'd0};
      w_ext_q  <= is_mm ? ({16'd0, taps_q} * {32'd0, ngroups}) * WRowsI :
                  ((vmode == TSR_VECTOR_MODE_DW[2:0]) ? {16'd0, taps_q} : 48'd0);
      stepy_q  <= syw_q * {24'd0, pitch_q};
      rowjump_q <= rowstep_q - {16'd0, {8'd0, k_w} * {8'd0, pitch_q}};
      row3_q    <= row3_d;
      passes_q <= row3_d ? 32'd1 :
                  dual ? {25'd0, k_h[7:1]} + {31'd0, k_h[0]} :
                  fir  ? {24'd0, k_h} : taps_q * {16'd0, nchunks};
      rowlen_m1_q <= fir ? spanm_q + {24'd0, k_w} - 32'd1 : {16'd0, out_w} - 32'd1;
    end
    if (state_q == StSet3) begin
      // MATMUL reads every chunk of every pixel; VECTOR the first row of each pixel only:
      // (npix - 1) * pitch + 1, formed as npix * pitch - (pitch - 1) (no adder before the
      // product; npix >= 1 unless a field is bad, which is reported first).
      in_ext_q <= {16'd0, npix_q} * {40'd0, pitch_q} - {{39{in_sub_q[8]}}, in_sub_q};
      m_m1_q   <= m_q - 32'd1;
      // passes <= 2^24 (taps <= 2^16, chunk groups <= 255): total = sum of m * passes byte i << 8i
      tot0_q   <= m_q * {24'd0, passes_q[7:0]};
      tot1_q   <= m_q[23:0] * {16'd0, passes_q[15:8]};
      tot2_q   <= m_q[15:0] * {8'd0, passes_q[23:16]};
    end
    // pass and pixel walk
    if (state_q == StCheck) begin
      c_q    <= 16'd0;
      ky_q   <= 16'd0;
      trow_q <= trow0;
      kx_q   <= 16'd0;
      pass_q <= 32'd0;
      wtb_q  <= w_addr[SpAW-1:0];
      dw_w1_q <= {(8*Cols){1'b0}};
      dw_w2_q <= {(8*Cols){1'b0}};
      // after a look-ahead the feeder goes on from the rows it has sent
      if (!pf_q) begin
        wfa_q  <= w_addr[SpAW-1:0] + WRowsW - 1'b1;
        wj_q   <= WRowsI[15:0] - 16'd1;
      end
      wleft_q <= wleft_set;
      wzero_q <= (wleft_set == 32'd0);
      if (ctx_n_q == 2'd0) begin
        out_m_q    <= 32'd0;
        out_pass_q <= 32'd0;
        outs_q     <= 32'd0;
        outs1_q    <= 32'd1;
      end
      total_q    <= total_w;
    end
    if (state_q == StPass1) begin
      t_q <= trow_q + {16'd0, kx_q};  // iy0 * in_w + ix0
    end
    if (state_q == StPass2) begin
      base_q <= {16'd0, in_addr} + {16'd0, c_q} * ADepth + t_q * {24'd0, pitch};
    end
    if (state_q == StPass3) begin
      oy_q      <= 16'd0;
      ox_q      <= 16'd0;
      iy_q      <= iy0;
      ix_q      <= ix0;
      rowaddr_q <= base_q;
      addr_q    <= base_q;
      m_idx_q   <= 32'd0;
      nxt_q     <= {8'd0, k_w} - 16'd1;
      rok_q     <= in_rng(iy0, in_h);
      cok_q     <= in_rng(ix0, in_w);
      rbok_q    <= in_rng(iy0 + 32'd1, in_h);
      rowaddrb_q <= base_q[SpAW-1:0] + rowstep_q[SpAW-1:0];
      addrb_q    <= base_q[SpAW-1:0] + rowstep_q[SpAW-1:0];
    end
    dwa_q <= dwa_d;
    // next-pass setup (MATMUL): valid two cycles into a pass
    nt_q    <= trow_n + {16'd0, nkx};  // niy0 * in_w + nix0
    nbase_q <= {16'd0, in_addr} + {16'd0, nc} * ADepth + nt_q * {24'd0, pitch};
    if (state_q == StPass3 || (pass_end && fast_next)) begin
      pre_q <= 2'd0;
    end else if (state_q == StStream && pre_q != 2'd2) begin
      pre_q <= pre_q + 2'd1;
    end
    if (state_q == StStream && issue) begin
      if (!fir || (fir_emit && !prime)) m_idx_q <= m_idx_q + 32'd1;
      if (fir_emit) nxt_q <= nxt_q + {12'd0, s_w};
      if (row_end) begin
        ox_q      <= 16'd0;
        oy_q      <= oy_q + 16'd1;
        ix_q      <= ix0;
        // after the priming row (three-row FIR), the next row down
        iy_q      <= iy_row;
        rowaddr_q <= rowaddr_nx;
        addr_q    <= rowaddr_nx;
        nxt_q     <= {8'd0, k_w} - 16'd1;
        rok_q     <= in_rng(iy_row, in_h);
        cok_q     <= in_rng(ix0, in_w);
        rbok_q    <= in_rng(iyb_row, in_h);
        rowaddrb_q <= rowaddrb_q + rowstep_nx;
        addrb_q    <= rowaddrb_q + rowstep_nx;
      end else begin
        ox_q    <= ox_q + 16'd1;
        ix_q    <= ix_col;
        addr_q  <= addr_q + stepx_q;
        cok_q   <= in_rng(ix_col, in_w);
        addrb_q <= addrb_q + stepx_q[SpAW-1:0];
      end
      if (last_px) begin
        pass_q <= pass_q + 32'd1;
        wtb_q  <= wtb_q + tapstep[SpAW-1:0];
        if (is_mm) begin
          kx_q <= nkx;
          ky_q <= nky;
          trow_q <= trow_n;
          c_q  <= nc;
        end else if (fir || kx_end) begin
          kx_q <= 16'd0;
          trow_q <= trow_v;
          if (ky_q + (dual ? 16'd1 : 16'd0) >= {8'd0, k_h} - 16'd1) begin
            ky_q <= 16'd0;
            c_q  <= c_q + 16'd1;
          end else begin
            ky_q <= ky_q + (dual ? 16'd2 : 16'd1);
          end
        end else begin
          kx_q <= kx_q + kstep;
        end
      end
    end
    if (pass_end && fast_next) begin  // the next pass starts in the next cycle (as StPass3)
      oy_q      <= 16'd0;
      ox_q      <= 16'd0;
      iy_q      <= niy0;
      ix_q      <= nix0;
      rowaddr_q <= nbase_q;
      addr_q    <= nbase_q;
      m_idx_q   <= 32'd0;
      rok_q     <= in_rng(niy0, in_h);
      cok_q     <= in_rng(nix0, in_w);
    end
    s1_pad_q  <= !px_valid;
    s1b_pad_q <= !px_valid_b;
    s1c_pad_q <= ~cj_valid;
    s1_last_q <= last_m;
    s1_m_q    <= m_idx_q;
    s1_pass_q <= pass_q;
    s1_emit_q <= fir_emit && !prime;
    s1_prime_q <= prime;
    s1_ox_q   <= ox_q[LineAW-1:0];
    // FIR window: shift in every pixel read
    if (s1_valid_q && fir) begin
      x2_q <= x1_q;
      x1_q <= s1_data[8*Cols-1:0];
      y2_q <= y1_q;
      y1_q <= s1b_data;
      z2_q <= z1_q;
      z1_q <= lb_rdata;
    end
    // weight feeder
    if (w_issue) begin
      wleft_q <= wleft_q - 32'd1;
      wzero_q <= (wleft_q == 32'd1);
      if (wj_q == 16'd0) begin  // the next tile's last row: wfa_q + WRows + (WRows - 1)
        wj_q  <= WRowsI[15:0] - 16'd1;
        wfa_q <= wfa_q + WRowsW + WRowsW - 1'b1;
      end else begin
        wj_q  <= wj_q - 16'd1;
        wfa_q <= wfa_q - 1'b1;
      end
    end
    if (la_start) begin  // (wleft_q is 0 here: no w_issue this cycle)
      wfa_q   <= l_w_addr[SpAW-1:0] + WRowsW - 1'b1;
      wleft_q <= WRowsI;
      wzero_q <= 1'b0;  // WRows >= 1
      wj_q    <= WRowsI[15:0] - 16'd1;
    end
    // depthwise tap weights
    dw_slot_q <= fir ? {in_wz_setup, in_wb_setup, k_w[1:0] - 2'd1 - dw_j} : 4'd0;
    // row B's taps: cleared at the start of every dual pass (a pass without row B keeps zeros)
    if (state_q == StWb1) begin
      wb0_q <= {(8*Cols){1'b0}};
      wb1_q <= {(8*Cols){1'b0}};
      wb2_q <= {(8*Cols){1'b0}};
    end
    if (state_q == StWz1) begin
      wz0_q <= {(8*Cols){1'b0}};
      wz1_q <= {(8*Cols){1'b0}};
      wz2_q <= {(8*Cols){1'b0}};
    end
    if (dw_latch_q) begin
      case (dw_slot_q)
        4'd0:    dw_w0_q <= w_rdata_i[8*Cols-1:0];
        4'd1:    dw_w1_q <= w_rdata_i[8*Cols-1:0];
        4'd2:    dw_w2_q <= w_rdata_i[8*Cols-1:0];
        4'd4:    wb0_q   <= w_rdata_i[8*Cols-1:0];
        4'd5:    wb1_q   <= w_rdata_i[8*Cols-1:0];
        4'd6:    wb2_q   <= w_rdata_i[8*Cols-1:0];
        4'd8:    wz0_q   <= w_rdata_i[8*Cols-1:0];
        4'd9:    wz1_q   <= w_rdata_i[8*Cols-1:0];
        default: wz2_q   <= w_rdata_i[8*Cols-1:0];
      endcase
    end
    // outputs
    if (out_fire) begin
      outs_q  <= outs_q + 32'd1;
      outs1_q <= outs1_q + 32'd1;
    end
    if (mm_out) begin
      if (out_m_q == ctx0_m_q - 32'd1) begin
        out_m_q    <= 32'd0;
        out_pass_q <= out_pass_q + 32'd1;
      end else begin
        out_m_q <= out_m_q + 32'd1;
      end
    end
    if (ctx_pop) begin
      out_m_q    <= 32'd0;
      out_pass_q <= 32'd0;
      outs_q     <= 32'd0;
      outs1_q    <= 32'd1;
    end
    // output contexts (a push while the queue pops lands in the entry that becomes the head)
    if (ctx_pop) begin
      ctx0_acc_q   <= ctx1_acc_q;
      ctx0_accum_q <= ctx1_accum_q;
      ctx0_m_q     <= ctx1_m_q;
      ctx0_total_q <= ctx1_total_q;
    end
    if (ctx_push) begin
      if (ctx_n_q == 2'd0 || (ctx_n_q == 2'd1 && ctx_pop)) begin
        ctx0_acc_q   <= acc_addr;
        ctx0_accum_q <= accumulate;
        ctx0_m_q     <= m_q;
        ctx0_total_q <= total_w;
      end else begin
        ctx1_acc_q   <= acc_addr;
        ctx1_accum_q <= accumulate;
        ctx1_m_q     <= m_q;
        ctx1_total_q <= total_w;
      end
    end
    // parameters
    if (pe_start) begin
      prow_q    <= 8'd0;
      pea_q     <= bp_start ? l_par_addr[SpAW-1:0] : par_addr[SpAW-1:0];
      pe_set_q  <= bp_start ? l_par_set : par_set;
    end else if (par_issue) begin
      prow_q <= prow_q + 8'd1;
      pea_q  <= pea_q + 1'b1;
    end
    pw1_row_q <= prow_q;
  end

endmodule
