// tessera: the accumulator: two tsr_acc_mem banks of BankRows rows, selected by the top row-address
// bit, so the store unit can read one bank while the execute unit accumulates into the other (the
// compiler alternates banks between tiles). Same ports as tsr_acc_mem.
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
  wire [1:0]       rd_ready, rd_valid;
  wire [32*Lanes-1:0] rd_data [0:1];
  wire [AddrW-1:0] unused_addr;

  assign wr_bank    = wr_addr_i[RowW];
  assign rd_bank    = rd_addr_i[RowW];
  assign unused_addr = wr_addr_i ^ rd_addr_i;
  assign rd_ready_o = rd_ready[rd_bank];
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
        .wr_valid_i (wr_valid_i && (wr_bank == b)),
        .wr_accum_i (wr_accum_i),
        .wr_max_i   (wr_max_i),
        .wr_addr_i  (wr_addr_i[RowW-1:0]),
        .wr_data_i  (wr_data_i),
        .rd_valid_i (rd_valid_i && (rd_bank == b)),
        .rd_ready_o (rd_ready[b]),
        .rd_addr_i  (rd_addr_i[RowW-1:0]),
        .rd_valid_o (rd_valid[b]),
        .rd_data_o  (rd_data[b])
      );
    end
  endgenerate

  always @(posedge clk_i) begin
    if (rd_valid_i && rd_ready_o) begin
      rd_bank_q <= rd_bank;
    end
  end

endmodule
