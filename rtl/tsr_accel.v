// tessera: the accelerator around a weight-stationary tsr_array: AXI4-Lite CSRs, command fetch and
// dispatch, decoupled load / execute / store units with dependency tokens, banked scratchpad,
// two-bank accumulator, post-processing and an AXI4 DMA master. docs/architecture.md has the
// block diagram; docs/commands.md (generated) the command set and CSR map.
//
// With HasCore, the escape core (tsr_core) sits beside the units: its bus port reaches the
// scratchpad (lowest-priority read port, write port when the load unit does not write) and the
// CSR block's core port (tsr_core_bus); ESCAPE commands reach it through the dispatcher
// (tsr_fetch); the host loads and starts it through CORE_* CSRs.
//
// Reset: rst_ni resets everything. CTRL.soft_reset resets everything but the CSR block once both
// DMA engines are idle, so no AXI transaction is ever cut.
module tsr_accel #(
  parameter Rows        = 4,
  parameter Cols        = 4,
  parameter RowBytes    = 4,      // max(Rows, Cols)
  parameter SpBankRows  = 256,
  parameter SpBanks     = 2,
  parameter AccBankRows = 64,
  parameter BusBytes    = 8,
  parameter [31:0] Hash = 32'd0,
  parameter HasCore     = 0,
  parameter CoreMExt    = 1,
  parameter CoreImemKib = 16,
  parameter CoreDmemKib = 16,
  parameter CoreClkDiv  = 1,      // the core advances every CoreClkDiv-th cycle (docs/core.md)
  parameter SkipDepth   = 0,      // 0: dense tsr_array; 1, 2, 4: zero-skip tsr_array (docs/skip.md)
  parameter DwLinePx    = 0       // depthwise line buffer in pixels (memory.dw_line_px)
) (
  input  wire                  clk_i,
  input  wire                  rst_ni,
  output wire                  irq_o,
  output wire [7:0]            unit_state_o,  // debug: {st wait, st run, ex wait, ex run,
                                              //         ld wait, ld run, fetching, halted}
  // AXI4-Lite CSR slave
  input  wire                  s_awvalid_i,
  output wire                  s_awready_o,
  input  wire [11:0]           s_awaddr_i,
  input  wire                  s_wvalid_i,
  output wire                  s_wready_o,
  input  wire [31:0]           s_wdata_i,
  input  wire [3:0]            s_wstrb_i,
  output wire                  s_bvalid_o,
  input  wire                  s_bready_i,
  output wire [1:0]            s_bresp_o,
  input  wire                  s_arvalid_i,
  output wire                  s_arready_o,
  input  wire [11:0]           s_araddr_i,
  output wire                  s_rvalid_o,
  input  wire                  s_rready_i,
  output wire [31:0]           s_rdata_o,
  output wire [1:0]            s_rresp_o,
  // AXI4 DMA master
  output wire                  m_arvalid_o,
  input  wire                  m_arready_i,
  output wire [31:0]           m_araddr_o,
  output wire [7:0]            m_arlen_o,
  output wire [2:0]            m_arsize_o,
  output wire [1:0]            m_arburst_o,
  input  wire                  m_rvalid_i,
  output wire                  m_rready_o,
  input  wire [8*BusBytes-1:0] m_rdata_i,
  input  wire [1:0]            m_rresp_i,
  input  wire                  m_rlast_i,
  output wire                  m_awvalid_o,
  input  wire                  m_awready_i,
  output wire [31:0]           m_awaddr_o,
  output wire [7:0]            m_awlen_o,
  output wire [2:0]            m_awsize_o,
  output wire [1:0]            m_awburst_o,
  output wire                  m_wvalid_o,
  input  wire                  m_wready_i,
  output wire [8*BusBytes-1:0] m_wdata_o,
  output wire [BusBytes-1:0]   m_wstrb_o,
  output wire                  m_wlast_o,
  input  wire                  m_bvalid_i,
  output wire                  m_bready_o,
  input  wire [1:0]            m_bresp_i
);

`include "tsr_isa.vh"
`include "tsr_params.vh"

  localparam integer SpRows  = SpBankRows * SpBanks;
  localparam integer AccRows = 2 * AccBankRows;
  localparam integer SpAW    = $clog2(SpRows);
  localparam integer AccAW   = $clog2(AccRows);
  localparam integer IdxW    = 16;
  // LOADs in flight in the load unit (its DMA engine overlaps their descriptors): enough to cover
  // the memory latency with the short per-row LOADs of strided and tiled inputs (docs/results.md)
  localparam integer LdDepth = TSR_LOAD_DEPTH;
  localparam integer NumCnt  = TSR_CNT_NUM;
  localparam integer QW      = 256 + IdxW;
  localparam integer SpStride = (RowBytes <= 4) ? 4 : (1 << $clog2(RowBytes));
  localparam integer ADepth  = (SkipDepth > 0) ? SkipDepth : 1;  // chunks per array beat
  // banks a mirrored LOAD writes: the partner bank, or all four on depth-4 zero-skip variants
  localparam integer MirrorWays = (SkipDepth > 2) ? 4 : 2;
  localparam integer BeatMacsI = Rows * Cols * ADepth;
  localparam [15:0]  BeatMacs  = BeatMacsI[15:0];               // ARRAY_MACS per beat

  // ---- reset --------------------------------------------------------------------------------
  wire soft_req, soft_ack, core_rst_n, rd_busy, wr_busy;
  reg  soft_q;
  assign soft_ack   = soft_q;
  assign core_rst_n = rst_ni && !soft_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) soft_q <= 1'b0;
    else         soft_q <= soft_req && !soft_q && !rd_busy && !wr_busy;
  end

  // ---- CSRs ---------------------------------------------------------------------------------
  wire             start, push, push_ready, drained, units_idle, halt, fence_irq;
  wire [31:0]      cmd_base, cmd_count, win_base, win_limit;
  wire [255:0]     push_cmd;
  wire             err_any;
  wire [7:0]       err_code;
  wire [3:0]       err_unit;
  wire [IdxW-1:0]  err_idx;
  wire             retire_any;
  wire [2:0]       retire_n;
  wire [16*NumCnt-1:0] cnt_inc;
  wire             csr_active;
  // escape core <-> CSRs / dispatcher
  wire             core_run, core_reset, lm_ok, lm_req, lm_we;
  wire [31:0]      core_timeout, core_status, core_pc, core_exit, lm_addr, lm_wdata, lm_rdata;
  wire             core_retire, esc_active_cnt;
  reg  [31:0]      core_esc_status_q;
  wire             cc_req, cc_we, cc_gnt, cc_rvalid, cpush, cpush_ready;
  wire [11:0]      cc_addr;
  wire [31:0]      cc_wdata, cc_rdata;
  wire [255:0]     cpush_cmd;
  wire             core_ok, core_fault, esc_done, esc_pending, cq_idle;
  wire [31:0]      esc_status;
  wire [15:0]      esc_func;
  wire [223:0]     esc_args;
  wire [2:0]       cq_free;

  tsr_csr #(
    .AddrW    (32),
    .BusBytes (BusBytes),
    .IdxW     (IdxW),
    .NumCnt   (NumCnt),
    .Hash     (Hash)
  ) u_csr (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .s_awvalid_i      (s_awvalid_i),
    .s_awready_o      (s_awready_o),
    .s_awaddr_i       (s_awaddr_i),
    .s_wvalid_i       (s_wvalid_i),
    .s_wready_o       (s_wready_o),
    .s_wdata_i        (s_wdata_i),
    .s_wstrb_i        (s_wstrb_i),
    .s_bvalid_o       (s_bvalid_o),
    .s_bready_i       (s_bready_i),
    .s_bresp_o        (s_bresp_o),
    .s_arvalid_i      (s_arvalid_i),
    .s_arready_o      (s_arready_o),
    .s_araddr_i       (s_araddr_i),
    .s_rvalid_o       (s_rvalid_o),
    .s_rready_i       (s_rready_i),
    .s_rdata_o        (s_rdata_o),
    .s_rresp_o        (s_rresp_o),
    .start_o          (start),
    .soft_reset_req_o (soft_req),
    .soft_reset_ack_i (soft_ack),
    .cmd_base_o       (cmd_base),
    .cmd_count_o      (cmd_count),
    .win_base_o       (win_base),
    .win_limit_o      (win_limit),
    .push_o           (push),
    .push_ready_i     (push_ready),
    .push_cmd_o       (push_cmd),
    .drained_i        (drained),
    .units_idle_i     (units_idle),
    .retire_i         (retire_any),
    .retire_n_i       (retire_n),
    .fence_irq_i      (fence_irq),
    .err_i            (err_any),
    .err_code_i       (err_code),
    .err_unit_i       (err_unit),
    .err_idx_i        (err_idx),
    .halt_o           (halt),
    .irq_o            (irq_o),
    .active_o         (csr_active),
    .cnt_inc_i        (cnt_inc),
    .core_run_o       (core_run),
    .core_reset_o     (core_reset),
    .core_timeout_o   (core_timeout),
    .core_status_i    (core_status),
    .core_pc_i        (core_pc),
    .core_exit_i      (core_exit),
    .core_esc_status_i (core_esc_status_q),
    .lm_ok_i          (lm_ok),
    .lm_req_o         (lm_req),
    .lm_we_o          (lm_we),
    .lm_addr_o        (lm_addr),
    .lm_wdata_o       (lm_wdata),
    .lm_rdata_i       (lm_rdata),
    .c_req_i          (cc_req),
    .c_we_i           (cc_we),
    .c_addr_i         (cc_addr),
    .c_wdata_i        (cc_wdata),
    .c_gnt_o          (cc_gnt),
    .c_rvalid_o       (cc_rvalid),
    .c_rdata_o        (cc_rdata),
    .cpush_o          (cpush),
    .cpush_cmd_o      (cpush_cmd),
    .cpush_ready_i    (cpush_ready)
  );

  wire stop;  // no new command may start
  assign stop = halt || soft_req;

  // ---- fetch / dispatch ---------------------------------------------------------------------
  wire             f_desc_valid, f_desc_ready, f_el_valid, f_el_last, f_dma_done;
  wire [31:0]      f_desc_addr;
  wire [15:0]      f_desc_bytes;
  wire             q_ld_valid, q_ld_ready, q_ex_valid, q_ex_ready, q_st_valid, q_st_ready;
  wire [255:0]     d_cmd;
  wire [IdxW-1:0]  d_idx;
  wire             f_retire, f_err;
  wire [7:0]       f_err_code;
  wire [IdxW-1:0]  f_err_idx;
  wire [255:0]     f_el_data;
  wire             f_err_rd;
  wire [2:0]       f_err_code_rd;

  tsr_fetch #(.AddrW (32), .IdxW (IdxW), .HasCore (HasCore)) u_fetch (
    .clk_i            (clk_i),
    .rst_ni           (core_rst_n),
    .halt_i           (stop),
    .start_i          (start),
    .base_i           (cmd_base),
    .count_i          (cmd_count),
    .push_i           (push),
    .push_cmd_i       (push_cmd),
    .desc_valid_o     (f_desc_valid),
    .desc_ready_i     (f_desc_ready),
    .desc_addr_o      (f_desc_addr),
    .desc_row_bytes_o (f_desc_bytes),
    .el_valid_i       (f_el_valid),
    .el_last_i        (f_el_last),
    .el_data_i        (f_el_data),
    .dma_done_i       (f_dma_done),
    .dma_err_i        (f_err_rd),
    .dma_err_code_i   (f_err_code_rd),
    .ld_valid_o       (q_ld_valid),
    .ld_ready_i       (q_ld_ready),
    .ex_valid_o       (q_ex_valid),
    .ex_ready_i       (q_ex_ready),
    .st_valid_o       (q_st_valid),
    .st_ready_i       (q_st_ready),
    .cmd_o            (d_cmd),
    .idx_o            (d_idx),
    .units_idle_i     (units_idle),
    .retire_o         (f_retire),
    .fence_irq_o      (fence_irq),
    .err_o            (f_err),
    .err_code_o       (f_err_code),
    .err_idx_o        (f_err_idx),
    .drained_o        (drained),
    .push_ready_o     (push_ready),
    .core_ok_i        (core_ok),
    .core_fault_i     (core_fault),
    .esc_done_i       (esc_done),
    .esc_status_i     (esc_status),
    .esc_timeout_i    (core_timeout),
    .esc_pending_o    (esc_pending),
    .esc_func_o       (esc_func),
    .esc_args_o       (esc_args),
    .cpush_i          (cpush),
    .cpush_cmd_i      (cpush_cmd),
    .cpush_ready_o    (cpush_ready),
    .cq_free_o        (cq_free),
    .cq_idle_o        (cq_idle)
  );

  // ---- unit queues and sequencers -----------------------------------------------------------
  // Index 0 load, 1 execute, 2 store. Tokens: t_le load->ex, t_el ex->load, t_es ex->store,
  // t_se store->ex.
  wire [2:0]      qv, qr, sv, sr, s_start, s_done, s_err, s_retire, s_idle, s_wait, s_active;
  wire [QW-1:0]   qd [0:2];
  wire [255:0]    s_cmd [0:2];
  wire [IdxW-1:0] s_idx [0:2];
  wire [IdxW-1:0] s_err_idx [0:2];
  wire [7:0]      s_err_code [0:2];
  wire [7:0]      u_err_code [0:2];
  wire [2:0]      u_err;
  wire [2:0]      prev_avail, next_avail, prev_take, next_take, prev_give, next_give;
  wire [2:0]      q_empty;
  wire [2:0]      u_ready, u_free;
  wire            ex_ready, ex_free, ld_ready;
  assign u_ready = {1'b1, ex_ready, ld_ready};
  assign u_free  = {1'b1, ex_free, ld_ready};

  assign qv = {q_st_valid, q_ex_valid, q_ld_valid};
  assign q_ld_ready = qr[0];
  assign q_ex_ready = qr[1];
  assign q_st_ready = qr[2];

  genvar u;
  generate
    for (u = 0; u < 3; u = u + 1) begin : g_unit
      wire unused_full;
      tsr_fifo #(.Width (QW), .Depth (4)) u_queue (
        .clk_i        (clk_i),
        .rst_ni       (core_rst_n),
        .push_valid_i (qv[u]),
        .push_ready_o (qr[u]),
        .push_data_i  ({d_idx, d_cmd}),
        .pop_valid_o  (sv[u]),
        .pop_ready_i  (sr[u]),
        .pop_data_o   (qd[u]),
        .full_o       (unused_full)
      );
      assign q_empty[u] = !sv[u];
      // The execute unit overlaps back-to-back MATMULs and PARAMS with a draining MATMUL (up to
      // three commands in flight); the load unit checks the next LOADs and issues their
      // descriptors while the older ones' data arrives (LdDepth in flight).
      tsr_unit_seq #(
        .HasPrev     (u != 0),
        .HasNext     (u != 2),
        .MaxInflight ((u == 1) ? 3 : (u == 0) ? LdDepth : 1),
        .ErrOldest   ((u == 0) ? 1 : 0),
        .IdxW        (IdxW)
      ) u_seq (
        .clk_i        (clk_i),
        .rst_ni       (core_rst_n),
        .halt_i       (stop),
        .cmd_valid_i  (sv[u]),
        .cmd_ready_o  (sr[u]),
        .cmd_i        (qd[u][255:0]),
        .idx_i        (qd[u][QW-1:256]),
        .prev_avail_i (prev_avail[u]),
        .next_avail_i (next_avail[u]),
        .prev_take_o  (prev_take[u]),
        .next_take_o  (next_take[u]),
        .prev_give_o  (prev_give[u]),
        .next_give_o  (next_give[u]),
        .free_i       (u_free[u]),
        .ready_i      (u_ready[u]),
        .start_o      (s_start[u]),
        .cmd_o        (s_cmd[u]),
        .idx_o        (s_idx[u]),
        .done_i       (s_done[u]),
        .err_i        (u_err[u]),
        .err_code_i   (u_err_code[u]),
        .err_o        (s_err[u]),
        .err_code_o   (s_err_code[u]),
        .err_idx_o    (s_err_idx[u]),
        .retire_o     (s_retire[u]),
        .idle_o       (s_idle[u]),
        .wait_o       (s_wait[u]),
        .active_o     (s_active[u])
      );
    end
  endgenerate

  // Token counters. A give comes at the end of a unit's done path, so it is registered first
  // (g_*_q) and counted a cycle later; a token is available when the count or the registered give
  // is non-zero, exactly as if it had been counted at once (count = t_q + g_q).
  function automatic [15:0] tok_next(input [15:0] t, input give, input take);
    tok_next = (give && !take) ? t + 16'd1 : (take && !give) ? t - 16'd1 : t;
  endfunction
  reg  [15:0] t_le_q, t_el_q, t_es_q, t_se_q;
  reg         g_le_q, g_el_q, g_es_q, g_se_q;
  assign prev_avail = {(t_es_q != 16'd0) || g_es_q, (t_le_q != 16'd0) || g_le_q, 1'b0};
  assign next_avail = {1'b0, (t_se_q != 16'd0) || g_se_q, (t_el_q != 16'd0) || g_el_q};
  always @(posedge clk_i or negedge core_rst_n) begin
    if (!core_rst_n) begin
      t_le_q <= 16'd0;
      t_el_q <= 16'd0;
      t_es_q <= 16'd0;
      t_se_q <= 16'd0;
      g_le_q <= 1'b0;
      g_el_q <= 1'b0;
      g_es_q <= 1'b0;
      g_se_q <= 1'b0;
    end else begin
      t_le_q <= tok_next(t_le_q, g_le_q, prev_take[1]);
      t_el_q <= tok_next(t_el_q, g_el_q, next_take[0]);
      t_es_q <= tok_next(t_es_q, g_es_q, prev_take[2]);
      t_se_q <= tok_next(t_se_q, g_se_q, next_take[1]);
      g_le_q <= next_give[0];
      g_el_q <= prev_give[1];
      g_es_q <= next_give[1];
      g_se_q <= prev_give[2];
    end
  end
  wire [1:0] unused_tok;
  assign unused_tok = {prev_take[0], prev_give[0]} ^ {next_take[2], next_give[2]};

  // A STORE completes once its data has gone out; its write responses may still be on their way,
  // so idle (FENCE, ESCAPE, done) also waits for the DMA write engine.
  assign units_idle = &s_idle && &q_empty && !wr_busy;
  assign retire_any = f_retire || (|s_retire);
  assign retire_n   = {2'd0, f_retire} + {2'd0, s_retire[0]} + {2'd0, s_retire[1]} +
                      {2'd0, s_retire[2]};

  // A write-response error belongs to the STORE whose burst failed (tagged with its index), which
  // may already have completed.
  assign err_any  = f_err || (|s_err) || wr_berr;
  assign err_code = wr_berr ? TSR_ERROR_AXI_WRITE[7:0] : f_err ? f_err_code :
                    s_err[0] ? s_err_code[0] : s_err[1] ? s_err_code[1] : s_err_code[2];
  assign err_unit = wr_berr ? 4'd3 : f_err ? 4'd0 : s_err[0] ? 4'd1 : s_err[1] ? 4'd2 : 4'd3;
  assign err_idx  = wr_berr ? wr_berr_tag : f_err ? f_err_idx : s_err[0] ? s_err_idx[0] :
                    s_err[1] ? s_err_idx[1] : s_err_idx[2];

  // ---- DMA read engines: one for the load unit, one for command fetch -----------------------
  // Both share the AXI read channel: the AR channel is arbitrated (fetch first: its bursts are
  // rare and short, and the load unit may keep 32 in flight), and a FIFO of owners, one entry per
  // accepted AR, routes the in-order R bursts back (single ARID, so responses keep AR order).
  wire             l_desc_valid, l_desc_ready, l_el_valid, l_dma_done;
  wire [31:0]      l_desc_addr, l_desc_stride;
  wire [15:0]      l_desc_rows, l_desc_bytes, l_desc_elem;
  wire [8*RowBytes-1:0] l_el_data;
  wire             l_err;
  wire [2:0]       l_err_code;
  wire             l_busy, f_busy, unused_l_last;
  wire             l_arvalid, f_arvalid, l_rready, f_rready;
  wire [31:0]      l_araddr, f_araddr;
  wire [7:0]       l_arlen, f_arlen;
  wire [2:0]       l_arsize, f_arsize;
  wire [1:0]       l_arburst, f_arburst;
  wire             ar_f, ar_fire, r_last_fire, own_valid, own_head, unused_own_full, own_ready;

  assign rd_busy     = l_busy || f_busy;

  // AR: fetch first; an AR is only issued while the owner FIFO has room. A request the slave has
  // not accepted keeps its owner (AXI: ARVALID with a stable address until ARREADY).
  reg              ar_hold_q, ar_hold_f_q;
  wire             ar_hold_d;
  assign ar_f        = ar_hold_q ? ar_hold_f_q : f_arvalid;
  assign ar_hold_d   = m_arvalid_o && !m_arready_i;
  always @(posedge clk_i or negedge core_rst_n) begin
    if (!core_rst_n) begin
      ar_hold_q   <= 1'b0;
      ar_hold_f_q <= 1'b0;
    end else begin
      ar_hold_q   <= ar_hold_d;
      ar_hold_f_q <= ar_f;
    end
  end
  assign m_arvalid_o = (f_arvalid || l_arvalid) && own_ready;
  assign m_araddr_o  = ar_f ? f_araddr : l_araddr;
  assign m_arlen_o   = ar_f ? f_arlen : l_arlen;
  assign m_arsize_o  = ar_f ? f_arsize : l_arsize;
  assign m_arburst_o = ar_f ? f_arburst : l_arburst;
  assign ar_fire     = m_arvalid_o && m_arready_i;
  // R: the head of the owner FIFO (1 = fetch) takes the beats until RLAST.
  assign m_rready_o  = own_valid && (own_head ? f_rready : l_rready);
  assign r_last_fire = m_rvalid_i && m_rready_o && m_rlast_i;

  tsr_fifo #(.Width (1), .Depth (64)) u_rd_owner (
    .clk_i        (clk_i),
    .rst_ni       (core_rst_n),
    .push_valid_i (ar_fire),
    .push_ready_o (own_ready),
    .push_data_i  (ar_f),
    .pop_valid_o  (own_valid),
    .pop_ready_i  (r_last_fire),
    .pop_data_o   (own_head),
    .full_o       (unused_own_full)
  );

  tsr_dma_rd #(
    .AddrW          (32),
    .DataBytes      (BusBytes),
    .MaxBurst       (16),
    .ElemBytes      (RowBytes),
    .MaxOutstanding (32),
    .Overlap        (LdDepth - 1)
  ) u_dma_rd (
    .clk_i             (clk_i),
    .rst_ni            (core_rst_n),
    .win_base_i        (win_base),
    .win_limit_i       (win_limit),
    .desc_valid_i      (l_desc_valid),
    .desc_ready_o      (l_desc_ready),
    .desc_addr_i       (l_desc_addr),
    .desc_stride_i     (l_desc_stride),
    .desc_rows_i       (l_desc_rows),
    .desc_row_bytes_i  (l_desc_bytes),
    .desc_elem_bytes_i (l_desc_elem),
    .out_valid_o       (l_el_valid),
    .out_ready_i       (1'b1),
    .out_data_o        (l_el_data),
    .out_last_o        (unused_l_last),
    .m_arvalid_o       (l_arvalid),
    .m_arready_i       (m_arready_i && own_ready && !ar_f),
    .m_araddr_o        (l_araddr),
    .m_arlen_o         (l_arlen),
    .m_arsize_o        (l_arsize),
    .m_arburst_o       (l_arburst),
    .m_rvalid_i        (m_rvalid_i && own_valid && !own_head),
    .m_rready_o        (l_rready),
    .m_rdata_i         (m_rdata_i),
    .m_rresp_i         (m_rresp_i),
    .m_rlast_i         (m_rlast_i),
    .busy_o            (l_busy),
    .done_o            (l_dma_done),
    .err_o             (l_err),
    .err_code_o        (l_err_code)
  );

  tsr_dma_rd #(
    .AddrW          (32),
    .DataBytes      (BusBytes),
    .MaxBurst       (16),
    .ElemBytes      (32),
    .MaxOutstanding (2),
    .Overlap        (1)
  ) u_dma_fetch (
    .clk_i             (clk_i),
    .rst_ni            (core_rst_n),
    .win_base_i        (win_base),
    .win_limit_i       (win_limit),
    .desc_valid_i      (f_desc_valid),
    .desc_ready_o      (f_desc_ready),
    .desc_addr_i       (f_desc_addr),
    .desc_stride_i     (32'd0),
    .desc_rows_i       (16'd1),
    .desc_row_bytes_i  (f_desc_bytes),
    .desc_elem_bytes_i (16'd32),
    .out_valid_o       (f_el_valid),
    .out_ready_i       (1'b1),
    .out_data_o        (f_el_data),
    .out_last_o        (f_el_last),
    .m_arvalid_o       (f_arvalid),
    .m_arready_i       (m_arready_i && own_ready && ar_f),
    .m_araddr_o        (f_araddr),
    .m_arlen_o         (f_arlen),
    .m_arsize_o        (f_arsize),
    .m_arburst_o       (f_arburst),
    .m_rvalid_i        (m_rvalid_i && own_valid && own_head),
    .m_rready_o        (f_rready),
    .m_rdata_i         (m_rdata_i),
    .m_rresp_i         (m_rresp_i),
    .m_rlast_i         (m_rlast_i),
    .busy_o            (f_busy),
    .done_o            (f_dma_done),
    .err_o             (f_err_rd),
    .err_code_o        (f_err_code_rd)
  );

  // ---- memories ---------------------------------------------------------------------------------
  wire                  sp_we, sp_wmirror, sp_a_req, sp_a_gnt, sp_w_req, sp_w_gnt;
  wire [SpAW-1:0]       sp_waddr, sp_a_addr, sp_w_addr;
  wire [8*RowBytes-1:0] sp_wdata, sp_a_rdata, sp_w_rdata;
  // the escape core's read port and its share of the write port (when the load unit does not write)
  wire                  sp_c_req, sp_c_gnt, sp_cw_req, sp_cw_gnt;
  wire [SpAW-1:0]       sp_c_addr, sp_cw_addr;
  wire [8*RowBytes-1:0] sp_c_rdata, sp_cw_data;
  // depth-4 zero skip: the second and third chunk of a beat (tied off by tsr_ex otherwise)
  wire [1:0]            sp_x_req, sp_x_gnt;
  wire [2*SpAW-1:0]     sp_x_addr;
  wire [16*RowBytes-1:0] sp_x_rdata;
  wire                  ld_we;
  wire [SpAW-1:0]       ld_waddr;
  wire [8*RowBytes-1:0] ld_wdata;
  assign sp_cw_gnt = sp_cw_req && !ld_we;
  assign sp_we     = ld_we || sp_cw_gnt;
  assign sp_waddr  = ld_we ? ld_waddr : sp_cw_addr;
  assign sp_wdata  = ld_we ? ld_wdata : sp_cw_data;

  tsr_spad #(
    .RowBytes (RowBytes),
    .BankRows (SpBankRows),
    .Banks    (SpBanks),
    .AddrW    (SpAW),
    .MirrorWays (MirrorWays)
  ) u_spad (
    .clk_i     (clk_i),
    .we_i      (sp_we),
    .wmirror_i (sp_wmirror),
    .waddr_i   (sp_waddr),
    .wdata_i   (sp_wdata),
    .a_req_i   (sp_a_req),
    .a_addr_i  (sp_a_addr),
    .a_gnt_o   (sp_a_gnt),
    .a_rdata_o (sp_a_rdata),
    .w_req_i   (sp_w_req),
    .w_addr_i  (sp_w_addr),
    .w_gnt_o   (sp_w_gnt),
    .w_rdata_o (sp_w_rdata),
    .x_req_i   (sp_x_req),
    .x_addr_i  (sp_x_addr),
    .x_gnt_o   (sp_x_gnt),
    .x_rdata_o (sp_x_rdata),
    .c_req_i   (sp_c_req),
    .c_addr_i  (sp_c_addr),
    .c_gnt_o   (sp_c_gnt),
    .c_rdata_o (sp_c_rdata)
  );

  wire                 acc_wr_valid, acc_wr_accum, acc_wr_max, acc_rd_valid, acc_rd_ready;
  wire                 acc_rd_vout;
  wire [AccAW-1:0]     acc_wr_addr, acc_rd_addr;
  wire [32*Cols-1:0]   acc_wr_data, acc_rd_data;

  tsr_acc_banks #(
    .Lanes    (Cols),
    .BankRows (AccBankRows),
    .AddrW    (AccAW)
  ) u_acc (
    .clk_i      (clk_i),
    .rst_ni     (core_rst_n),
    .wr_valid_i (acc_wr_valid),
    .wr_accum_i (acc_wr_accum),
    .wr_max_i   (acc_wr_max),
    .wr_addr_i  (acc_wr_addr),
    .wr_data_i  (acc_wr_data),
    .rd_valid_i (acc_rd_valid),
    .rd_ready_o (acc_rd_ready),
    .rd_addr_i  (acc_rd_addr),
    .rd_valid_o (acc_rd_vout),
    .rd_data_o  (acc_rd_data)
  );

  // ---- load unit ----------------------------------------------------------------------------
  wire ld_busy;
  tsr_ld #(
    .RowBytes  (RowBytes),
    .SpRows    (SpRows),
    .BankRows  (SpBankRows),
    .Banks     (SpBanks),
    .ElemBytes (RowBytes),
    .AddrW     (32),
    .SpAW      (SpAW),
    .Depth     (LdDepth)
  ) u_ld (
    .clk_i             (clk_i),
    .rst_ni            (core_rst_n),
    .start_i           (s_start[0]),
    .cmd_i             (s_cmd[0]),
    .done_o            (s_done[0]),
    .err_o             (u_err[0]),
    .err_code_o        (u_err_code[0]),
    .busy_o            (ld_busy),
    .ready_o           (ld_ready),
    .desc_valid_o      (l_desc_valid),
    .desc_ready_i      (l_desc_ready),
    .desc_addr_o       (l_desc_addr),
    .desc_stride_o     (l_desc_stride),
    .desc_rows_o       (l_desc_rows),
    .desc_row_bytes_o  (l_desc_bytes),
    .desc_elem_bytes_o (l_desc_elem),
    .el_valid_i        (l_el_valid),
    .el_data_i         (l_el_data),
    .dma_done_i        (l_dma_done),
    .dma_err_i         (l_err),
    .dma_err_code_i    (l_err_code),
    .sp_we_o           (ld_we),
    .sp_wmirror_o      (sp_wmirror),
    .sp_waddr_o        (ld_waddr),
    .sp_wdata_o        (ld_wdata)
  );

  // ---- execute unit and array ---------------------------------------------------------------
  wire               ex_busy, ex_array_row, ex_vec_row;
  wire               arr_a_valid, arr_a_ready, arr_a_last, arr_b_valid, arr_b_ready;
  wire               arr_c_valid, arr_c_ready;
  wire [8*Rows*ADepth-1:0] arr_a_data;
  wire [7:0]         arr_zp;
  wire               arr_skip;
  wire [31:0]        arr_cnt_skip, arr_cnt_gated, arr_cnt_active;
  wire [8*Cols-1:0]  arr_b_data;
  wire [32*Cols-1:0] arr_c_data;
  wire               pw_valid;
  wire [1:0]         pw_set;
  wire [1:0]         pw_kind;
  wire [7:0]         pw_idx;
  wire [8*RowBytes-1:0] pw_data;

  tsr_ex #(
    .Rows     (Rows),
    .Cols     (Cols),
    .RowBytes (RowBytes),
    .SpRows   (SpRows),
    .SpBankRows (SpBankRows),
    .SpBanks  (SpBanks),
    .AccRows  (AccRows),
    .SpAW     (SpAW),
    .AccAW    (AccAW),
    .SkipDepth (SkipDepth),
    .LinePx   (DwLinePx)
  ) u_ex (
    .clk_i          (clk_i),
    .rst_ni         (core_rst_n),
    .start_i        (s_start[1]),
    .cmd_i          (s_cmd[1]),
    .done_o         (s_done[1]),
    .ready_o        (ex_ready),
    .free_o         (ex_free),
    .err_o          (u_err[1]),
    .err_code_o     (u_err_code[1]),
    .busy_o         (ex_busy),
    .array_row_o    (ex_array_row),
    .vec_row_o      (ex_vec_row),
    .a_req_o        (sp_a_req),
    .a_addr_o       (sp_a_addr),
    .a_gnt_i        (sp_a_gnt),
    .a_rdata_i      (sp_a_rdata),
    .w_req_o        (sp_w_req),
    .w_addr_o       (sp_w_addr),
    .w_gnt_i        (sp_w_gnt),
    .w_rdata_i      (sp_w_rdata),
    .x_req_o        (sp_x_req),
    .x_addr_o       (sp_x_addr),
    .x_gnt_i        (sp_x_gnt),
    .x_rdata_i      (sp_x_rdata),
    .arr_a_valid_o  (arr_a_valid),
    .arr_a_ready_i  (arr_a_ready),
    .arr_a_last_o   (arr_a_last),
    .arr_a_data_o   (arr_a_data),
    .arr_zp_o       (arr_zp),
    .arr_skip_o     (arr_skip),
    .arr_b_valid_o  (arr_b_valid),
    .arr_b_ready_i  (arr_b_ready),
    .arr_b_data_o   (arr_b_data),
    .arr_c_valid_i  (arr_c_valid),
    .arr_c_ready_o  (arr_c_ready),
    .arr_c_data_i   (arr_c_data),
    .acc_wr_valid_o (acc_wr_valid),
    .acc_wr_accum_o (acc_wr_accum),
    .acc_wr_max_o   (acc_wr_max),
    .acc_wr_addr_o  (acc_wr_addr),
    .acc_wr_data_o  (acc_wr_data),
    .pw_valid_o     (pw_valid),
    .pw_set_o       (pw_set),
    .pw_kind_o      (pw_kind),
    .pw_idx_o       (pw_idx),
    .pw_data_o      (pw_data)
  );

  // The generated array: dense, or zero-skip with the zero point, skip enable and its counters.
  // The two have different ports, and tools resolve the pins of untaken generate branches too, so
  // the variant's tsr_params.vh says which one it is (TSR_ARRAY_SKIP, zero-skip variants only).
`ifdef TSR_ARRAY_SKIP
  generate
    if (1) begin : g_skip_array
      tsr_array u_array (
        .clk_i       (clk_i),
        .rst_ni      (core_rst_n),
        .skip_en_i   (arr_skip),
        .a_zp_i      (arr_zp),
        .a_valid_i   (arr_a_valid),
        .a_ready_o   (arr_a_ready),
        .a_last_i    (arr_a_last),
        .a_data_i    (arr_a_data),
        .b_valid_i   (arr_b_valid),
        .b_ready_o   (arr_b_ready),
        .b_data_i    (arr_b_data),
        .c_valid_o   (arr_c_valid),
        .c_ready_i   (arr_c_ready),
        .c_data_o    (arr_c_data),
        .cnt_skip_o  (arr_cnt_skip),
        .cnt_gated_o (arr_cnt_gated),
        .cnt_active_o(arr_cnt_active)
      );
    end
  endgenerate
`else
  generate
    if (1) begin : g_array
      wire [8:0] unused_arr;
      assign unused_arr    = {arr_zp, arr_skip};
      assign arr_cnt_skip  = 32'd0;
      assign arr_cnt_gated = 32'd0;
      assign arr_cnt_active = 32'd0;
      tsr_array u_array (
        .clk_i     (clk_i),
        .rst_ni    (core_rst_n),
        .a_valid_i (arr_a_valid),
        .a_ready_o (arr_a_ready),
        .a_last_i  (arr_a_last),
        .a_data_i  (arr_a_data),
        .b_valid_i (arr_b_valid),
        .b_ready_o (arr_b_ready),
        .b_data_i  (arr_b_data),
        .c_valid_o (arr_c_valid),
        .c_ready_i (arr_c_ready),
        .c_data_o  (arr_c_data)
      );
    end
  endgenerate
`endif
  // The array's wrapping skip counters as per-cycle increments (at most R*D and R*C a cycle), and
  // whether the array computed this cycle (ARRAY_CYCLES): a row issued a step (zero-skip array,
  // at most one a cycle) or an activation vector entered (dense array).
  reg  [31:0] cnt_skip_q, cnt_gated_q, cnt_active_q;
  wire [31:0] skip_inc, gated_inc, active_inc;
  wire [63:0] unused_inc_hi;  // active_inc: all of it on the dense array
  wire        arr_active;
  assign unused_inc_hi = {skip_inc[31:16], gated_inc[31:16], active_inc};
  assign skip_inc   = arr_cnt_skip - cnt_skip_q;
  assign gated_inc  = arr_cnt_gated - cnt_gated_q;
  assign active_inc = arr_cnt_active - cnt_active_q;
`ifdef TSR_ARRAY_SKIP
  assign arr_active = active_inc[0];
`else
  assign arr_active = arr_a_valid && arr_a_ready;
`endif
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_skip_q   <= 32'd0;
      cnt_gated_q  <= 32'd0;
      cnt_active_q <= 32'd0;
    end else begin
      cnt_skip_q   <= arr_cnt_skip;
      cnt_gated_q  <= arr_cnt_gated;
      cnt_active_q <= arr_cnt_active;
    end
  end

  // ---- store unit and DMA write engine ------------------------------------------------------
  wire               st_busy, wd_valid, wd_ready, we_valid, we_ready, wr_done, wr_err;
  wire [31:0]        wd_addr, wd_stride;
  wire [15:0]        wd_rows, wd_bytes, wd_elem;
  wire [32*Cols-1:0] we_data;
  wire [2:0]         wr_err_code, wr_berr_code;
  wire               wr_berr;
  wire [IdxW-1:0]    wr_berr_tag;
  wire [2:0]         unused_berr_code;
  assign unused_berr_code = wr_berr_code;  // always axi_write (SLVERR / DECERR alike)

  tsr_st #(
    .Cols     (Cols),
    .RowBytes (RowBytes),
    .AccRows  (AccRows),
    .AccAW    (AccAW),
    .AddrW    (32)
  ) u_st (
    .clk_i             (clk_i),
    .rst_ni            (core_rst_n),
    .start_i           (s_start[2]),
    .cmd_i             (s_cmd[2]),
    .done_o            (s_done[2]),
    .err_o             (u_err[2]),
    .err_code_o        (u_err_code[2]),
    .busy_o            (st_busy),
    .pw_valid_i        (pw_valid),
    .pw_set_i          (pw_set),
    .pw_kind_i         (pw_kind),
    .pw_idx_i          (pw_idx),
    .pw_data_i         (pw_data),
    .acc_rd_valid_o    (acc_rd_valid),
    .acc_rd_ready_i    (acc_rd_ready),
    .acc_rd_addr_o     (acc_rd_addr),
    .acc_rd_valid_i    (acc_rd_vout),
    .acc_rd_data_i     (acc_rd_data),
    .desc_valid_o      (wd_valid),
    .desc_ready_i      (wd_ready),
    .desc_addr_o       (wd_addr),
    .desc_stride_o     (wd_stride),
    .desc_rows_o       (wd_rows),
    .desc_row_bytes_o  (wd_bytes),
    .desc_elem_bytes_o (wd_elem),
    .el_valid_o        (we_valid),
    .el_ready_i        (we_ready),
    .el_data_o         (we_data),
    .dma_done_i        (wr_done),
    .dma_err_i         (wr_err),
    .dma_err_code_i    (wr_err_code)
  );

  tsr_dma_wr #(
    .AddrW     (32),
    .DataBytes (BusBytes),
    .MaxBurst  (16),
    .ElemBytes (4 * Cols),
    .MaxOutstanding (32),
    .EarlyDone (1),
    .TagW      (IdxW)
  ) u_dma_wr (
    .clk_i             (clk_i),
    .rst_ni            (core_rst_n),
    .win_base_i        (win_base),
    .win_limit_i       (win_limit),
    .desc_valid_i      (wd_valid),
    .desc_ready_o      (wd_ready),
    .desc_addr_i       (wd_addr),
    .desc_stride_i     (wd_stride),
    .desc_rows_i       (wd_rows),
    .desc_row_bytes_i  (wd_bytes),
    .desc_elem_bytes_i (wd_elem),
    .in_valid_i        (we_valid),
    .in_ready_o        (we_ready),
    .in_data_i         (we_data),
    .m_awvalid_o       (m_awvalid_o),
    .m_awready_i       (m_awready_i),
    .m_awaddr_o        (m_awaddr_o),
    .m_awlen_o         (m_awlen_o),
    .m_awsize_o        (m_awsize_o),
    .m_awburst_o       (m_awburst_o),
    .m_wvalid_o        (m_wvalid_o),
    .m_wready_i        (m_wready_i),
    .m_wdata_o         (m_wdata_o),
    .m_wstrb_o         (m_wstrb_o),
    .m_wlast_o         (m_wlast_o),
    .m_bvalid_i        (m_bvalid_i),
    .m_bready_o        (m_bready_o),
    .m_bresp_i         (m_bresp_i),
    .busy_o            (wr_busy),
    .done_o            (wr_done),
    .err_o             (wr_err),
    .err_code_o        (wr_err_code),
    .desc_tag_i        (s_idx[2]),
    .berr_o            (wr_berr),
    .berr_code_o       (wr_berr_code),
    .berr_tag_o        (wr_berr_tag)
  );

  // ---- performance counters -----------------------------------------------------------------
  reg [16*NumCnt-1:0] inc;  // counter i's increment in bits [16 i +: 16]
  integer b;
  reg [15:0] wr_bytes;
  always @(*) begin
    wr_bytes = 16'd0;
    for (b = 0; b < BusBytes; b = b + 1) wr_bytes = wr_bytes + {15'd0, m_wstrb_o[b]};
  end
  always @(*) begin
    inc = {(16*NumCnt){1'b0}};
    inc[16*TSR_CNT_CYCLES +: 16]       = {15'd0, csr_active};
    inc[16*TSR_CNT_LD_BUSY +: 16]      = {15'd0, ld_busy};
    inc[16*TSR_CNT_LD_STALL +: 16]     = {15'd0, !ld_busy && (s_active[0] || s_wait[0])};
    inc[16*TSR_CNT_LD_IDLE +: 16]      = {15'd0, s_idle[0]};
    inc[16*TSR_CNT_EX_BUSY +: 16]      = {15'd0, ex_busy};
    inc[16*TSR_CNT_EX_STALL +: 16]     = {15'd0, !ex_busy && (s_active[1] || s_wait[1])};
    inc[16*TSR_CNT_EX_IDLE +: 16]      = {15'd0, s_idle[1]};
    inc[16*TSR_CNT_ST_BUSY +: 16]      = {15'd0, st_busy};
    inc[16*TSR_CNT_ST_STALL +: 16]     = {15'd0, !st_busy && (s_active[2] || s_wait[2])};
    inc[16*TSR_CNT_ST_IDLE +: 16]      = {15'd0, s_idle[2]};
    inc[16*TSR_CNT_ARRAY_ROWS +: 16]   = {15'd0, ex_array_row};
    inc[16*TSR_CNT_ARRAY_MACS +: 16]   = ex_array_row ? BeatMacs : 16'd0;
    inc[16*TSR_CNT_VECTOR_OPS +: 16]   = ex_vec_row ? Cols : 16'd0;
    inc[16*TSR_CNT_DMA_RD_BYTES +: 16] = (m_rvalid_i && m_rready_o) ? BusBytes : 16'd0;
    inc[16*TSR_CNT_DMA_WR_BYTES +: 16] = (m_wvalid_o && m_wready_i) ? wr_bytes : 16'd0;
    inc[16*TSR_CNT_CMDS +: 16]         = {13'd0, retire_n};
    inc[16*TSR_CNT_ESC_CYCLES +: 16]   = {15'd0, esc_active_cnt};
    inc[16*TSR_CNT_ESC_INSTRET +: 16]  = {15'd0, esc_active_cnt && core_retire};
    inc[16*TSR_CNT_SKIP_CYCLES +: 16]  = skip_inc[15:0];
    inc[16*TSR_CNT_GATED_MACS +: 16]   = gated_inc[15:0];
    inc[16*TSR_CNT_ARRAY_CYCLES +: 16] = {15'd0, arr_active};
  end
  assign cnt_inc = inc;

  // ---- escape core --------------------------------------------------------------------------
  wire core_rst_n_q;
  wire core_halted, core_active;
  wire [3:0] core_cause;
  assign core_rst_n_q   = core_rst_n && !core_reset;
  assign core_ok        = core_run && !core_reset && !core_halted;
  assign core_fault     = core_halted && !esc_done;
  // The loader port may be used once the core has stopped. Registered: the core's run and halt
  // state are core registers, and the loader drives the core's memories (single-cycle paths).
  reg lm_ok_q;
  always @(posedge clk_i or negedge core_rst_n) begin
    if (!core_rst_n) lm_ok_q <= 1'b0;
    else             lm_ok_q <= !(core_run || core_active) || core_reset || core_halted;
  end
  assign lm_ok          = lm_ok_q;
  assign esc_active_cnt = esc_pending;
  assign core_status    = {15'd0, HasCore != 0, 5'd0, cq_free, core_cause, cq_idle, esc_pending,
                           core_ok, core_halted};
  always @(posedge clk_i or negedge core_rst_n) begin
    if (!core_rst_n)   core_esc_status_q <= 32'd0;
    else if (esc_done) core_esc_status_q <= esc_status;
  end

  generate
    if (HasCore != 0) begin : g_core
      wire        bus_req, bus_gnt, bus_we, bus_rvalid, bus_err, ecall_req;
      wire [31:0] bus_addr, bus_wdata, bus_rdata, unused_a7, unused_a0;
      wire [3:0]  bus_be;
      wire        unused_console_valid, unused_tr_valid;
      wire [7:0]  unused_console_data;
      wire [31:0] unused_tr_pc, unused_tr_insn, unused_tr_wdata, unused_tr_addr, unused_tr_data;
      wire [4:0]  unused_tr_rd;
      wire [3:0]  unused_tr_be;
      wire        cen, cstb;
      tsr_core #(
        .MExt      (CoreMExt),
        .ImemKib   (CoreImemKib),
        .DmemKib   (CoreDmemKib),
        .SpadBytes (SpRows * SpStride),
        .Trace     (0),
        .ClkDiv    (CoreClkDiv)
      ) u_core (
        .clk_i           (clk_i),
        .rst_ni          (core_rst_n_q),
        .run_i           (core_run),
        .cen_i           (cen),
        .cstb_i          (cstb),
        .run_o           (core_active),
        .lm_req_i        (lm_req),
        .lm_we_i         (lm_we),
        .lm_reg_i        (1'b0),
        .lm_addr_i       (lm_addr),
        .lm_wdata_i      (lm_wdata),
        .lm_be_i         (4'hf),
        .lm_rdata_o      (lm_rdata),
        .ecall_req_o     (ecall_req),
        .ecall_a7_o      (unused_a7),
        .ecall_a0_o      (unused_a0),
        .ecall_ack_i     (ecall_req),
        .ecall_err_i     (1'b1),
        .ecall_ret_i     (32'd0),
        .halted_o        (core_halted),
        .halt_cause_o    (core_cause),
        .halt_pc_o       (core_pc),
        .exit_code_o     (core_exit),
        .retire_o        (core_retire),
        .console_valid_o (unused_console_valid),
        .console_data_o  (unused_console_data),
        .esc_pending_i   (esc_pending),
        .esc_func_i      ({16'd0, esc_func}),
        .esc_args_i      (esc_args),
        .esc_done_o      (esc_done),
        .esc_status_o    (esc_status),
        .bus_req_o       (bus_req),
        .bus_gnt_i       (bus_gnt),
        .bus_we_o        (bus_we),
        .bus_addr_o      (bus_addr),
        .bus_wdata_o     (bus_wdata),
        .bus_be_o        (bus_be),
        .bus_rvalid_i    (bus_rvalid),
        .bus_rdata_i     (bus_rdata),
        .bus_err_i       (bus_err),
        .tr_valid_o      (unused_tr_valid),
        .tr_pc_o         (unused_tr_pc),
        .tr_insn_o       (unused_tr_insn),
        .tr_rd_o         (unused_tr_rd),
        .tr_rd_wdata_o   (unused_tr_wdata),
        .tr_mem_be_o     (unused_tr_be),
        .tr_mem_addr_o   (unused_tr_addr),
        .tr_mem_wdata_o  (unused_tr_data)
      );
      tsr_core_bus #(
        .RowBytes (RowBytes),
        .Stride   (SpStride),
        .SpAW     (SpAW),
        .ClkDiv   (CoreClkDiv)
      ) u_core_bus (
        .clk_i        (clk_i),
        .rst_ni       (core_rst_n),
        .cen_o        (cen),
        .cstb_o       (cstb),
        .bus_req_i    (bus_req),
        .bus_gnt_o    (bus_gnt),
        .bus_we_i     (bus_we),
        .bus_addr_i   (bus_addr),
        .bus_wdata_i  (bus_wdata),
        .bus_be_i     (bus_be),
        .bus_rvalid_o (bus_rvalid),
        .bus_rdata_o  (bus_rdata),
        .bus_err_o    (bus_err),
        .sp_rreq_o    (sp_c_req),
        .sp_raddr_o   (sp_c_addr),
        .sp_rgnt_i    (sp_c_gnt),
        .sp_rdata_i   (sp_c_rdata),
        .sp_wreq_o    (sp_cw_req),
        .sp_waddr_o   (sp_cw_addr),
        .sp_wdata_o   (sp_cw_data),
        .sp_wgnt_i    (sp_cw_gnt),
        .c_req_o      (cc_req),
        .c_we_o       (cc_we),
        .c_addr_o     (cc_addr),
        .c_wdata_o    (cc_wdata),
        .c_gnt_i      (cc_gnt),
        .c_rvalid_i   (cc_rvalid),
        .c_rdata_i    (cc_rdata)
      );
    end else begin : g_no_core
      assign core_halted = 1'b0;
      assign core_active = 1'b0;
      assign core_cause  = 4'd0;
      assign core_pc     = 32'd0;
      assign core_exit   = 32'd0;
      assign core_retire = 1'b0;
      assign esc_done    = 1'b0;
      assign esc_status  = 32'd0;
      assign lm_rdata    = 32'd0;
      assign cc_req      = 1'b0;
      assign cc_we       = 1'b0;
      assign cc_addr     = 12'd0;
      assign cc_wdata    = 32'd0;
      assign sp_c_req    = 1'b0;
      assign sp_c_addr   = {SpAW{1'b0}};
      assign sp_cw_req   = 1'b0;
      assign sp_cw_addr  = {SpAW{1'b0}};
      assign sp_cw_data  = {(8*RowBytes){1'b0}};
      wire unused_no_core;
      assign unused_no_core = ^{core_timeout, lm_req, lm_we, lm_addr, lm_wdata, cc_gnt, cc_rvalid,
                                cc_rdata, sp_c_gnt, sp_c_rdata, sp_cw_gnt, esc_func, esc_args,
                                core_rst_n_q};
    end
  endgenerate

  assign unit_state_o = {s_wait[2], s_active[2], s_wait[1], s_active[1], s_wait[0], s_active[0],
                         !drained, halt};

endmodule
