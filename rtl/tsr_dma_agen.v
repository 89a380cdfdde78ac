// tessera: DMA address generator shared by the read and write engines.
//
// A descriptor moves `rows` rows of `row_bytes` bytes; row i covers the bytes
// [addr + i * stride, addr + i * stride + row_bytes), at any byte alignment, and is cut into
// elements of `elem_bytes` bytes. The generator checks the whole descriptor once, in the three
// cycles after it is accepted, before any burst:
//   * code 2 (bad descriptor): rows, row_bytes or elem_bytes zero, elem_bytes > ElemBytes, or
//     row_bytes not a multiple of elem_bytes (a division, 6 + 6 + 4 quotient bits);
//   * code 1 (window): the bus-aligned extent [floor(addr), ceil(addr + (rows-1)*stride +
//     row_bytes)) is not inside [win_base, win_limit). The arithmetic is wide enough not to wrap,
//     so a descriptor whose end overflows AddrW bits is outside the window too.
// Code 2 wins over code 1. A rejected descriptor generates no burst at all (err_o pulses in its
// last check cycle, ok_o when it passes). Otherwise the generator emits, row by row in address
// order, INCR bursts over the bus beats that cover each row: at most MaxBurst beats, never across
// a 4 KiB boundary (AXI rule), never across rows. Each burst carries what the data path needs to
// pick the row's bytes out of its beats: whether it holds the row's first beat (first) and last
// beat (row_end), the byte offset of the row's first byte in its beat (lo) and of its last byte in
// its beat (hi). abort_i stops the generation at the next burst handshake (used when a response
// reports an error): a burst already presented is never withdrawn (AXI forbids dropping VALID
// before READY).
//
// The extent's (rows - 1) * stride is checked as rows * stride against a room that adds the
// stride back: rows * stride is formed over two cycles (two 8 x 32 partial products of the
// registered rows, then their sum, beside the room between the start and the window's limit), so
// no check cycle holds a multiplier and an adder, and the descriptor's rows (which can arrive late
// from the engine's own descriptor logic) go straight into a register, with no decrement.
//
// Latency: a descriptor accepted in cycle t presents its first burst in cycle t + 4.
module tsr_dma_agen #(
  parameter AddrW     = 32,
  parameter DataBytes = 16,  // bus width in bytes (power of two, >= 2)
  parameter MaxBurst  = 16,  // beats per burst, power of two, <= 256
  parameter ElemBytes = 16   // largest element in bytes (any value >= 1)
) (
  input  wire                             clk_i,
  input  wire                             rst_ni,
  // DMA window, limit exclusive
  input  wire [AddrW-1:0]                 win_base_i,
  input  wire [AddrW-1:0]                 win_limit_i,
  // descriptor
  input  wire                             desc_valid_i,
  output wire                             desc_ready_o,
  input  wire [AddrW-1:0]                 desc_addr_i,
  input  wire [31:0]                      desc_stride_i,
  input  wire [15:0]                      desc_rows_i,
  input  wire [15:0]                      desc_row_bytes_i,
  input  wire [15:0]                      desc_elem_bytes_i,
  // the accepted descriptor's element size (meaningful once ok_o or err_o has pulsed)
  output wire [$clog2(ElemBytes+1)-1:0]   elem_bytes_o,
  // bursts
  output wire                             burst_valid_o,
  input  wire                             burst_ready_i,
  output wire [AddrW-1:0]                 burst_addr_o,     // bus-aligned
  output wire [7:0]                       burst_len_o,      // beats - 1 (AXI AxLEN)
  output wire                             burst_last_o,     // last burst of the descriptor
  output wire                             burst_first_o,    // holds the row's first beat
  output wire                             burst_row_end_o,  // holds the row's last beat
  output wire [$clog2(DataBytes)-1:0]     burst_lo_o,       // row's first byte, lane in its beat
  output wire [$clog2(DataBytes)-1:0]     burst_hi_o,       // row's last byte, lane in its beat
  input  wire                             abort_i,
  // result of the check: one-cycle pulses
  output wire                             ok_o,
  output wire                             err_o,
  output wire [1:0]                       err_code_o,       // 1: window, 2: bad descriptor
  output wire                             idle_o
);

  localparam OffW  = $clog2(DataBytes);
  localparam EW    = $clog2(ElemBytes + 1);
  localparam LenW  = $clog2(MaxBurst) + 1;
  localparam SW    = 32;                                   // stride width
  localparam XW    = ((AddrW > SW) ? AddrW : SW) + 16 + 2; // check arithmetic: never wraps
  localparam BW    = 17;                                   // beats of one row
  localparam [2:0] StIdle = 3'd0, StChk0 = 3'd1, StChk1 = 3'd2, StChk2 = 3'd3, StRun = 3'd4;
  localparam [1:0] ErrWindow = 2'd1, ErrBad = 2'd2;
  localparam integer MaxBurstI  = MaxBurst;
  localparam integer ElemBytesI = ElemBytes;
  localparam [OffW-1:0] OFF_ZERO = {OffW{1'b0}};

  reg  [2:0]       state_q, state_d;
  reg  [AddrW-1:0] addr_q, addr_d;          // next burst (bus-aligned)
  reg  [AddrW-1:0] row_addr_q, row_addr_d;  // current row's first byte
  reg  [SW-1:0]    stride_q, stride_d;
  reg  [15:0]      rows_q, rows_d;          // rows left, including the current one
  reg  [15:0]      row_bytes_q, row_bytes_d;
  reg  [15:0]      elem_q, elem_d;
  reg  [BW-1:0]    beats_left_q, beats_left_d;
  reg              first_q, first_d;
  reg  [39:0]      pp0_q, pp0_d, pp1_q, pp1_d;  // rows * stride = pp0 + (pp1 << 8)
  reg  [XW-1:0]    ab_q, ab_d;              // addr + row_bytes + DataBytes - 1
  reg  [47:0]      ext_q, ext_d;            // rows * stride
  reg  [XW:0]      room_q, room_d;          // (limit | DataBytes - 1) - ab + stride, signed
  reg              lo_ok_q, lo_ok_d;        // the extent starts inside the window
  reg  [EW-1:0]    rem_q, rem_d;            // partial remainder of row_bytes / elem_bytes
  reg  [EW+1:0]    d3_q, d3_d;              // 3 x the divisor (elem_bytes' low EW bits)
  wire             desc_fire, burst_fire;

  assign desc_ready_o = (state_q == StIdle);
  assign desc_fire    = desc_valid_i && desc_ready_o;
  assign idle_o       = (state_q == StIdle);
  assign elem_bytes_o = elem_q[EW-1:0];

  // ---- check: row_bytes % elem_bytes: dividend bits 15:10 in StChk0 (from a zero remainder),
  // 9:4 in StChk1, 3:0 in StChk2. Each cycle has its own chain of steps, two dividend bits per
  // step (radix 4: the partial remainder with two more bits, below 4 x the divisor, minus 3, 2 or
  // 1 x the divisor or nothing, whichever is the largest non-negative); 3 x the divisor is
  // registered with the descriptor. StChk2, whose result goes on to the engines' error logic
  // (and the next state), takes bits 3:2 in one step, and the last two bits are not divided: the
  // remainder is zero exactly when the last partial remainder (below 4 x the divisor) equals 0 or
  // 1, 2 or 3 x the divisor, four equalities side by side that are shorter than a step.
  wire [EW:0]   divisor  = {1'b0, elem_q[EW-1:0]};
  // One radix-4 step: bits b (two); r < d on entry and on return.
  function automatic [EW-1:0] div_step4(input [EW-1:0] r, input [1:0] b, input [EW:0] d,
                                        input [EW+1:0] d3);
    reg [EW+1:0] v;
    reg [EW+2:0] t1, t2, t3;
    begin
      v  = {r, b};
      t1 = {1'b0, v} - {2'b00, d};
      t2 = {1'b0, v} - {1'b0, d, 1'b0};
      t3 = {1'b0, v} - {1'b0, d3};
      if (!t3[EW+2])      div_step4 = t3[EW-1:0];
      else if (!t2[EW+2]) div_step4 = t2[EW-1:0];
      else if (!t1[EW+2]) div_step4 = t1[EW-1:0];
      else                div_step4 = v[EW-1:0];
    end
  endfunction
  // Three radix-4 steps: bits 5:4, 3:2, 1:0.
  function automatic [EW-1:0] div_steps4(input [EW-1:0] r0, input [5:0] bits, input [EW:0] d,
                                         input [EW+1:0] d3);
    div_steps4 = div_step4(div_step4(div_step4(r0, bits[5:4], d, d3), bits[3:2], d, d3),
                           bits[1:0], d, d3);
  endfunction
  wire [EW-1:0] rem_c0 = div_steps4({EW{1'b0}}, row_bytes_q[15:10], divisor, d3_q);
  wire [EW-1:0] rem_c1 = div_steps4(rem_q, row_bytes_q[9:4], divisor, d3_q);
  wire [EW-1:0] rem_c2 = div_step4(rem_q, row_bytes_q[3:2], divisor, d3_q);
  wire [EW+1:0] r_last = {rem_c2, row_bytes_q[1:0]};
  wire          rem_zero = (r_last == {(EW+2){1'b0}}) || (r_last == {1'b0, divisor}) ||
                           (r_last == {divisor, 1'b0}) || (r_last == d3_q);

  wire elem_big = ({16'd0, elem_q} > ElemBytesI[31:0]);
  wire bad      = (rows_q == 16'd0) || (row_bytes_q == 16'd0) || (elem_q == 16'd0) || elem_big ||
                  !rem_zero;

  // ---- check: the bus-aligned extent inside the window -----------------------------------------
  wire [XW-1:0] stride_x = {{(XW-SW){1'b0}}, stride_q};
  wire [39:0]   pp0_prod = {32'd0, rows_q[7:0]} * {8'd0, stride_q};   // 8 x 32 bits
  wire [39:0]   pp1_prod = {32'd0, rows_q[15:8]} * {8'd0, stride_q};
  wire [XW-1:0] addr_x   = {{(XW-AddrW){1'b0}}, addr_q};
  wire [XW-1:0] base_x   = {{(XW-AddrW){1'b0}}, win_base_i};
  wire [XW-1:0] limit_x  = {{(XW-AddrW){1'b0}}, win_limit_i};
  wire [XW-1:0] rbytes_x = {{(XW-16){1'b0}}, row_bytes_q};
  localparam [XW-1:0] ROUND = {{(XW-OffW){1'b0}}, {OffW{1'b1}}};  // DataBytes - 1
  wire [XW-1:0] ab_x     = addr_x + rbytes_x + ROUND;               // ceil needs + DataBytes - 1
  wire [XW-1:0] first_al = {addr_x[XW-1:OffW], OFF_ZERO};
  // The aligned end fits, floor(end / DataBytes) * DataBytes <= limit, exactly when
  // end = ab + (rows - 1) * stride <= limit | (DataBytes - 1), that is when
  // ext = rows * stride <= (limit | DataBytes - 1) - ab + stride: StChk1 forms ext (a two-operand
  // sum) and that room (three operands, no multiplier), StChk2 compares them (the window is
  // sampled in StChk1). Neither side wraps (room: -2^33 .. 2^33, ext < 2^48). rows = 0 is a bad
  // descriptor, which the window check does not decide.
  wire [47:0]   ext_x    = {8'd0, pp0_q} + {pp1_q, 8'd0};
  wire [XW:0]   room_x   = {1'b0, limit_x | ROUND} - {1'b0, ab_q} + {1'b0, stride_x};
  wire          in_window = lo_ok_q && ($signed({{(XW-47){1'b0}}, ext_q}) <= $signed(room_q));
  wire          check_ok  = !bad && in_window;

  assign ok_o       = (state_q == StChk2) && check_ok;
  assign err_o      = (state_q == StChk2) && !check_ok;
  assign err_code_o = bad ? ErrBad : ErrWindow;

  // ---- rows -------------------------------------------------------------------------------------
  // The window check guarantees that no address below wraps.
  wire [XW-1:0]    stride_wide = stride_x;
  wire [AddrW-1:0] stride_a    = stride_wide[AddrW-1:0];
  wire [AddrW-1:0] row_next    = row_addr_q + stride_a;
  // Beats covering a row that starts at lane `off`: (off + row_bytes + DataBytes - 1) / DataBytes.
  wire [OffW-1:0]  row_off     = (state_q == StRun) ? row_next[OffW-1:0] : row_addr_q[OffW-1:0];
  localparam [BW+OffW-1:0] ROUND_B = {{BW{1'b0}}, {OffW{1'b1}}};
  wire [BW+OffW-1:0] beats_sum = {{BW{1'b0}}, row_off} + {{(BW+OffW-16){1'b0}}, row_bytes_q} +
                                 ROUND_B;
  wire [BW-1:0]    row_beats   = beats_sum[BW+OffW-1:OffW];

  // ---- burst sizing -------------------------------------------------------------------------
  // A burst is min(beats left in the row, beats to the 4 KiB boundary, MaxBurst) beats long. The
  // next address and the row's end are formed beside that minimum, not behind it: the row ends
  // with this burst exactly when its beats left are at most both bounds, and a burst that does not
  // end the row is to_page beats long, so it ends at addr + MaxBurst beats or, when the boundary
  // is nearer, at the boundary itself ({addr[AddrW-1:12] + 1, 12'b0}: addr is bus-aligned).
  wire [12:0]     page_beats = (13'd4096 - {1'b0, addr_q[11:0]}) >> OffW;  // to the 4 KiB boundary
  wire            page_near  = (page_beats < MaxBurstI[12:0]);
  wire [LenW-1:0] to_page    = page_near ? page_beats[LenW-1:0] : MaxBurstI[LenW-1:0];
  wire [LenW-1:0] len_beats  = (beats_left_q < {{(BW-LenW){1'b0}}, to_page}) ?
                               beats_left_q[LenW-1:0] : to_page;
  wire [8:0]      len_m1     = {{(9-LenW){1'b0}}, len_beats} - 9'd1;
  wire            row_done   = (beats_left_q <= MaxBurstI[BW-1:0]) &&
                               (beats_left_q <= {{(BW-13){1'b0}}, page_beats});
  wire            last_row   = (rows_q == 16'd1);
  wire [AddrW-1:0] addr_page = {addr_q[AddrW-1:12] + {{(AddrW-13){1'b0}}, 1'b1}, 12'd0};
  wire [AddrW-1:0] addr_max  = addr_q + (MaxBurstI[AddrW-1:0] << OffW);
  wire [AddrW-1:0] addr_step = page_near ? addr_page : addr_max;

  assign burst_valid_o   = (state_q == StRun);
  assign burst_fire      = burst_valid_o && burst_ready_i;
  assign burst_addr_o    = addr_q;
  assign burst_len_o     = len_m1[7:0];
  assign burst_last_o    = row_done && last_row;
  assign burst_first_o   = first_q;
  assign burst_row_end_o = row_done;
  assign burst_lo_o      = row_addr_q[OffW-1:0];
  assign burst_hi_o      = row_addr_q[OffW-1:0] + row_bytes_q[OffW-1:0] - {{(OffW-1){1'b0}}, 1'b1};

  wire unused_bits = len_m1[8] ^ (^stride_wide[XW-1:AddrW]) ^
                     (^addr_x[OffW-1:0]) ^
                     (^beats_sum[OffW-1:0]);

  always @* begin
    state_d      = state_q;
    addr_d       = addr_q;
    row_addr_d   = row_addr_q;
    stride_d     = stride_q;
    rows_d       = rows_q;
    row_bytes_d  = row_bytes_q;
    elem_d       = elem_q;
    beats_left_d = beats_left_q;
    first_d      = first_q;
    pp0_d        = pp0_q;
    pp1_d        = pp1_q;
    ab_d         = ab_q;
    ext_d        = ext_q;
    room_d       = room_q;
    lo_ok_d      = lo_ok_q;
    rem_d        = rem_q;
    d3_d         = d3_q;
    case (state_q)
      StIdle: if (desc_fire) begin
        state_d     = StChk0;
        addr_d      = desc_addr_i;
        row_addr_d  = desc_addr_i;
        stride_d    = desc_stride_i;
        rows_d      = desc_rows_i;
        row_bytes_d = desc_row_bytes_i;
        elem_d      = desc_elem_bytes_i;
        rem_d       = {EW{1'b0}};
        d3_d        = {2'b00, desc_elem_bytes_i[EW-1:0]} +
                      {1'b0, desc_elem_bytes_i[EW-1:0], 1'b0};
      end
      StChk0: begin
        state_d = StChk1;
        pp0_d   = pp0_prod;
        pp1_d   = pp1_prod;
        ab_d    = ab_x;
        lo_ok_d = (first_al >= base_x);
        rem_d   = rem_c0;
      end
      StChk1: begin
        state_d = StChk2;
        ext_d   = ext_x;
        room_d  = room_x;
        rem_d   = rem_c1;
      end
      StChk2: begin
        state_d      = check_ok ? StRun : StIdle;
        addr_d       = {row_addr_q[AddrW-1:OffW], OFF_ZERO};
        beats_left_d = row_beats;
        first_d      = 1'b1;
      end
      StRun: if (burst_fire) begin
        if (row_done) begin
          rows_d       = rows_q - 16'd1;
          row_addr_d   = row_next;
          addr_d       = {row_next[AddrW-1:OffW], OFF_ZERO};
          beats_left_d = row_beats;
          first_d      = 1'b1;
          if (last_row || abort_i) state_d = StIdle;
        end else begin
          addr_d       = addr_step;
          beats_left_d = beats_left_q - {{(BW-LenW){1'b0}}, to_page};
          first_d      = 1'b0;
          if (abort_i) state_d = StIdle;
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
    end else begin
      state_q <= state_d;
    end
  end

  // Descriptor and address registers: no reset, qualified by state_q.
  always @(posedge clk_i) begin
    addr_q       <= addr_d;
    row_addr_q   <= row_addr_d;
    stride_q     <= stride_d;
    rows_q       <= rows_d;
    row_bytes_q  <= row_bytes_d;
    elem_q       <= elem_d;
    beats_left_q <= beats_left_d;
    first_q      <= first_d;
    pp0_q        <= pp0_d;
    pp1_q        <= pp1_d;
    ab_q         <= ab_d;
    ext_q        <= ext_d;
    room_q       <= room_d;
    lo_ok_q      <= lo_ok_d;
    rem_q        <= rem_d;
    d3_q         <= d3_d;
  end

endmodule
