// tessera: command fetch and dispatch.
//
// On start_i it fetches count_i commands from DRAM at base_i, in blocks of up to four (one element
// descriptor each) whenever its 8-entry buffer has room for a whole block besides the blocks
// already requested; two blocks are in flight at once (the read engine overlaps two descriptors,
// so the second block's memory latency hides under the first's). push_i appends one
// command written over CSRs instead. The dispatcher takes the buffer in order and routes each
// command to its unit's queue (load, execute, store), numbering them from 0 for error reports.
// FENCE waits until every unit and queue is idle, then retires (and raises fence_o with irq).
// ESCAPE also waits for idle, then hands its function id and argument words to the escape core
// (esc_pending_o). While it is pending only the commands the core pushes (a 4-entry core queue)
// are dispatched; they carry the ESCAPE's index. The ESCAPE retires once the core has ended it
// (esc_done_i) and the core queue and every unit are idle. Unknown opcodes, ESCAPE without a
// (running) core, a core fault or non-zero status, a timeout, pushes outside an ESCAPE and a
// failed fetch (window, AXI error) stop the dispatcher with an error.
module tsr_fetch #(
  parameter AddrW   = 32,
  parameter IdxW    = 16,
  parameter HasCore = 0
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  input  wire             halt_i,
  input  wire             start_i,
  input  wire [AddrW-1:0] base_i,
  input  wire [31:0]      count_i,
  input  wire             push_i,
  input  wire [255:0]     push_cmd_i,
  // DMA read engine (through the arbiter)
  output wire             desc_valid_o,
  input  wire             desc_ready_i,
  output wire [AddrW-1:0] desc_addr_o,
  output wire [15:0]      desc_row_bytes_o,
  input  wire             el_valid_i,
  input  wire [255:0]     el_data_i,
  input  wire             el_last_i,      // the final element of a block
  input  wire             dma_done_i,
  input  wire             dma_err_i,
  input  wire [2:0]       dma_err_code_i,
  // unit queues
  output wire             ld_valid_o,
  input  wire             ld_ready_i,
  output wire             ex_valid_o,
  input  wire             ex_ready_i,
  output wire             st_valid_o,
  input  wire             st_ready_i,
  output wire [255:0]     cmd_o,
  output wire [IdxW-1:0]  idx_o,
  input  wire             units_idle_i,   // every queue empty and every unit idle
  // status
  output wire             retire_o,       // a FENCE retired
  output wire             fence_irq_o,
  output wire             err_o,
  output wire [7:0]       err_code_o,
  output wire [IdxW-1:0]  err_idx_o,
  output wire             drained_o,      // nothing left to fetch or dispatch
  output wire             push_ready_o,   // push_i is taken (dropped while a list runs)
  // escape core
  input  wire             core_ok_i,      // the core runs (run set, not in reset, not halted)
  input  wire             core_fault_i,   // the core is halted with a cause other than exit
  input  wire             esc_done_i,     // the core ended the pending ESCAPE ...
  input  wire [31:0]      esc_status_i,   // ... with this status
  input  wire [31:0]      esc_timeout_i,  // cycles allowed from hand-over to done (0: no limit)
  output wire             esc_pending_o,  // handed over, not yet ended by the core
  output wire [15:0]      esc_func_o,
  output wire [223:0]     esc_args_o,
  input  wire             cpush_i,        // the core pushes a command
  input  wire [255:0]     cpush_cmd_i,
  output wire             cpush_ready_o,  // cpush_i is taken (held while the core queue is full)
  output wire [2:0]       cq_free_o,      // free core-queue entries
  output wire             cq_idle_o       // core queue empty and every unit idle
);

`include "tsr_isa.vh"

  localparam integer BufD = 8;

  reg              running_q, dead_q;
  reg  [1:0]       inflight_q;  // blocks requested whose final element has not arrived (0 .. 2)
  reg  [AddrW-1:0] addr_q;
  reg  [31:0]      left_q;
  reg  [4:0]       cred_q;
  reg  [IdxW-1:0]  idx_q;
  wire [2:0]       nreq;
  wire             req, buf_push, buf_valid, buf_pop, unused_buf_ready, unused_buf_full;
  wire [255:0]     buf_cmd, buf_in;
  wire [7:0]       op;
  wire             to_ld, to_ex, to_st, is_fence, is_escape, illegal, dispatch, fence_go;
  wire             fetch_err;
  wire [7:0]       fetch_code;

  assign nreq     = (left_q >= 32'd4) ? 3'd4 : left_q[2:0];
  wire   busy_f   = (inflight_q != 2'd0);
  assign req      = running_q && (inflight_q != 2'd2) && !dead_q && !halt_i && (left_q != 32'd0) &&
                    (cred_q >= 5'd4);
  assign desc_valid_o     = req;
  assign desc_addr_o      = addr_q;
  assign desc_row_bytes_o = {8'd0, nreq, 5'd0};

  assign buf_push = (busy_f && el_valid_i) || (push_i && !running_q && !dead_q);
  assign buf_in   = (busy_f && el_valid_i) ? el_data_i : push_cmd_i;
  tsr_fifo #(.Width (256), .Depth (BufD)) u_buf (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_valid_i (buf_push),
    .push_ready_o (unused_buf_ready),
    .push_data_i  (buf_in),
    .pop_valid_o  (buf_valid),
    .pop_ready_i  (buf_pop),
    .pop_data_o   (buf_cmd),
    .full_o       (unused_buf_full)
  );

  // ---- escape state and the core queue ------------------------------------------------------
  // esc_act_q: the ESCAPE at the buffer head has been handed over and not yet retired;
  // esc_pend_q: the core has not ended it yet.
  reg              esc_act_q, esc_pend_q;
  reg  [31:0]      esc_cnt_q;
  wire             cq_valid, cq_pop, cq_push_ready, unused_cq_full;
  wire [255:0]     cq_cmd;
  reg  [2:0]       cq_cnt_q;
  tsr_fifo #(.Width (256), .Depth (4)) u_cq (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_valid_i (cpush_i && esc_act_q),
    .push_ready_o (cq_push_ready),
    .push_data_i  (cpush_cmd_i),
    .pop_valid_o  (cq_valid),
    .pop_ready_i  (cq_pop),
    .pop_data_o   (cq_cmd),
    .full_o       (unused_cq_full)
  );
  assign cq_free_o = 3'd4 - cq_cnt_q;
  assign cpush_ready_o = cq_push_ready || !esc_act_q;
  assign cq_idle_o = !cq_valid && units_idle_i;

  // The command in front of the dispatcher: the core queue's head while an ESCAPE is active.
  wire [255:0] cur_cmd;
  wire         cur_valid;
  assign cur_cmd   = esc_act_q ? cq_cmd : buf_cmd;
  assign cur_valid = esc_act_q ? cq_valid : buf_valid;

  assign op        = cur_cmd[TSR_F_OPCODE_LSB +: 8];
  assign to_ld     = (op == TSR_OP_LOAD[7:0]);
  assign to_ex     = (op == TSR_OP_MATMUL[7:0]) || (op == TSR_OP_VECTOR[7:0]) ||
                     (op == TSR_OP_PARAMS[7:0]);
  assign to_st     = (op == TSR_OP_STORE[7:0]);
  assign is_fence  = (op == TSR_OP_FENCE[7:0]);
  assign is_escape = (op == TSR_OP_ESCAPE[7:0]);
  assign illegal   = !(to_ld || to_ex || to_st || is_fence || is_escape);
  wire   head      = cur_valid && !dead_q && !halt_i;
  assign ld_valid_o = head && to_ld;
  assign ex_valid_o = head && to_ex;
  assign st_valid_o = head && to_st;
  assign cmd_o      = cur_cmd;
  assign idx_o      = idx_q;
  assign fence_go   = head && is_fence && units_idle_i;
  assign dispatch   = (ld_valid_o && ld_ready_i) || (ex_valid_o && ex_ready_i) ||
                      (st_valid_o && st_ready_i) || fence_go;

  // ESCAPE: hand-over once everything before it is idle; retire once the core ended it and its
  // pushed commands have finished.
  wire esc_start, esc_finish, esc_tmo, esc_bad_status, esc_fault, esc_no_core, esc_not_ok,
       push_bad, esc_err;
  assign esc_start   = HasCore != 0 && head && !esc_act_q && is_escape && units_idle_i &&
                       core_ok_i;
  assign esc_finish  = esc_act_q && !esc_pend_q && !cq_valid && units_idle_i && !dead_q &&
                       !halt_i;
  assign esc_no_core = HasCore == 0 && head && !esc_act_q && is_escape;
  assign esc_not_ok  = HasCore != 0 && head && !esc_act_q && is_escape && units_idle_i &&
                       !core_ok_i;
  assign esc_fault   = esc_pend_q && core_fault_i;
  assign esc_bad_status = esc_pend_q && esc_done_i && (esc_status_i != 32'd0);
  assign esc_tmo     = esc_pend_q && (esc_timeout_i != 32'd0) && (esc_cnt_q >= esc_timeout_i);
  assign push_bad    = cpush_i && !esc_act_q && !dead_q;
  assign esc_err     = esc_no_core || esc_not_ok || esc_fault || esc_bad_status || esc_tmo ||
                       push_bad || (head && esc_act_q && is_escape);

  assign cq_pop     = esc_act_q && dispatch;
  assign buf_pop    = (!esc_act_q && dispatch) || esc_finish;
  assign retire_o   = fence_go || esc_finish;
  assign fence_irq_o = fence_go && cur_cmd[TSR_F_FENCE_IRQ_LSB];
  assign esc_pending_o = esc_pend_q;
  assign esc_func_o    = buf_cmd[31:16];
  assign esc_args_o    = buf_cmd[255:32];

  assign fetch_err  = busy_f && dma_done_i && dma_err_i;
  assign fetch_code = (dma_err_code_i == 3'd1) ? TSR_ERROR_DMA_WINDOW[7:0] :
                      (dma_err_code_i == 3'd2) ? TSR_ERROR_DMA_EMPTY[7:0] :
                                                 TSR_ERROR_AXI_READ[7:0];
  wire   op_err     = head && illegal;
  assign err_o      = !dead_q && (op_err || esc_err || fetch_err);
  assign err_code_o = op_err ? TSR_ERROR_ILLEGAL_OPCODE[7:0] :
                      (push_bad || (head && esc_act_q && is_escape)) ? TSR_ERROR_CORE_PUSH[7:0] :
                      esc_no_core ? TSR_ERROR_NO_CORE[7:0] :
                      (esc_not_ok || esc_fault) ? TSR_ERROR_CORE_HALTED[7:0] :
                      esc_bad_status ? TSR_ERROR_ESCAPE_STATUS[7:0] :
                      esc_tmo ? TSR_ERROR_ESCAPE_TIMEOUT[7:0] : fetch_code;
  assign err_idx_o  = idx_q;
  assign push_ready_o = running_q || dead_q || (cred_q != 5'd0);
  assign drained_o  = !running_q && !buf_valid;

  // A block ends with its final element, or (after an error) when the engine falls idle.
  wire [1:0] inflight_d;
  assign inflight_d = (busy_f && dma_done_i && dma_err_i) ? 2'd0 :
                      inflight_q + {1'b0, req && desc_ready_i} -
                      {1'b0, busy_f && el_valid_i && el_last_i};
  wire [4:0] cred_d;
  assign cred_d = cred_q - ((req && desc_ready_i) ? {2'd0, nreq} : 5'd0) + {4'd0, buf_pop} -
                  {4'd0, push_i && !running_q && !dead_q};

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      running_q  <= 1'b0;
      inflight_q <= 2'd0;
      dead_q     <= 1'b0;
      left_q     <= 32'd0;
      cred_q     <= BufD[4:0];
      idx_q      <= {IdxW{1'b0}};
      esc_act_q  <= 1'b0;
      esc_pend_q <= 1'b0;
      esc_cnt_q  <= 32'd0;
      cq_cnt_q   <= 3'd0;
    end else begin
      if (start_i && !running_q) begin
        running_q <= (count_i != 32'd0);
        left_q    <= count_i;
      end else if (running_q && !busy_f && left_q == 32'd0) begin
        running_q <= 1'b0;
      end
      if (req && desc_ready_i) left_q <= left_q - {29'd0, nreq};
      inflight_q <= inflight_d;
      if (err_o) dead_q <= 1'b1;
      cred_q <= cred_d;
      if (buf_pop) idx_q <= idx_q + 1'b1;
      if (esc_start) begin
        esc_act_q  <= 1'b1;
        esc_pend_q <= 1'b1;
      end else begin
        if (esc_pend_q && esc_done_i) esc_pend_q <= 1'b0;
        if (esc_finish) esc_act_q <= 1'b0;
      end
      esc_cnt_q <= esc_start ? 32'd0 : (esc_pend_q ? esc_cnt_q + 32'd1 : esc_cnt_q);
      cq_cnt_q  <= cq_cnt_q + {2'd0, cpush_i && esc_act_q && cq_push_ready} - {2'd0, cq_pop};
    end
  end

  always @(posedge clk_i) begin
    if (start_i && !running_q) begin
      addr_q <= base_i;
    end else if (req && desc_ready_i) begin
      addr_q <= addr_q + {{(AddrW-8){1'b0}}, nreq, 5'd0};
    end
  end

endmodule
