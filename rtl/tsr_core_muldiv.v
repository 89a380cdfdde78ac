// tessera: the escape core's M-extension unit. Works on operand magnitudes and fixes the sign at
// the end: multiply 8 bits of the multiplier per cycle (4 cycles; 1 cycle when either magnitude
// is below 256, which then serves as the multiplier), divide one quotient bit per
// cycle (32 cycles, restoring). One shared 64-bit register holds {high, low} of the product or
// {remainder, quotient}. Results follow the RISC-V M spec: x / 0 = all ones, x % 0 = x,
// INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0 (these fall out of the magnitude algorithm, except the
// quotient sign of a division by zero, which is not applied).
module tsr_core_muldiv (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        start_i,   // with op, a, b; only while idle
  input  wire [2:0]  op_i,      // funct3: mul mulh mulhsu mulhu div divu rem remu
  input  wire [31:0] a_i,
  input  wire [31:0] b_i,
  output wire        done_o,    // result valid; held until take_i
  input  wire        take_i,    // consumer takes the result (returns to idle)
  output wire [31:0] result_o
);

  localparam [1:0] StIdle = 2'd0, StRun = 2'd1, StDone = 2'd2;

  reg  [1:0]  st_q;
  reg  [1:0]  st_d;
  reg  [5:0]  cnt_q;
  wire [5:0]  cnt_d;
  reg  [63:0] p_q;
  reg  [63:0] p_d;
  reg  [31:0] m_q;            // multiplicand / divisor magnitude
  wire [31:0] m_d;
  reg  [2:0]  op_q;
  wire [2:0]  op_d;
  reg         neg_q, bzero_q, short_q;
  wire        neg_d, bzero_d, short_d;

  wire        is_div   = op_i[2];
  // Which operands are signed: mulh (1) both, mulhsu (2) a only, div (4) / rem (6) both.
  wire        sgn_a    = (op_i == 3'd1) || (op_i == 3'd2) || (op_i == 3'd4) || (op_i == 3'd6);
  wire        sgn_b    = (op_i == 3'd1) || (op_i == 3'd4) || (op_i == 3'd6);
  wire        neg_a    = sgn_a && a_i[31];
  wire        neg_b    = sgn_b && b_i[31];
  wire [31:0] mag_a    = neg_a ? (~a_i + 32'd1) : a_i;
  wire [31:0] mag_b    = neg_b ? (~b_i + 32'd1) : b_i;
  wire        start    = start_i && (st_q == StIdle);
  // A multiplier magnitude below 256 needs one step; take whichever operand is that small.
  wire        b_small  = (mag_b[31:8] == 24'd0);
  wire        a_small  = (mag_a[31:8] == 24'd0);
  wire        short    = !is_div && (a_small || b_small);
  wire [31:0] mplier   = (!b_small && a_small) ? mag_a : mag_b;
  wire [31:0] mcand    = (!b_small && a_small) ? mag_b : mag_a;

  // Multiply step: P = {acc_hi, multiplier}; add m * P[7:0] to the high part and shift right 8.
  wire [39:0] mul_sum  = {8'd0, p_q[63:32]} + m_q * p_q[7:0];
  // Divide step: shift the next dividend bit into the remainder and try to subtract.
  wire [32:0] trial    = {p_q[63:31]};
  wire [32:0] diff     = trial - {1'b0, m_q};
  wire        op_div   = op_q[2];
  wire        last     = op_div ? (cnt_q == 6'd31) : (short_q || (cnt_q == 6'd3));

  always @(*) begin
    st_d = st_q;
    p_d  = p_q;
    case (st_q)
      StIdle: if (start) begin
        st_d = StRun;
        p_d  = {32'd0, is_div ? mag_a : mplier};
      end
      StRun: begin
        if (op_div) p_d = diff[32] ? {trial[31:0], p_q[30:0], 1'b0} : {diff[31:0], p_q[30:0], 1'b1};
        else        p_d = {mul_sum, p_q[31:8]};
        if (last) st_d = StDone;
      end
      StDone: if (take_i) st_d = StIdle;
      default: st_d = StIdle;
    endcase
  end

  assign cnt_d   = (st_q == StRun) ? cnt_q + 6'd1 : 6'd0;
  assign m_d     = start ? (is_div ? mag_b : mcand) : m_q;
  assign short_d = start ? short : short_q;
  assign op_d    = start ? op_i : op_q;
  // Result sign: products and quotients negative when exactly one operand is; remainders take the
  // dividend's sign.
  assign neg_d   = start ? ((op_i[2:1] == 2'b11) ? neg_a : (neg_a ^ neg_b)) : neg_q;
  assign bzero_d = start ? (b_i == 32'd0) : bzero_q;

  // Final sign fix with one 32-bit incrementer: -x = ~x + 1; the high word of a negated 64-bit
  // product is ~hi + (lo == 0).
  wire        want_hi  = ((op_q[1:0] != 2'b00) && !op_q[2]) || (op_q[2] && op_q[1]);
  // After a one-step multiply the product sits 24 bits up (three shifts were skipped).
  wire [63:0] prod     = short_q ? {24'd0, p_q[63:24]} : p_q;
  wire [31:0] sel      = want_hi ? prod[63:32] : prod[31:0];
  wire        is_quot  = op_q[2] && !op_q[1];
  wire        do_neg   = neg_q && (op_q != 3'd0) && !(is_quot && bzero_q);
  wire        cin      = (op_q[2] == 1'b0) ? (prod[31:0] == 32'd0) : 1'b1;
  assign result_o = (do_neg ? ~sel : sel) + {31'd0, do_neg && cin};
  assign done_o   = (st_q == StDone);

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q  <= StIdle;
      cnt_q <= 6'd0;
    end else begin
      st_q  <= st_d;
      cnt_q <= cnt_d;
    end
  end

  always @(posedge clk_i) begin
    p_q     <= p_d;
    m_q     <= m_d;
    op_q    <= op_d;
    neg_q   <= neg_d;
    bzero_q <= bzero_d;
    short_q <= short_d;
  end

endmodule
