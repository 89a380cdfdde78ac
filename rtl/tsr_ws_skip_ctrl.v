// tessera: controller of the row-elastic weight-stationary array (zero skipping); docs/skip.md.
//
// Activation stream (a): each beat is one pixel's Depth*Rows activations, lane j*Rows + r = K index
// k0 + j*Rows + r, which row r multiplies with its weight j. The beat is split into one FIFO per row
// (InFifo entries of Depth bytes, its bank tag and a_last_i), so rows run at their own pace.
// Row sequencers: for the pixel at the head of its FIFO, row r issues one step per activation that
// differs from the zero point zp_i (skip_en_i = 1) or per activation (skip_en_i = 0, dense), and at
// least one step, which passes the partial sum on. A step's operand is a - zp (9-bit signed).
// The first step of a pixel needs the row above to have completed that pixel (ready count > 0) and
// a free entry in the row's own psum FIFOs (slot count < Fifo); the bottom row has one entry, read
// by the de-skew the cycle after its last step. The counts are column 0's; column c runs the same
// steps c cycles later. All counts are registered: no combinational path runs between rows.
// Weight stream (b): Depth*Rows beats fill a bank, the first beat ending up in the bottom row's last
// stage. A bank is reloaded only after the bottom row issued the last step of its tile's last
// pixel and Cols-1 more cycles passed (the step reaches the last column).
// Counters (wrapping): cnt_skip_o adds Depth - steps for every pixel a row completes (row-steps
// skipped); cnt_gated_o adds Cols for every zero-operand step issued (PE MACs gated);
// cnt_active_o counts the cycles in which at least one row issues a step (array cycles).
module tsr_ws_skip_ctrl #(
  parameter Rows   = 2,
  parameter Cols   = 2,
  parameter Depth  = 2,
  parameter Fifo   = 2,
  parameter InFifo = 4,
  parameter Gate   = 1,
  parameter SelW   = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  input  wire                    en_i,
  input  wire                    skip_en_i,
  input  wire [7:0]              zp_i,
  // activation stream handshake
  input  wire                    a_valid_i,
  input  wire                    a_last_i,
  input  wire [8*Depth*Rows-1:0] a_data_i,
  output wire                    a_ready_o,
  // weight stream handshake
  input  wire                    b_valid_i,
  output wire                    b_ready_o,
  output wire                    w_shift_o,
  output wire                    w_bank_o,
  // steps into column 0, one per row
  output wire [9*Rows-1:0]       st_a_o,
  output wire [SelW*Rows-1:0]    st_sel_o,
  output wire [Rows-1:0]         st_bank_o,
  output wire [Rows-1:0]         st_v_o,
  output wire [Rows-1:0]         st_first_o,
  output wire [Rows-1:0]         st_last_o,
  output wire [Rows-1:0]         st_nz_o,
  // the bottom row issued the last step of a pixel (its result leaves column 0 next cycle)
  output wire                    out_issue_o,
  output wire [31:0]             cnt_skip_o,
  output wire [31:0]             cnt_gated_o,
  output wire [31:0]             cnt_active_o
);

  localparam integer EntW   = 8 * Depth + 2;
  localparam integer LoadN  = Depth * Rows;
  localparam integer CntW   = (LoadN > 1) ? $clog2(LoadN) : 1;
  localparam integer SlotW  = $clog2(Fifo + 1);
  localparam integer DrainW = $clog2(Cols + 1);
  localparam integer StepW  = $clog2(Depth + 1);
  localparam integer RowW   = $clog2(Rows + 1);
  localparam integer LastLoadI = LoadN - 1;
  localparam [CntW-1:0]   LastLoad  = LastLoadI[CntW-1:0];
  localparam integer      DrainI    = Cols - 1;
  localparam [DrainW-1:0] DrainInit = DrainI[DrainW-1:0];
  localparam integer      FifoI     = Fifo;
  localparam [SlotW-1:0]  SlotFull  = FifoI[SlotW-1:0];
  localparam integer      DepthI    = Depth;
  localparam [StepW-1:0]  DepthS    = DepthI[StepW-1:0];
  localparam integer      ColsI     = Cols;

  // ---- weight loading and banks (as tsr_ws_ctrl, with an explicit drain of the bottom row) ------
  reg  [1:0]        full_q, pend_q;
  wire [1:0]        full_d, pend_d;
  reg               load_bank_q, comp_bank_q;
  wire              load_bank_d, comp_bank_d;
  reg  [CntW-1:0]   load_cnt_q;
  wire [CntW-1:0]   load_cnt_d;
  reg  [DrainW-1:0] drain0_q, drain1_q;
  wire [DrainW-1:0] drain0_d, drain1_d, drain_load;
  wire              a_fire, b_fire, tile_done, load_done, rows_ready;
  wire              bot_tile_end, bot_bank;

  wire [Rows-1:0]   push_ready, head_valid, issue, is_first, is_last, is_nz, head_tlast, head_bank;
  wire [Rows-1:0]   pass_first;  // issue && first: pops the row above's FIFO
  wire [Rows-1:0]   has_ready;   // the row's FIFOs hold a completed pixel (bottom row: 0)

  wire unused_edges;  // row 0 pops no row above; the bottom row's ready count is the de-skew
  assign unused_edges = pass_first[0] ^ has_ready[Rows-1];
  assign rows_ready = &push_ready;
  assign drain_load = load_bank_q ? drain1_q : drain0_q;
  assign a_ready_o  = en_i && full_q[comp_bank_q] && rows_ready;
  assign b_ready_o  = en_i && !full_q[load_bank_q] && !pend_q[load_bank_q] &&
                      (drain_load == {DrainW{1'b0}});
  assign a_fire     = a_valid_i && a_ready_o;
  assign b_fire     = b_valid_i && b_ready_o;
  assign tile_done  = a_fire && a_last_i;
  assign load_done  = b_fire && (load_cnt_q == LastLoad);
  assign w_shift_o  = b_fire;
  assign w_bank_o   = load_bank_q;

  assign load_cnt_d  = !b_fire ? load_cnt_q : (load_done ? {CntW{1'b0}} : load_cnt_q + 1'b1);
  assign load_bank_d = load_done ? !load_bank_q : load_bank_q;
  assign comp_bank_d = tile_done ? !comp_bank_q : comp_bank_q;

  // The bottom row finished the last pixel of a tile: the tile's bank drains Cols-1 more cycles.
  assign bot_tile_end = issue[Rows-1] && is_last[Rows-1] && head_tlast[Rows-1];
  assign bot_bank     = head_bank[Rows-1];
  assign out_issue_o  = issue[Rows-1] && is_last[Rows-1];

  assign full_d[0] = (load_done && !load_bank_q) ? 1'b1 :
                     (tile_done && !comp_bank_q) ? 1'b0 : full_q[0];
  assign full_d[1] = (load_done && load_bank_q) ? 1'b1 :
                     (tile_done && comp_bank_q) ? 1'b0 : full_q[1];
  assign pend_d[0] = (tile_done && !comp_bank_q) ? 1'b1 :
                     (bot_tile_end && !bot_bank) ? 1'b0 : pend_q[0];
  assign pend_d[1] = (tile_done && comp_bank_q) ? 1'b1 :
                     (bot_tile_end && bot_bank) ? 1'b0 : pend_q[1];
  assign drain0_d  = (bot_tile_end && !bot_bank) ? DrainInit :
                     (en_i && drain0_q != {DrainW{1'b0}}) ? drain0_q - 1'b1 : drain0_q;
  assign drain1_d  = (bot_tile_end && bot_bank) ? DrainInit :
                     (en_i && drain1_q != {DrainW{1'b0}}) ? drain1_q - 1'b1 : drain1_q;

  // ---- per-row input FIFOs and step sequencers ---------------------------------------------------
  wire [StepW*Rows-1:0] skipped;  // per row: Depth - steps of the pixel it completes now

  genvar r;
  generate
    for (r = 0; r < Rows; r = r + 1) begin : g_row
      wire [EntW-1:0]    push_data, head;
      wire [8*Depth-1:0] bytes;
      wire [9*Depth-1:0] act;
      reg  [Depth-1:0]   done_q;
      wire [Depth-1:0]   done_d, nzm, todo, pick, rest;
      wire [SelW-1:0]    sel;
      wire [8:0]         a_cur;
      wire [StepW-1:0]   nsteps;
      wire               any, up_ok, slot_ok, unused_full;
      genvar j;

      for (j = 0; j < Depth; j = j + 1) begin : g_lane
        assign push_data[8*j +: 8] = a_data_i[8*(j*Rows + r) +: 8];
        assign act[9*j +: 9]       = {bytes[8*j+7], bytes[8*j +: 8]} - {zp_i[7], zp_i};
        assign nzm[j]              = bytes[8*j +: 8] != zp_i;
      end
      assign push_data[EntW-1:EntW-2] = {a_last_i, comp_bank_q};

      tsr_fifo #(
        .Width (EntW),
        .Depth (InFifo)
      ) u_in (
        .clk_i        (clk_i),
        .rst_ni       (rst_ni),
        .push_valid_i (a_fire),
        .push_ready_o (push_ready[r]),
        .push_data_i  (push_data),
        .pop_valid_o  (head_valid[r]),
        .pop_ready_i  (issue[r] && is_last[r]),
        .pop_data_o   (head),
        .full_o       (unused_full)
      );
      assign bytes         = head[8*Depth-1:0];
      assign head_bank[r]  = head[EntW-2];
      assign head_tlast[r] = head[EntW-1];

      // The lowest index still to do; todo is empty only for an all-zero pixel (one pass step).
      assign todo = (skip_en_i ? nzm : {Depth{1'b1}}) & ~done_q;
      assign rest = todo & ~pick;
      assign any  = |todo;
      // Priority encoder: the lowest set bit of todo as one-hot (pick) and index (sel).
      if (Depth > 1) begin : g_enc
        reg [SelW-1:0]  enc;
        reg [Depth-1:0] one;
        integer k;
        always @* begin
          enc = {SelW{1'b0}};
          one = {Depth{1'b0}};
          for (k = Depth - 1; k >= 0; k = k - 1) begin
            if (todo[k]) begin
              enc = k[SelW-1:0];
              one = {Depth{1'b0}};
              one[k] = 1'b1;
            end
          end
        end
        assign sel  = enc;
        assign pick = one;
      end else begin : g_enc1
        assign sel  = 1'b0;
        assign pick = todo;
      end
      assign is_first[r] = done_q == {Depth{1'b0}};
      assign is_last[r]  = !any || (rest == {Depth{1'b0}});
      assign is_nz[r]    = any && nzm[sel];
      assign a_cur       = act[9*sel +: 9];

      if (r == 0) begin : g_top
        assign up_ok = 1'b1;
      end else begin : g_mid
        assign up_ok = has_ready[r-1];
      end
      if (r == Rows - 1) begin : g_bot
        assign slot_ok      = 1'b1;
        assign has_ready[r] = 1'b0;
      end else begin : g_slot
        reg  [SlotW-1:0] slots_q, ready_q;
        wire [SlotW-1:0] slots_d, ready_d;
        wire             take;  // the row below starts a pixel: it pops this row's FIFOs
        assign take    = pass_first[r+1];
        assign slot_ok      = slots_q != SlotFull;
        assign has_ready[r] = ready_q != {SlotW{1'b0}};
        assign slots_d = slots_q + {{(SlotW-1){1'b0}}, pass_first[r]} - {{(SlotW-1){1'b0}}, take};
        assign ready_d = ready_q + {{(SlotW-1){1'b0}}, issue[r] && is_last[r]} -
                         {{(SlotW-1){1'b0}}, take};
        always @(posedge clk_i or negedge rst_ni) begin
          if (!rst_ni) begin
            slots_q <= {SlotW{1'b0}};
            ready_q <= {SlotW{1'b0}};
          end else begin
            slots_q <= slots_d;
            ready_q <= ready_d;
          end
        end
      end

      assign issue[r]      = en_i && head_valid[r] && (!is_first[r] || (up_ok && slot_ok));
      assign pass_first[r] = issue[r] && is_first[r];
      assign done_d        = !issue[r] ? done_q : (is_last[r] ? {Depth{1'b0}} : done_q | pick);

      // Steps done for the pixel completed now: popcount(done_q) + 1 (the pass step counts).
      if (Depth > 1) begin : g_cnt
        reg [StepW-1:0] pc;
        integer k;
        always @* begin
          pc = {{(StepW-1){1'b0}}, 1'b1};
          for (k = 0; k < Depth; k = k + 1) pc = pc + {{(StepW-1){1'b0}}, done_q[k]};
        end
        assign nsteps = pc;
      end else begin : g_cnt1
        assign nsteps = 1'b1;
      end
      assign skipped[StepW*r +: StepW] = (issue[r] && is_last[r]) ? DepthS - nsteps
                                                                   : {StepW{1'b0}};

      // Column 0 operands: with Gate, held over zero steps so the row's multipliers do not toggle.
      if (Gate != 0) begin : g_hold
        reg  [8:0]      a_q;
        reg  [SelW-1:0] sel_q;
        reg             bank_q;
        wire [8:0]      a_d;
        wire [SelW-1:0] sel_d;
        wire            bank_d, load;
        assign load   = issue[r] && is_nz[r];
        assign a_d    = load ? a_cur : a_q;
        assign sel_d  = load ? sel : sel_q;
        assign bank_d = load ? head_bank[r] : bank_q;
        always @(posedge clk_i) begin
          a_q    <= a_d;
          sel_q  <= sel_d;
          bank_q <= bank_d;
        end
        assign st_a_o[9*r +: 9]          = is_nz[r] ? a_cur : a_q;
        assign st_sel_o[SelW*r +: SelW]  = is_nz[r] ? sel : sel_q;
        assign st_bank_o[r]              = is_nz[r] ? head_bank[r] : bank_q;
      end else begin : g_nohold
        assign st_a_o[9*r +: 9]          = a_cur;
        assign st_sel_o[SelW*r +: SelW]  = sel;
        assign st_bank_o[r]              = head_bank[r];
      end
      assign st_v_o[r]     = issue[r];
      assign st_first_o[r] = is_first[r];
      assign st_last_o[r]  = is_last[r];
      assign st_nz_o[r]    = is_nz[r];

      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          done_q <= {Depth{1'b0}};
        end else begin
          done_q <= done_d;
        end
      end
    end
  endgenerate

  // ---- counters -----------------------------------------------------------------------------------
  reg  [31:0] cnt_skip_q, cnt_gated_q, cnt_active_q;
  reg  [31:0] skip_sum;
  reg  [RowW-1:0] gated_rows;
  wire [31:0] cnt_skip_d, cnt_gated_d, cnt_active_d, gated_macs;
  integer i;
  always @* begin
    skip_sum   = 32'd0;
    gated_rows = {RowW{1'b0}};
    for (i = 0; i < Rows; i = i + 1) begin
      skip_sum   = skip_sum + {{(32-StepW){1'b0}}, skipped[StepW*i +: StepW]};
      gated_rows = gated_rows + {{(RowW-1){1'b0}}, issue[i] && !is_nz[i]};
    end
  end
  assign gated_macs  = {{(32-RowW){1'b0}}, gated_rows} * ColsI[31:0];
  assign cnt_skip_d  = cnt_skip_q + skip_sum;
  assign cnt_gated_d = cnt_gated_q + gated_macs;
  assign cnt_skip_o  = cnt_skip_q;
  assign cnt_gated_o = cnt_gated_q;
  assign cnt_active_d = cnt_active_q + {31'd0, |issue};
  assign cnt_active_o = cnt_active_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      full_q      <= 2'b00;
      pend_q      <= 2'b00;
      load_bank_q <= 1'b0;
      comp_bank_q <= 1'b0;
      load_cnt_q  <= {CntW{1'b0}};
      drain0_q    <= {DrainW{1'b0}};
      drain1_q    <= {DrainW{1'b0}};
      cnt_skip_q  <= 32'd0;
      cnt_gated_q <= 32'd0;
      cnt_active_q <= 32'd0;
    end else begin
      full_q      <= full_d;
      pend_q      <= pend_d;
      load_bank_q <= load_bank_d;
      comp_bank_q <= comp_bank_d;
      load_cnt_q  <= load_cnt_d;
      drain0_q    <= drain0_d;
      drain1_q    <= drain1_d;
      cnt_skip_q  <= cnt_skip_d;
      cnt_gated_q <= cnt_gated_d;
      cnt_active_q <= cnt_active_d;
    end
  end

endmodule
