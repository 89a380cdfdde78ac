// tessera: the accumulator: two tsr_acc_mem banks of BankRows rows, selected by the top row-address
// bit, so the store unit can read one bank while the execute unit accumulates into the other (the
// compiler alternates banks between tiles). Same ports as tsr_acc_mem.
//
// Write beats are registered here (s0) before they reach a bank, so that the banks' read-port
// arbitration, the bank select and the memories' read address start at flip-flops; the beats
// reach the memories one cycle later. A read is held off while s0 holds a write to its row, so it
// still sees every write accepted before it.
module tsr_acc_banks #(
  parameter Lanes    = 4,
  parameter BankRows = 64,
  parameter AddrW    = 16
) (
  input  wire                clk_i,
  input  wire                rst_ni,
  input  wire                wr_valid_i,
  input  wire                wr_accum_i,
  input  wire                wr_max_i,
  input  wire [AddrW-1:0]    wr_addr_i,
  input  wire [32*Lanes-1:0] wr_data_i,
  input  wire                rd_valid_i,
  output wire                rd_ready_o,
  input  wire [AddrW-1:0]    rd_addr_i,
  output wire                rd_valid_o,
  output wire [32*Lanes-1:0] rd_data_o
);

  localparam RowW = (BankRows <= 2) ? 1 : $clog2(BankRows);

  wire             wr_bank, rd_bank;
  reg              rd_bank_q;
  reg              s0_valid_q, s0_accum_q, s0_max_q;
  reg  [AddrW-1:0] s0_addr_q;
  reg  [32*Lanes-1:0] s0_data_q;
  wire             rd_hazard;
  wire [1:0]       rd_ready, rd_valid;
  wire [32*Lanes-1:0] rd_data [0:1];
  wire [AddrW-1:0] unused_addr;

  assign wr_bank    = s0_addr_q[RowW];
  assign rd_bank    = rd_addr_i[RowW];
  assign unused_addr = s0_addr_q ^ rd_addr_i;
  assign rd_hazard  = s0_valid_q && (s0_addr_q[RowW:0] == rd_addr_i[RowW:0]);
  assign rd_ready_o = rd_ready[rd_bank] && !rd_hazard;
  assign rd_valid_o = rd_valid[rd_bank_q];
  assign rd_data_o  = rd_data[rd_bank_q];

  genvar b;
  generate
    for (b = 0; b < 2; b = b + 1) begin : g_bank
      tsr_acc_mem #(
        .Lanes (Lanes),
        .Depth (BankRows),
        .AddrW (RowW)
      ) u_bank (
        .clk_i      (clk_i),
        .rst_ni     (rst_ni),
        .wr_valid_i (s0_valid_q && (wr_bank == b)),
        .wr_accum_i (s0_accum_q),
        .wr_max_i   (s0_max_q),
        .wr_addr_i  (s0_addr_q[RowW-1:0]),
        .wr_data_i  (s0_data_q),
        .rd_valid_i (rd_valid_i && (rd_bank == b) && !rd_hazard),
        .rd_ready_o (rd_ready[b]),
        .rd_addr_i  (rd_addr_i[RowW-1:0]),
        .rd_valid_o (rd_valid[b]),
        .rd_data_o  (rd_data[b])
      );
    end
  endgenerate

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s0_valid_q <= 1'b0;
    end else begin
      s0_valid_q <= wr_valid_i;
    end
  end

  always @(posedge clk_i) begin
    s0_accum_q <= wr_accum_i;
    s0_max_q   <= wr_max_i;
    s0_addr_q  <= wr_addr_i;
    s0_data_q  <= wr_data_i;
    if (rd_valid_i && rd_ready_o) begin
      rd_bank_q <= rd_bank;
    end
  end

endmodule
