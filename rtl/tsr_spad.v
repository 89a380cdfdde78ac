// tessera: banked scratchpad. Banks of BankRows rows of RowBytes int8 lanes, selected by the high
// row-address bits; each bank is one tsr_sram_1r1w (the foundry-replaceable primitive).
//
// One write port (the load unit; never stalls) and two read ports (a: activations, w: weights and
// parameters, both from the execute unit). A read is granted in the cycle it is requested
// (a_gnt_o / w_gnt_o, combinational) unless both ports hit the same bank, where w wins; the data
// of a granted read is valid one cycle later. A read and a write of the same row in one cycle
// return the old row. A mirrored write (wmirror_i) also writes the same row of the partner bank
// (bank number XOR 1), so two read ports can later read one copy each without a conflict.
// A third read port (c: the escape core) has the lowest priority: it is granted when neither w nor
// a reads its bank.
// Depth-4 zero-skip variants (MirrorWays = 4, docs/skip.md): a mirrored write writes the same row
// of all four banks (bank number XOR 1, 2, 3), and two more read ports (x0, x1: the second and
// third chunk of a beat, from their copies) are granted unless w or a (or x0, for x1) reads their
// bank; c then also yields to them. With MirrorWays = 2 the x ports are tied off by the parent.
module tsr_spad #(
  parameter RowBytes   = 4,
  parameter BankRows   = 64,
  parameter Banks      = 2,
  parameter AddrW      = 16,
  parameter MirrorWays = 2   // banks a mirrored write reaches (2 or 4, at most Banks)
) (
  input  wire                  clk_i,
  input  wire                  we_i,
  input  wire                  wmirror_i,
  input  wire [AddrW-1:0]      waddr_i,
  input  wire [8*RowBytes-1:0] wdata_i,
  input  wire                  a_req_i,
  input  wire [AddrW-1:0]      a_addr_i,
  output wire                  a_gnt_o,
  output wire [8*RowBytes-1:0] a_rdata_o,
  input  wire                  w_req_i,
  input  wire [AddrW-1:0]      w_addr_i,
  output wire                  w_gnt_o,
  output wire [8*RowBytes-1:0] w_rdata_o,
  input  wire [1:0]            x_req_i,
  input  wire [2*AddrW-1:0]    x_addr_i,
  output wire [1:0]            x_gnt_o,
  output wire [16*RowBytes-1:0] x_rdata_o,
  input  wire                  c_req_i,
  input  wire [AddrW-1:0]      c_addr_i,
  output wire                  c_gnt_o,
  output wire [8*RowBytes-1:0] c_rdata_o
);

  localparam RowW  = (BankRows <= 2) ? 1 : $clog2(BankRows);
  localparam BankW = (Banks <= 1) ? 1 : $clog2(Banks);
  localparam W     = 8 * RowBytes;

  wire [BankW-1:0] a_bank, w_bank, wr_bank, c_bank, x0_bank, x1_bank;
  reg  [BankW-1:0] a_bank_q, w_bank_q, c_bank_q, x0_bank_q, x1_bank_q;
  wire [AddrW-1:0] x0_addr, x1_addr;
  assign x0_addr = x_addr_i[AddrW-1:0];
  assign x1_addr = x_addr_i[2*AddrW-1:AddrW];
  wire [W-1:0]     rdata [0:Banks-1];
  wire [AddrW-1:0] unused_addr;

  generate
    if (Banks > 1) begin : g_bank_sel
      assign a_bank  = a_addr_i[RowW +: BankW];
      assign w_bank  = w_addr_i[RowW +: BankW];
      assign wr_bank = waddr_i[RowW +: BankW];
      assign c_bank  = c_addr_i[RowW +: BankW];
      assign x0_bank = x0_addr[RowW +: BankW];
      assign x1_bank = x1_addr[RowW +: BankW];
    end else begin : g_one_bank
      assign a_bank  = 1'b0;
      assign w_bank  = 1'b0;
      assign wr_bank = 1'b0;
      assign c_bank  = 1'b0;
      assign x0_bank = 1'b0;
      assign x1_bank = 1'b0;
    end
  endgenerate
  // Bits above the scratchpad are checked by the units before they issue an address.
  assign unused_addr = a_addr_i ^ w_addr_i ^ waddr_i ^ c_addr_i ^ x0_addr ^ x1_addr;

  assign w_gnt_o   = w_req_i;
  assign a_gnt_o   = a_req_i && !(w_req_i && (w_bank == a_bank));
  assign a_rdata_o = rdata[a_bank_q];
  assign w_rdata_o = rdata[w_bank_q];
  wire x0_gnt, x1_gnt;
  assign x0_gnt    = x_req_i[0] && !(w_req_i && (w_bank == x0_bank)) &&
                     !(a_gnt_o && (a_bank == x0_bank));
  assign x1_gnt    = x_req_i[1] && !(w_req_i && (w_bank == x1_bank)) &&
                     !(a_gnt_o && (a_bank == x1_bank)) && !(x0_gnt && (x0_bank == x1_bank));
  assign x_gnt_o   = {x1_gnt, x0_gnt};
  assign x_rdata_o = {rdata[x1_bank_q], rdata[x0_bank_q]};
  assign c_gnt_o   = c_req_i && !(w_req_i && (w_bank == c_bank)) && !(a_gnt_o && (a_bank == c_bank)) &&
                     !(x0_gnt && (x0_bank == c_bank)) && !(x1_gnt && (x1_bank == c_bank));
  assign c_rdata_o = rdata[c_bank_q];

  genvar b;
  generate
    for (b = 0; b < Banks; b = b + 1) begin : g_bank
      wire re, use_w, use_a, use_x0, use_x1, we, mirror_hit;
      assign use_w  = w_req_i && (w_bank == b);
      assign use_a  = a_gnt_o && (a_bank == b);
      assign use_x0 = x0_gnt && (x0_bank == b);
      assign use_x1 = x1_gnt && (x1_bank == b);
      assign re     = use_w || use_a || use_x0 || use_x1 || (c_gnt_o && (c_bank == b));
      // mirrored write: the partner bank (XOR 1), or with four ways (Banks = 4) every bank
      if (MirrorWays > 2) begin : g_mirror4
        assign mirror_hit = 1'b1;
      end else begin : g_mirror2
        assign mirror_hit = ((wr_bank ^ 1'b1) == b);
      end
      assign we     = we_i && ((wr_bank == b) || (wmirror_i && mirror_hit));
      tsr_sram_1r1w #(
        .Width (W),
        .Depth (BankRows),
        .AddrW (RowW)
      ) u_sram (
        .clk_i   (clk_i),
        .re_i    (re),
        .raddr_i (use_w ? w_addr_i[RowW-1:0] : use_a ? a_addr_i[RowW-1:0] :
                  use_x0 ? x0_addr[RowW-1:0] : use_x1 ? x1_addr[RowW-1:0] : c_addr_i[RowW-1:0]),
        .rdata_o (rdata[b]),
        .we_i    (we),
        .waddr_i (waddr_i[RowW-1:0]),
        .wdata_i (wdata_i)
      );
    end
  endgenerate

  always @(posedge clk_i) begin
    a_bank_q <= a_bank;
    w_bank_q <= w_bank;
    c_bank_q <= c_bank;
    x0_bank_q <= x0_bank;
    x1_bank_q <= x1_bank;
  end

endmodule
