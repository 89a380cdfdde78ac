// tessera: accumulator memory. Depth rows of Lanes int32 values.
//
// Write port (from the array): each beat either overwrites a row or adds to it lane by lane
// (wrapping int32, the rule of tsr::ref::wrap_add) or keeps the lane-wise signed maximum (max
// pooling), one beat per cycle, never stalling. A beat takes three cycles: the memory reads its
// row (accumulates only), the old row is registered (s1), the new row is formed and written (s2).
// A beat whose row one of the two beats ahead of it writes gets their new value forwarded, so
// back-to-back accumulation into one row is exact: the beat two ahead wrote in the cycle the
// memory read (a read-first memory returns the old row), so the registered old row is taken from
// last_data_q instead; the beat just ahead is still being formed, so s2 takes last_data_q over
// the registered old row. The memory's read data thus meets only a multiplexer and a register;
// the add and the maximum start at registers.
// Read port (to post-processing): a request is accepted when no accumulate needs the memory's read
// port in that cycle and no beat in s1 writes the requested row (it would be written only after
// the read); its data comes one cycle later and sees every write accepted before it (a beat in s2
// is forwarded).
module tsr_acc_mem #(
  parameter Lanes = 4,
  parameter Depth = 64,
  parameter AddrW = (Depth <= 2) ? 1 : $clog2(Depth)
) (
  input  wire                clk_i,
  input  wire                rst_ni,
  // write / accumulate
  input  wire                wr_valid_i,
  input  wire                wr_accum_i,
  input  wire                wr_max_i,    // with wr_accum_i: keep the lane-wise signed maximum
  input  wire [AddrW-1:0]    wr_addr_i,
  input  wire [32*Lanes-1:0] wr_data_i,
  // read
  input  wire                rd_valid_i,
  output wire                rd_ready_o,
  input  wire [AddrW-1:0]    rd_addr_i,
  output wire                rd_valid_o,
  output wire [32*Lanes-1:0] rd_data_o
);

  localparam W = 32 * Lanes;

  // s1: the beat whose old row the memory returns this cycle; s2: the beat being written.
  reg              s1_valid_q, s1_accum_q, s1_max_q, s2_valid_q, s2_accum_q, s2_max_q, rd_valid_q;
  reg  [AddrW-1:0] s1_addr_q, s2_addr_q;
  reg  [W-1:0]     s1_data_q, s2_data_q, s2_old_q;
  // The row written at the end of the previous cycle (s2's result), and the forwarding flags,
  // each compared a cycle early and registered: fwd_s1_q, the beat in s1 reads the row s2 wrote
  // last cycle; fwd_s2_q, the beat in s2 reads the row the beat ahead of it wrote last cycle;
  // fwd_rd_q, the read whose data is due reads that row.
  reg              fwd_s1_q, fwd_s2_q, fwd_rd_q;
  reg  [W-1:0]     last_data_q;

  wire             sram_re, accum_in, rd_hazard;
  wire [AddrW-1:0] sram_raddr;
  wire [W-1:0]     sram_rdata, old_s1, old_s2, new_row;

  // The read port serves accumulates first, then post-processing reads.
  assign accum_in   = wr_valid_i && wr_accum_i;
  assign rd_hazard  = s1_valid_q && (s1_addr_q == rd_addr_i);
  assign sram_re    = accum_in || (rd_valid_i && !rd_hazard);
  assign sram_raddr = accum_in ? wr_addr_i : rd_addr_i;
  assign rd_ready_o = !accum_in && !rd_hazard;

  assign old_s1 = fwd_s1_q ? last_data_q : sram_rdata;
  assign old_s2 = fwd_s2_q ? last_data_q : s2_old_q;

  genvar l;
  generate
    for (l = 0; l < Lanes; l = l + 1) begin : g_lane
      wire [31:0] old_l, in_l;
      assign old_l = old_s2[32*l +: 32];
      assign in_l  = s2_data_q[32*l +: 32];
      assign new_row[32*l +: 32] = !s2_accum_q ? in_l :
                                   s2_max_q ? (($signed(old_l) > $signed(in_l)) ? old_l : in_l) :
                                   old_l + in_l;
    end
  endgenerate

  assign rd_valid_o = rd_valid_q;
  assign rd_data_o  = fwd_rd_q ? last_data_q : sram_rdata;

  tsr_sram_1r1w #(
    .Width (W),
    .Depth (Depth),
    .AddrW (AddrW)
  ) u_sram (
    .clk_i   (clk_i),
    .re_i    (sram_re),
    .raddr_i (sram_raddr),
    .rdata_o (sram_rdata),
    .we_i    (s2_valid_q),
    .waddr_i (s2_addr_q),
    .wdata_i (new_row)
  );

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      rd_valid_q <= 1'b0;
      fwd_s1_q   <= 1'b0;
      fwd_s2_q   <= 1'b0;
      fwd_rd_q   <= 1'b0;
    end else begin
      s1_valid_q <= wr_valid_i;
      s2_valid_q <= s1_valid_q;
      rd_valid_q <= rd_valid_i && rd_ready_o;
      fwd_s1_q   <= s2_valid_q && (s2_addr_q == wr_addr_i);
      fwd_s2_q   <= s2_valid_q && (s2_addr_q == s1_addr_q);
      fwd_rd_q   <= s2_valid_q && (s2_addr_q == rd_addr_i);
    end
  end

  always @(posedge clk_i) begin
    s1_accum_q  <= wr_accum_i;
    s1_max_q    <= wr_max_i;
    s1_addr_q   <= wr_addr_i;
    s1_data_q   <= wr_data_i;
    s2_accum_q  <= s1_accum_q;
    s2_max_q    <= s1_max_q;
    s2_addr_q   <= s1_addr_q;
    s2_data_q   <= s1_data_q;
    s2_old_q    <= old_s1;
    last_data_q <= new_row;
  end

endmodule
