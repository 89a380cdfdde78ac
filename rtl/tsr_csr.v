// tessera: AXI4-Lite CSR slave (register map and counters from the generated tsr_isa.vh).
//
// One outstanding transaction per direction: a write is taken when AW and W are both valid and
// answered on B the next cycle; a read is answered on R the next cycle. A write to CMD_PUSH while
// the command buffer is full is held (AWREADY/WREADY low) until there is room. Unmapped
// addresses read 0 and ignore writes (OKAY). The first error reported is latched with its unit and
// command index until start or soft reset. Performance counters are 64 bits; reading the low word
// latches the high word for the following read. The units' increments are registered here before
// they reach the 64-bit adders (timing), so a counter lags its unit by one cycle.
//
// A second, simpler register port serves the escape core's CSR window (c_*): reads see every
// register (taken in cycles without a host read, data the cycle after), writes reach only the
// core's own CMD_DATA0..7 and CMD_PUSH (which appends to the core queue, held while it is full).
// CORE_LM_ADDR / CORE_LM_DATA drive the core's loader port; DMEM reads are prefetched whenever
// the loader address changes, so an LM_DATA read is answered like any other register.
module tsr_csr #(
  parameter AddrW     = 32,
  parameter BusBytes  = 16,
  parameter IdxW      = 16,
  parameter NumCnt    = 16,
  parameter [31:0] Hash = 32'd0
) (
  input  wire                 clk_i,
  input  wire                 rst_ni,
  // AXI4-Lite slave
  input  wire                 s_awvalid_i,
  output wire                 s_awready_o,
  input  wire [11:0]          s_awaddr_i,
  input  wire                 s_wvalid_i,
  output wire                 s_wready_o,
  input  wire [31:0]          s_wdata_i,
  input  wire [3:0]           s_wstrb_i,
  output wire                 s_bvalid_o,
  input  wire                 s_bready_i,
  output wire [1:0]           s_bresp_o,
  input  wire                 s_arvalid_i,
  output wire                 s_arready_o,
  input  wire [11:0]          s_araddr_i,
  output wire                 s_rvalid_o,
  input  wire                 s_rready_i,
  output wire [31:0]          s_rdata_o,
  output wire [1:0]           s_rresp_o,
  // control
  output wire                 start_o,
  output wire                 soft_reset_req_o,
  input  wire                 soft_reset_ack_i,
  output wire [AddrW-1:0]     cmd_base_o,
  output wire [31:0]          cmd_count_o,
  output wire [AddrW-1:0]     win_base_o,
  output wire [AddrW-1:0]     win_limit_o,
  output wire                 push_o,
  input  wire                 push_ready_i,
  output wire [255:0]         push_cmd_o,
  // status
  input  wire                 drained_i,     // nothing to fetch or dispatch
  input  wire                 units_idle_i,
  input  wire                 retire_i,      // number of retirements this cycle is in retire_n_i
  input  wire [2:0]           retire_n_i,
  input  wire                 fence_irq_i,
  input  wire                 err_i,
  input  wire [7:0]           err_code_i,
  input  wire [3:0]           err_unit_i,
  input  wire [IdxW-1:0]      err_idx_i,
  output wire                 halt_o,        // an error was latched
  output wire                 irq_o,
  output wire                 active_o,      // started and not yet done / failed
  // counters: increment of counter i in bits [16 i +: 16]
  input  wire [16*NumCnt-1:0] cnt_inc_i,
  // escape core
  output wire                 core_run_o,
  output wire                 core_reset_o,
  output wire [31:0]          core_timeout_o,
  input  wire [31:0]          core_status_i,
  input  wire [31:0]          core_pc_i,
  input  wire [31:0]          core_exit_i,
  input  wire [31:0]          core_esc_status_i,
  input  wire                 lm_ok_i,       // the loader port may be used
  output wire                 lm_req_o,
  output wire                 lm_we_o,
  output wire [31:0]          lm_addr_o,
  output wire [31:0]          lm_wdata_o,
  input  wire [31:0]          lm_rdata_i,
  input  wire                 c_req_i,
  input  wire                 c_we_i,
  input  wire [11:0]          c_addr_i,
  input  wire [31:0]          c_wdata_i,
  output wire                 c_gnt_o,
  output wire                 c_rvalid_o,
  output wire [31:0]          c_rdata_o,
  output wire                 cpush_o,
  output wire [255:0]         cpush_cmd_o,
  input  wire                 cpush_ready_i
);

`include "tsr_isa.vh"

  localparam integer OffW = $clog2(BusBytes);

  // ---- registers ----------------------------------------------------------------------------
  reg  [AddrW-1:0] base_q, win_base_q, win_limit_q;
  reg  [31:0]      count_q, retired_q, fences_q;
  // CMD_RETIRED = retired_q + ret_n_q: the retire count (it arrives at the end of the units' done
  // paths) is registered first and added a cycle later; reads add it, so the value is exact.
  reg  [2:0]       ret_n_q;
  reg  [2:0]       irq_q, irq_en_q;
  reg              err_q, active_q, done_q, srst_q;
  reg  [7:0]       err_code_q;
  reg  [3:0]       err_unit_q;
  reg  [IdxW-1:0]  err_idx_q;
  reg  [255:0]          data_q;   // CMD_DATA0..7
  reg  [64*NumCnt-1:0]  cnt_q;    // counter i in bits [64 i +: 64]
  reg  [16*NumCnt-1:0]  inc_q;    // the increments of the previous cycle
  reg  [31:0]      hi_q;
  reg  [1:0]       core_ctrl_q;
  reg  [31:0]      core_tmo_q, lm_addr_q, lm_rd_q;
  reg              lm_pf_q, lm_pf_rd_q;
  reg  [255:0]     cdata_q;

  // ---- write channel --------------------------------------------------------------------------
  reg         bvalid_q;
  wire        is_push_w, wr_take;
  wire [11:0] wa;
  assign wa          = {s_awaddr_i[11:2], 2'b00};
  assign is_push_w   = (wa == TSR_CSR_CMD_PUSH[11:0]);
  assign wr_take     = s_awvalid_i && s_wvalid_i && !bvalid_q && (!is_push_w || push_ready_i);
  assign s_awready_o = wr_take;
  assign s_wready_o  = wr_take;
  assign s_bvalid_o  = bvalid_q;
  assign s_bresp_o   = 2'b00;

  // Registers are written whole; the low address bits select nothing.
  wire [9:0] unused_w;
  assign unused_w = {s_wstrb_i, s_awaddr_i[1:0], s_araddr_i[1:0], c_addr_i[1:0]};

  wire wr_ctrl, wr_irq, wr_irq_en, wr_base, wr_count, wr_win_base, wr_win_limit;
  assign wr_ctrl      = wr_take && (wa == TSR_CSR_CTRL[11:0]);
  assign wr_irq       = wr_take && (wa == TSR_CSR_IRQ[11:0]);
  assign wr_irq_en    = wr_take && (wa == TSR_CSR_IRQ_EN[11:0]);
  assign wr_base      = wr_take && (wa == TSR_CSR_CMD_BASE[11:0]);
  assign wr_count     = wr_take && (wa == TSR_CSR_CMD_COUNT[11:0]);
  assign wr_win_base  = wr_take && (wa == TSR_CSR_WIN_BASE[11:0]);
  assign wr_win_limit = wr_take && (wa == TSR_CSR_WIN_LIMIT[11:0]);
  wire wr_core_ctrl, wr_core_tmo, wr_lm_addr, wr_lm_data;
  assign wr_core_ctrl = wr_take && (wa == TSR_CSR_CORE_CTRL[11:0]);
  assign wr_core_tmo  = wr_take && (wa == TSR_CSR_CORE_TIMEOUT[11:0]);
  assign wr_lm_addr   = wr_take && (wa == TSR_CSR_CORE_LM_ADDR[11:0]);
  assign wr_lm_data   = wr_take && (wa == TSR_CSR_CORE_LM_DATA[11:0]);

  assign start_o          = wr_ctrl && s_wdata_i[0] && !srst_q;
  assign soft_reset_req_o = srst_q;
  assign push_o           = wr_take && is_push_w;
  assign cmd_base_o       = base_q;
  assign cmd_count_o      = count_q;
  assign win_base_o       = win_base_q;
  assign win_limit_o      = win_limit_q;
  assign push_cmd_o = data_q;

  // ---- status -----------------------------------------------------------------------------------
  wire finished, clear;
  assign finished = active_q && drained_i && units_idle_i && !err_q;
  assign clear    = start_o || soft_reset_ack_i;
  assign halt_o   = err_q;
  assign irq_o    = |(irq_q & irq_en_q);
  assign active_o = active_q;

  // ---- read channel -------------------------------------------------------------------------------
  reg         rvalid_q;
  reg  [31:0] rdata_q;
  reg  [31:0] rdata_d;
  wire [11:0] ra, ha, rsel;
  wire        rd_take, rd_lm, c_rd_take, c_wr_take, c_push, c_sel;
  assign ha          = {s_araddr_i[11:2], 2'b00};
  // An LM_DATA read waits for the prefetch of the current loader address.
  assign rd_take     = s_arvalid_i && !rvalid_q &&
                       !((ha == TSR_CSR_CORE_LM_DATA[11:0]) && (lm_pf_q || lm_pf_rd_q));
  assign rd_lm       = rd_take && (ha == TSR_CSR_CORE_LM_DATA[11:0]);
  // The core's port: reads in cycles without a host read.
  assign c_push      = c_req_i && c_we_i && ({c_addr_i[11:2], 2'b00} == TSR_CSR_CMD_PUSH[11:0]);
  assign c_rd_take   = c_req_i && !c_we_i && !rd_take;
  assign c_wr_take   = c_req_i && c_we_i && (!c_push || cpush_ready_i);
  assign c_gnt_o     = c_rd_take || c_wr_take;
  assign c_sel       = !rd_take;
  assign rsel        = c_sel ? {c_addr_i[11:2], 2'b00} : ha;
  assign ra          = rsel;
  assign cpush_o     = c_wr_take && c_push;
  assign cpush_cmd_o = cdata_q;
  assign s_arready_o = rd_take;
  assign s_rvalid_o  = rvalid_q;
  assign s_rdata_o   = rdata_q;
  assign s_rresp_o   = 2'b00;

  integer c;
  always @(*) begin
    rdata_d = 32'd0;
    case (ra)
      TSR_CSR_ID[11:0]:          rdata_d = TSR_ID_VALUE[31:0];
      TSR_CSR_HASH[11:0]:        rdata_d = Hash;
      TSR_CSR_STATUS[11:0]:      rdata_d = {28'd0, irq_o, err_q, done_q, active_q};
      TSR_CSR_IRQ[11:0]:         rdata_d = {29'd0, irq_q};
      TSR_CSR_IRQ_EN[11:0]:      rdata_d = {29'd0, irq_en_q};
      TSR_CSR_ERR_CODE[11:0]:    rdata_d = {20'd0, err_unit_q, err_code_q};
      TSR_CSR_ERR_CMD[11:0]:     rdata_d = {{(32-IdxW){1'b0}}, err_idx_q};
      TSR_CSR_CMD_BASE[11:0]:    rdata_d = base_q;
      TSR_CSR_CMD_COUNT[11:0]:   rdata_d = count_q;
      TSR_CSR_CMD_RETIRED[11:0]: rdata_d = retired_q + {29'd0, ret_n_q};
      TSR_CSR_WIN_BASE[11:0]:    rdata_d = win_base_q;
      TSR_CSR_WIN_LIMIT[11:0]:   rdata_d = win_limit_q;
      TSR_CSR_FENCES[11:0]:      rdata_d = fences_q;
      TSR_CSR_CORE_CTRL[11:0]:   rdata_d = {30'd0, core_ctrl_q};
      TSR_CSR_CORE_STATUS[11:0]: rdata_d = core_status_i;
      TSR_CSR_CORE_PC[11:0]:     rdata_d = core_pc_i;
      TSR_CSR_CORE_EXIT[11:0]:   rdata_d = core_exit_i;
      TSR_CSR_CORE_ESC_STATUS[11:0]: rdata_d = core_esc_status_i;
      TSR_CSR_CORE_TIMEOUT[11:0]: rdata_d = core_tmo_q;
      TSR_CSR_CORE_LM_ADDR[11:0]: rdata_d = lm_addr_q;
      TSR_CSR_CORE_LM_DATA[11:0]: rdata_d = c_sel ? 32'd0 : lm_rd_q;
      default: begin
        if (ra >= TSR_CSR_CMD_DATA0[11:0] && ra <= TSR_CSR_CMD_DATA7[11:0]) begin
          rdata_d = c_sel ? cdata_q[32*ra[4:2] +: 32] : data_q[32*ra[4:2] +: 32];
        end
        for (c = 0; c < NumCnt; c = c + 1) begin
          if ({20'd0, ra} == TSR_CSR_PERF_BASE + 8 * c) begin
            rdata_d = cnt_q[64*c +: 32];
          end
          if ({20'd0, ra} == TSR_CSR_PERF_BASE + 8 * c + 4) rdata_d = hi_q;
        end
      end
    endcase
  end

  // High word latched on the low word's read.
  reg [31:0] hi_d;
  always @(*) begin
    hi_d = hi_q;
    for (c = 0; c < NumCnt; c = c + 1) begin
      if ((rd_take || c_rd_take) && {20'd0, ra} == TSR_CSR_PERF_BASE + 8 * c) begin
        hi_d = cnt_q[64*c+32 +: 32];
      end
    end
  end

  wire [2:0] irq_set;
  assign irq_set = {fence_irq_i, err_i && !err_q, finished};

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bvalid_q    <= 1'b0;
      rvalid_q    <= 1'b0;
      base_q      <= {AddrW{1'b0}};
      count_q     <= 32'd0;
      win_base_q  <= {AddrW{1'b0}};
      win_limit_q <= {AddrW{1'b0}};
      irq_q       <= 3'd0;
      irq_en_q    <= 3'd0;
      err_q       <= 1'b0;
      active_q    <= 1'b0;
      done_q      <= 1'b0;
      srst_q      <= 1'b0;
      retired_q   <= 32'd0;
      ret_n_q     <= 3'd0;
      fences_q    <= 32'd0;
      err_code_q  <= 8'd0;
      err_unit_q  <= 4'd0;
      err_idx_q   <= {IdxW{1'b0}};
    end else begin
      bvalid_q <= wr_take ? 1'b1 : (s_bready_i ? 1'b0 : bvalid_q);
      rvalid_q <= rd_take ? 1'b1 : (s_rready_i ? 1'b0 : rvalid_q);
      if (wr_base) base_q <= s_wdata_i[AddrW-1:0];
      if (wr_count) count_q <= s_wdata_i;
      if (wr_win_base) win_base_q <= {s_wdata_i[AddrW-1:OffW], {OffW{1'b0}}};
      if (wr_win_limit) win_limit_q <= {s_wdata_i[AddrW-1:OffW], {OffW{1'b0}}};
      if (wr_irq_en) irq_en_q <= s_wdata_i[2:0];
      irq_q <= (irq_q & ~(wr_irq ? s_wdata_i[2:0] : 3'd0)) | irq_set;
      if (wr_ctrl && s_wdata_i[1]) srst_q <= 1'b1;
      else if (soft_reset_ack_i) srst_q <= 1'b0;
      if (clear) begin
        err_q     <= 1'b0;
        done_q    <= 1'b0;
        retired_q <= 32'd0;
        ret_n_q   <= 3'd0;
        fences_q  <= 32'd0;
        err_code_q <= 8'd0;
        err_unit_q <= 4'd0;
        err_idx_q  <= {IdxW{1'b0}};
      end else begin
        if (err_i && !err_q) begin
          err_q      <= 1'b1;
          err_code_q <= err_code_i;
          err_unit_q <= err_unit_i;
          err_idx_q  <= err_idx_i;
        end
        retired_q <= retired_q + {29'd0, ret_n_q};
        ret_n_q   <= retire_i ? retire_n_i : 3'd0;
        if (fence_irq_i) fences_q <= fences_q + 32'd1;
        if (finished) done_q <= 1'b1;
      end
      if (start_o || push_o) active_q <= 1'b1;
      else if (finished || err_q || soft_reset_ack_i) active_q <= 1'b0;
    end
  end

  always @(posedge clk_i) begin
    rdata_q <= rd_take ? rdata_d : rdata_q;
    hi_q    <= hi_d;
  end

  // ---- escape core: control, loader, the core's command words ------------------------------------
  reg         c_rvalid_q;
  reg  [31:0] c_rdata_q;
  assign c_rvalid_o     = c_rvalid_q;
  assign c_rdata_o      = c_rdata_q;
  assign core_run_o     = core_ctrl_q[0];
  assign core_reset_o   = core_ctrl_q[1];
  assign core_timeout_o = core_tmo_q;
  // Loader: a write of LM_DATA writes the word; otherwise a pending prefetch reads DMEM.
  assign lm_req_o   = lm_ok_i && (wr_lm_data || (lm_pf_q && !wr_lm_addr));
  assign lm_we_o    = wr_lm_data;
  assign lm_addr_o  = lm_addr_q;
  assign lm_wdata_o = s_wdata_i;
  wire lm_step;
  assign lm_step = wr_lm_data || rd_lm;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      c_rvalid_q  <= 1'b0;
      c_rdata_q   <= 32'd0;
      core_ctrl_q <= 2'b00;
      core_tmo_q  <= 32'd0;
      lm_addr_q   <= 32'd0;
      lm_rd_q     <= 32'd0;
      lm_pf_q     <= 1'b0;
      lm_pf_rd_q  <= 1'b0;
      cdata_q     <= 256'd0;
    end else begin
      c_rvalid_q <= c_gnt_o;
      if (c_rd_take) c_rdata_q <= rdata_d;
      if (wr_core_ctrl) core_ctrl_q <= s_wdata_i[1:0];
      if (wr_core_tmo) core_tmo_q <= s_wdata_i;
      if (wr_lm_addr) lm_addr_q <= {s_wdata_i[31:2], 2'b00};
      else if (lm_step) lm_addr_q <= lm_addr_q + 32'd4;
      // prefetch: requested after every address change, read issued when the loader may be used
      if (wr_lm_addr || lm_step) lm_pf_q <= 1'b1;
      else if (lm_req_o && !lm_we_o) lm_pf_q <= 1'b0;
      else if (!lm_ok_i) lm_pf_q <= 1'b0;
      lm_pf_rd_q <= lm_req_o && !lm_we_o;
      if (lm_pf_rd_q) lm_rd_q <= lm_rdata_i;
      else if (!lm_ok_i) lm_rd_q <= 32'd0;
      if (c_wr_take && {c_addr_i[11:2], 2'b00} >= TSR_CSR_CMD_DATA0[11:0] &&
          {c_addr_i[11:2], 2'b00} <= TSR_CSR_CMD_DATA7[11:0]) begin
        cdata_q[32*c_addr_i[4:2] +: 32] <= c_wdata_i;
      end
    end
  end

  // Data words and counters.
  reg  [255:0]         data_d;
  reg  [64*NumCnt-1:0] cnt_d;
  reg  [16:0]          cnt_lo;
  reg  [47:0]          cnt_hi;
  integer d;
  always @(*) begin
    data_d = data_q;
    if (wr_take && wa >= TSR_CSR_CMD_DATA0[11:0] && wa <= TSR_CSR_CMD_DATA7[11:0]) begin
      data_d[32*wa[4:2] +: 32] = s_wdata_i;
    end
    // count + increment as a 16-bit add beside a 48-bit increment of the upper bits (both from
    // registers), the add's carry choosing between the upper bits and their increment.
    for (d = 0; d < NumCnt; d = d + 1) begin
      cnt_lo = {1'b0, cnt_q[64*d +: 16]} + {1'b0, inc_q[16*d +: 16]};
      cnt_hi = cnt_q[64*d+16 +: 48];
      cnt_d[64*d +: 64] = clear ? 64'd0 : {cnt_lo[16] ? cnt_hi + 48'd1 : cnt_hi, cnt_lo[15:0]};
    end
  end
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      data_q <= 256'd0;
      cnt_q  <= {(64*NumCnt){1'b0}};
      inc_q  <= {(16*NumCnt){1'b0}};
    end else begin
      data_q <= data_d;
      cnt_q  <= cnt_d;
      // Increments of the clearing cycle are dropped, as before the register.
      inc_q  <= clear ? {(16*NumCnt){1'b0}} : cnt_inc_i;
    end
  end

endmodule
