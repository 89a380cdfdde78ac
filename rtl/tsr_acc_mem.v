// tessera: accumulator memory. Depth rows of Lanes int32 values.
//
// Write port (from the array): each beat either overwrites a row or adds to it lane by lane
// (wrapping int32, the rule of tsr::ref::wrap_add) or keeps the lane-wise signed maximum (max
// pooling), one beat per cycle, never stalling. Adding is a
// read-modify-write over two cycles; a beat that reads a row the previous beat is writing in the
// same cycle gets the new value forwarded, so back-to-back accumulation into one row is exact.
// Read port (to post-processing): a request is accepted when no accumulate needs the memory's read
// port in that cycle; its data comes one cycle later (and sees every write accepted before it).
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

  // Stage 1 registers: the beat whose old row is being read this cycle.
  reg              s1_valid_q, s1_accum_q, s1_max_q, rd_valid_q;
  reg  [AddrW-1:0] s1_addr_q;
  reg  [W-1:0]     s1_data_q;
  // The write committed at the end of the previous cycle (for forwarding), and whether the beat
  // in stage 1 and the read whose data is due read its row: both compares are made a cycle
  // early, against the addresses that enter rd_addr_q and s1_addr_q, and registered.
  reg              fwd_s1_q, fwd_rd_q;
  reg  [W-1:0]     last_data_q;

  wire             sram_re;
  wire [AddrW-1:0] sram_raddr;
  wire [W-1:0]     sram_rdata, new_row;
  wire             fwd_s1, fwd_rd, fwd_s1_d, fwd_rd_d;

  // The read port serves accumulates first, then post-processing reads.
  assign sram_re    = (wr_valid_i && wr_accum_i) || rd_valid_i;
  assign sram_raddr = (wr_valid_i && wr_accum_i) ? wr_addr_i : rd_addr_i;
  assign rd_ready_o = !(wr_valid_i && wr_accum_i);

  assign fwd_s1_d = s1_valid_q && (s1_addr_q == wr_addr_i);
  assign fwd_rd_d = s1_valid_q && (s1_addr_q == rd_addr_i);
  assign fwd_s1   = fwd_s1_q;

  // The old value is the forwarded row or the memory's; the sum and the maximum are formed with
  // both and the forwarding picks among the results, so the memory's read data meets the adder
  // and the comparator first (it is the late input: the macro's clock to data).
  genvar l;
  generate
    for (l = 0; l < Lanes; l = l + 1) begin : g_lane
      wire [31:0] mem_l, last_l, in_l, sum_l, max_l;
      wire        keep_mem, keep_last;
      assign mem_l     = sram_rdata[32*l +: 32];
      assign last_l    = last_data_q[32*l +: 32];
      assign in_l      = s1_data_q[32*l +: 32];
      assign keep_mem  = $signed(mem_l) > $signed(in_l);
      assign keep_last = $signed(last_l) > $signed(in_l);
      assign sum_l     = fwd_s1 ? (last_l + in_l) : (mem_l + in_l);
      assign max_l     = fwd_s1 ? (keep_last ? last_l : in_l) : (keep_mem ? mem_l : in_l);
      assign new_row[32*l +: 32] = !s1_accum_q ? in_l : s1_max_q ? max_l : sum_l;
    end
  endgenerate

  assign fwd_rd     = fwd_rd_q;
  assign rd_valid_o = rd_valid_q;
  assign rd_data_o  = fwd_rd ? last_data_q : sram_rdata;

  tsr_sram_1r1w #(
    .Width (W),
    .Depth (Depth),
    .AddrW (AddrW)
  ) u_sram (
    .clk_i   (clk_i),
    .re_i    (sram_re),
    .raddr_i (sram_raddr),
    .rdata_o (sram_rdata),
    .we_i    (s1_valid_q),
    .waddr_i (s1_addr_q),
    .wdata_i (new_row)
  );

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q   <= 1'b0;
      rd_valid_q   <= 1'b0;
      fwd_s1_q     <= 1'b0;
      fwd_rd_q     <= 1'b0;
    end else begin
      s1_valid_q   <= wr_valid_i;
      rd_valid_q   <= rd_valid_i && rd_ready_o;
      fwd_s1_q     <= fwd_s1_d;
      fwd_rd_q     <= fwd_rd_d;
    end
  end

  always @(posedge clk_i) begin
    s1_accum_q  <= wr_accum_i;
    s1_max_q    <= wr_max_i;
    s1_addr_q   <= wr_addr_i;
    s1_data_q   <= wr_data_i;
    last_data_q <= new_row;
  end

endmodule
