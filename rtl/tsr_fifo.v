// tessera: small synchronous FIFO (valid/ready on both sides). full_o is a registered flag, so a
// producer may derive its stall from it without a combinational path from the consumer's ready.
// Depth must be a power of two >= 2.
//
// HeadReg = 1: pop_data_o comes from a register that holds the head entry (loaded with the entry
// behind it on a pop, or with the pushed data when that becomes the head), not from the read
// multiplexer of the storage. Same contents and handshakes; the consumer's logic starts at a
// flip-flop (used where the head feeds a long path, e.g. tsr_dma_rd's burst records).
module tsr_fifo #(
  parameter Width   = 32,
  parameter Depth   = 2,
  parameter HeadReg = 0
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  input  wire             push_valid_i,
  output wire             push_ready_o,
  input  wire [Width-1:0] push_data_i,
  output wire             pop_valid_o,
  input  wire             pop_ready_i,
  output wire [Width-1:0] pop_data_o,
  output wire             full_o
);

  localparam PtrW = (Depth <= 2) ? 1 : $clog2(Depth);
  localparam integer  DepthI = Depth;
  localparam [PtrW:0] Full   = DepthI[PtrW:0];

  reg  [Width-1:0] mem_q [0:Depth-1];
  reg  [PtrW-1:0]  wptr_q, rptr_q;
  reg  [PtrW:0]    count_q;
  wire [PtrW-1:0]  wptr_d, rptr_d;
  wire [PtrW:0]    count_d;
  wire             push, pop;

  assign push_ready_o = (count_q != Full);
  assign pop_valid_o  = (count_q != {(PtrW+1){1'b0}});
  assign full_o       = !push_ready_o;
  assign push         = push_valid_i && push_ready_o;
  assign pop          = pop_valid_o && pop_ready_i;
  generate
    if (HeadReg != 0) begin : g_head_reg
      reg  [Width-1:0] head_q;
      wire [Width-1:0] head_d;
      wire [PtrW-1:0]  rptr_next;
      wire             load_next, load_push;
      localparam [PtrW:0] ONE = 1;
      assign rptr_next  = rptr_q + 1'b1;
      assign load_next  = pop && (count_q > ONE);
      assign load_push  = push && ((count_q == {(PtrW+1){1'b0}}) || (pop && (count_q == ONE)));
      assign head_d     = load_next ? mem_q[rptr_next] : (load_push ? push_data_i : head_q);
      assign pop_data_o = head_q;
      always @(posedge clk_i) begin
        head_q <= head_d;
      end
    end else begin : g_head_mux
      assign pop_data_o = mem_q[rptr_q];
    end
  endgenerate

  // The count moves by +1 / -1 / 0, and both neighbours are formed from count_q alone, so the
  // consumer's ready (often late: a decision on the head entry) only selects among them.
  wire [PtrW:0] count_inc, count_dec;
  assign count_inc = count_q + 1'b1;
  assign count_dec = count_q - 1'b1;
  assign wptr_d  = push ? wptr_q + 1'b1 : wptr_q;
  assign rptr_d  = pop ? rptr_q + 1'b1 : rptr_q;
  assign count_d = pop ? (push ? count_q : count_dec) : (push ? count_inc : count_q);

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= {PtrW{1'b0}};
      rptr_q  <= {PtrW{1'b0}};
      count_q <= {(PtrW+1){1'b0}};
    end else begin
      wptr_q  <= wptr_d;
      rptr_q  <= rptr_d;
      count_q <= count_d;
    end
  end

  // Storage: no reset, written only on push.
  always @(posedge clk_i) begin
    if (push) begin
      mem_q[wptr_q] <= push_data_i;
    end
  end

endmodule
