// tessera: row-elastic weight-stationary processing element with zero skipping and zero gating.
//
// Each PE holds Depth weights per bank (K indices k, k+R, ..., k+(Depth-1)R of its row) and one
// psum FIFO of Fifo entries. A row issues, per pixel, one step for each non-zero activation of its
// Depth activations (at least one step, which passes the partial sum on). A step carries from the
// left: the activation already offset by the zero point (a_i = a - zp, 9-bit signed), the weight
// index (sel_i), the bank tag, first/last flags and nz_i (the operand is non-zero).
//   first: base = the head of the FIFO of the PE above (psum_i; that FIFO pops), else the entry
//          being accumulated; the step writes base + a*w into the FIFO's tail entry.
//   last:  the tail entry is complete; the tail pointer moves on.
// The row controller (tsr_ws_skip_ctrl) decides every step for column 0 and guarantees that the
// FIFOs neither overflow nor underflow; the same decision reaches column c c cycles later, when
// column c's FIFOs are in exactly the state column 0's were. The PE therefore keeps no counts.
//
// Zero gating (Gate = 1): the operand registers passed to the right (a, sel, bank) load only on
// non-zero steps, so the multipliers of a row see no toggles on zero steps; the product is masked
// and the accumulating entry is not written on a zero step that is neither first nor last.
// Gate = 0 builds the same PE without the holds (the toggle baseline of `tessera bench skip`).
// Everything advances only while en_i is high.
//
// ClkGate = 1: each register group (weight banks, operands passed on, step flags, each FIFO entry)
// runs on a clock gated by its enable (tsr_clk_gate) instead of a hold multiplexer per bit;
// ClkGate = 0 builds the multiplexers (FPGA targets). See tsr_pe_ws.
module tsr_pe_ws_skip #(
  parameter InW   = 8,
  parameter AccW  = 32,
  parameter Depth = 2,
  parameter Fifo  = 2,
  parameter Gate  = 1,
  parameter ClkGate = 0,
  parameter SelW  = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  wire              clk_i,
  input  wire              rst_ni,
  input  wire              en_i,
  // steps, left to right
  input  wire [InW:0]      a_i,
  input  wire [SelW-1:0]   sel_i,
  input  wire              bank_i,
  input  wire              v_i,
  input  wire              first_i,
  input  wire              last_i,
  input  wire              nz_i,
  output wire [InW:0]      a_o,
  output wire [SelW-1:0]   sel_o,
  output wire              bank_o,
  output wire              v_o,
  output wire              first_o,
  output wire              last_o,
  output wire              nz_o,
  // weight shift chain, top to bottom (bank w_bank_i), Depth stages per PE
  input  wire [InW-1:0]    w_i,
  input  wire              w_shift_i,
  input  wire              w_bank_i,
  output wire [InW-1:0]    w_o,
  // partial sums, top to bottom: this PE's FIFO head, popped by the first step of the PE below
  input  wire [AccW-1:0]   psum_i,
  input  wire              pop_i,
  output wire [AccW-1:0]   psum_o
);

  localparam integer PtrW = (Fifo > 1) ? $clog2(Fifo) : 1;
  localparam integer ProdW = 2 * InW + 1;
  localparam integer LastI = Fifo - 1;
  localparam [PtrW-1:0] LastPtr = LastI[PtrW-1:0];

  reg  [InW*Depth-1:0] w0_q, w1_q;
  wire [InW*Depth-1:0] w0_d, w1_d, w_bank_sel;
  reg  [InW:0]         a_q;
  wire [InW:0]         a_d;
  reg  [SelW-1:0]      sel_q;
  wire [SelW-1:0]      sel_d;
  reg                  bank_q, v_q, first_q, last_q, nz_q;
  wire                 bank_d, v_d, first_d, last_d, nz_d;
  wire [AccW*Fifo-1:0] mem_flat;  // the FIFO entries, entry i at bits i*AccW
  reg  [PtrW-1:0]      wptr_q, rptr_q;
  wire [PtrW-1:0]      wptr_d, rptr_d;
  wire [InW-1:0]       w_sel;
  wire [ProdW-1:0]     prod;
  wire [AccW-1:0]      prod_x, base, sum;
  wire                 step, load, write, w0_ld, w1_ld;
  // on a gated clock a register's enable is its clock's: no hold multiplexer
  wire                 cg, w0_h, w1_h, load_h, step_h;
  wire                 clk_w0, clk_w1, clk_ld, clk_step;

  assign cg     = (ClkGate != 0);
  assign w0_ld  = en_i && w_shift_i && !w_bank_i;
  assign w1_ld  = en_i && w_shift_i && w_bank_i;
  assign w0_h   = w0_ld || cg;
  assign w1_h   = w1_ld || cg;
  assign load_h = load || cg;
  assign step_h = step || cg;
  generate
    if (ClkGate != 0) begin : g_cg
      tsr_clk_gate u_cg_w0   (.clk_i (clk_i), .en_i (w0_ld), .clk_o (clk_w0));
      tsr_clk_gate u_cg_w1   (.clk_i (clk_i), .en_i (w1_ld), .clk_o (clk_w1));
      tsr_clk_gate u_cg_ld   (.clk_i (clk_i), .en_i (load),  .clk_o (clk_ld));
      tsr_clk_gate u_cg_step (.clk_i (clk_i), .en_i (step),  .clk_o (clk_step));
    end else begin : g_nocg
      assign clk_w0   = clk_i;
      assign clk_w1   = clk_i;
      assign clk_ld   = clk_i;
      assign clk_step = clk_i;
    end
  endgenerate

  // ---- weights: Depth stages per bank; stage 0 takes w_i, stage Depth-1 feeds w_o -------------
  generate
    if (Depth > 1) begin : g_chain
      assign w0_d = w0_h ? {w0_q[InW*(Depth-1)-1:0], w_i} : w0_q;
      assign w1_d = w1_h ? {w1_q[InW*(Depth-1)-1:0], w_i} : w1_q;
    end else begin : g_single
      assign w0_d = w0_h ? w_i : w0_q;
      assign w1_d = w1_h ? w_i : w1_q;
    end
  endgenerate
  assign w_o        = w_bank_i ? w1_q[InW*Depth-1:InW*(Depth-1)] : w0_q[InW*Depth-1:InW*(Depth-1)];
  assign w_bank_sel = bank_i ? w1_q : w0_q;
  assign w_sel      = w_bank_sel[sel_i*InW +: InW];

  // ---- multiply-accumulate ----------------------------------------------------------------------
  assign step   = en_i && v_i;
  assign prod   = $signed(a_i) * $signed(w_sel);
  assign prod_x = nz_i ? {{(AccW-ProdW){prod[ProdW-1]}}, prod} : {AccW{1'b0}};
  assign base   = first_i ? psum_i : mem_flat[wptr_q*AccW +: AccW];
  assign sum    = base + prod_x;
  generate
    if (Gate != 0) begin : g_gate
      // A zero step in the middle of a pixel leaves the entry alone (accumulator enable held).
      assign write = step && (nz_i || first_i);
      assign load  = step && nz_i;
    end else begin : g_nogate
      assign write = step;
      assign load  = step;
    end
  endgenerate
  assign wptr_d = (step && last_i) ? ((wptr_q == LastPtr) ? {PtrW{1'b0}} : wptr_q + 1'b1) : wptr_q;
  assign rptr_d = (en_i && pop_i) ? ((rptr_q == LastPtr) ? {PtrW{1'b0}} : rptr_q + 1'b1) : rptr_q;

  // ---- pass the step on --------------------------------------------------------------------------
  assign a_d     = load_h ? a_i : a_q;
  assign sel_d   = load_h ? sel_i : sel_q;
  assign bank_d  = load_h ? bank_i : bank_q;
  assign v_d     = en_i ? v_i : v_q;
  assign first_d = step_h ? first_i : first_q;
  assign last_d  = step_h ? last_i : last_q;
  assign nz_d    = step_h ? nz_i : nz_q;

  assign a_o     = a_q;
  assign sel_o   = sel_q;
  assign bank_o  = bank_q;
  assign v_o     = v_q;
  assign first_o = first_q;
  assign last_o  = last_q;
  assign nz_o    = nz_q;
  assign psum_o  = mem_flat[rptr_q*AccW +: AccW];

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q    <= 1'b0;
      wptr_q <= {PtrW{1'b0}};
      rptr_q <= {PtrW{1'b0}};
    end else begin
      v_q    <= v_d;
      wptr_q <= wptr_d;
      rptr_q <= rptr_d;
    end
  end

  // Datapath registers: no reset, only meaningful while the matching valid bit is set.
  always @(posedge clk_ld) begin
    a_q    <= a_d;
    sel_q  <= sel_d;
    bank_q <= bank_d;
  end

  always @(posedge clk_step) begin
    first_q <= first_d;
    last_q  <= last_d;
    nz_q    <= nz_d;
  end

  always @(posedge clk_w0) begin
    w0_q <= w0_d;
  end

  always @(posedge clk_w1) begin
    w1_q <= w1_d;
  end

  // psum FIFO entries: entry i is written by a step while the tail pointer is at it
  genvar e;
  generate
    for (e = 0; e < Fifo; e = e + 1) begin : g_ent
      localparam [PtrW-1:0] EI = e;
      reg  [AccW-1:0] ent_q;
      wire            ent_we, clk_ent;
      assign ent_we = write && (wptr_q == EI);
      if (ClkGate != 0) begin : g_cg
        tsr_clk_gate u_cg (.clk_i (clk_i), .en_i (ent_we), .clk_o (clk_ent));
        always @(posedge clk_ent) begin
          ent_q <= sum;
        end
      end else begin : g_nocg
        assign clk_ent = clk_i;
        always @(posedge clk_ent) begin
          if (ent_we) begin
            ent_q <= sum;
          end
        end
      end
      assign mem_flat[e*AccW +: AccW] = ent_q;
    end
  endgenerate

endmodule
