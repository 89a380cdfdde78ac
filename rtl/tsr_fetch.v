// tessera: command fetch and dispatch.
//
// On start_i it fetches count_i commands from DRAM at base_i, in blocks of up to four (one element
// descriptor each) whenever its 8-entry buffer has room for a whole block; push_i appends one
// command written over CSRs instead. The dispatcher takes the buffer in order and routes each
// command to its unit's queue (load, execute, store), numbering them from 0 for error reports.
// FENCE waits until every unit and queue is idle, then retires (and raises fence_o with irq).
// ESCAPE without an escape core and unknown opcodes stop the dispatcher with an error, as does a
// failed fetch (window, AXI error).
module tsr_fetch #(
  parameter AddrW = 32,
  parameter IdxW  = 16
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
  output wire             push_ready_o    // push_i is taken (dropped while a list runs)
);

`include "tsr_isa.vh"

  localparam integer BufD = 8;

  reg              running_q, inflight_q, dead_q;
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
  assign req      = running_q && !inflight_q && !dead_q && !halt_i && (left_q != 32'd0) &&
                    (cred_q >= 5'd4);
  assign desc_valid_o     = req;
  assign desc_addr_o      = addr_q;
  assign desc_row_bytes_o = {8'd0, nreq, 5'd0};

  assign buf_push = (inflight_q && el_valid_i) || (push_i && !running_q && !dead_q);
  assign buf_in   = (inflight_q && el_valid_i) ? el_data_i : push_cmd_i;
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

  assign op        = buf_cmd[TSR_F_OPCODE_LSB +: 8];
  assign to_ld     = (op == TSR_OP_LOAD[7:0]);
  assign to_ex     = (op == TSR_OP_MATMUL[7:0]) || (op == TSR_OP_VECTOR[7:0]) ||
                     (op == TSR_OP_PARAMS[7:0]);
  assign to_st     = (op == TSR_OP_STORE[7:0]);
  assign is_fence  = (op == TSR_OP_FENCE[7:0]);
  assign is_escape = (op == TSR_OP_ESCAPE[7:0]);
  assign illegal   = !(to_ld || to_ex || to_st || is_fence || is_escape);
  wire   head      = buf_valid && !dead_q && !halt_i;
  assign ld_valid_o = head && to_ld;
  assign ex_valid_o = head && to_ex;
  assign st_valid_o = head && to_st;
  assign cmd_o      = buf_cmd;
  assign idx_o      = idx_q;
  assign fence_go   = head && is_fence && units_idle_i;
  assign dispatch   = (ld_valid_o && ld_ready_i) || (ex_valid_o && ex_ready_i) ||
                      (st_valid_o && st_ready_i) || fence_go;
  assign buf_pop    = dispatch;
  assign retire_o   = fence_go;
  assign fence_irq_o = fence_go && buf_cmd[TSR_F_FENCE_IRQ_LSB];

  assign fetch_err  = inflight_q && dma_done_i && dma_err_i;
  assign fetch_code = (dma_err_code_i == 3'd1) ? TSR_ERROR_DMA_WINDOW[7:0] :
                      (dma_err_code_i == 3'd2) ? TSR_ERROR_DMA_EMPTY[7:0] :
                                                 TSR_ERROR_AXI_READ[7:0];
  wire   op_err     = head && (illegal || is_escape);
  assign err_o      = !dead_q && (op_err || fetch_err);
  assign err_code_o = op_err ? (illegal ? TSR_ERROR_ILLEGAL_OPCODE[7:0] : TSR_ERROR_NO_CORE[7:0])
                             : fetch_code;
  assign err_idx_o  = idx_q;
  assign push_ready_o = running_q || dead_q || (cred_q != 5'd0);
  assign drained_o  = !running_q && !buf_valid;

  wire [4:0] cred_d;
  assign cred_d = cred_q - ((req && desc_ready_i) ? {2'd0, nreq} : 5'd0) + {4'd0, buf_pop} -
                  {4'd0, push_i && !running_q && !dead_q};

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      running_q  <= 1'b0;
      inflight_q <= 1'b0;
      dead_q     <= 1'b0;
      left_q     <= 32'd0;
      cred_q     <= BufD[4:0];
      idx_q      <= {IdxW{1'b0}};
    end else begin
      if (start_i && !running_q) begin
        running_q <= (count_i != 32'd0);
        left_q    <= count_i;
      end else if (running_q && !inflight_q && left_q == 32'd0) begin
        running_q <= 1'b0;
      end
      if (req && desc_ready_i) begin
        inflight_q <= 1'b1;
        left_q     <= left_q - {29'd0, nreq};
      end else if (inflight_q && dma_done_i) begin
        inflight_q <= 1'b0;
      end
      if (err_o) dead_q <= 1'b1;
      cred_q <= cred_d;
      if (dispatch) idx_q <= idx_q + 1'b1;
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
