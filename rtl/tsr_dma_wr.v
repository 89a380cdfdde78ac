// tessera: DMA write engine (AXI4 master, write channels only), element-granular.
//
// Takes a 2-D descriptor (see tsr_dma_agen: rows of row_bytes bytes at any byte alignment, row i
// at addr + i * stride, cut into elements of elem_bytes bytes) and consumes exactly
// rows * row_bytes / elem_bytes elements from in_data_i (element bytes in lanes
// 0 .. elem_bytes-1; the lanes above are ignored). It issues INCR bursts on AW over the bus beats
// that cover each row, sends each burst's beats on W only after its AW (WLAST on the burst's final
// beat) and counts the B responses. WSTRB enables exactly the row's bytes of each beat: partial
// beats at a row's start and end carry only the row's bytes, so no byte outside a row (and hence
// outside the window) is ever written.
//
// Data path: accepted elements are appended to a byte buffer of ElemBytes + 2 * DataBytes - 1
// bytes, and each W beat takes its row bytes from the bottom. An element is accepted whenever it
// fits, without looking at m_wready_i (no combinational path from m_wready_i to in_ready_o); the
// input then moves one element per cycle for elem_bytes <= DataBytes and DataBytes bytes per
// cycle for larger elements, as long as the memory keeps up. Elements are accepted from the cycle
// after the descriptor check passes, before the first AW.
//
// Who stalls whom: m_wready_i low stalls W, which fills the buffer and then stalls the input
// (in_ready_o low). m_wvalid_o, once high, holds with stable WDATA/WSTRB/WLAST until m_wready_i.
//
// Errors:
//   * code 2 (bad descriptor): no AW, and no element is consumed (their number is undefined).
//   * code 1 (window): no AW; the descriptor's elements are still consumed and dropped.
//   * a write response other than OKAY sets code 4 + BRESP and stops address generation at the
//     next AW handshake (an AW already presented is never withdrawn). The bursts already issued
//     are completed with their data (owed to the interconnect) and their responses collected;
//     the rest of the descriptor's elements are then consumed and dropped.
// So the producer never hangs on a well-formed descriptor: it can always deliver all of its
// elements. err_o stays set until the next descriptor is accepted; done_o pulses the cycle after
// the engine falls idle (all elements consumed, all responses back), success or not.
//
// EarlyDone = 1 (the accelerator's store path): done_o pulses as soon as a descriptor's data has
// gone out on W (all elements consumed), and the next descriptor is taken while the write
// responses of up to two earlier ones are still outstanding; busy_o stays high until every
// response is back. Write-response errors are then reported separately: berr_o pulses once, with
// the code and the tag (desc_tag_i) of the descriptor whose burst failed; err_o / done_o carry
// only the descriptor checks (window, bad descriptor) and the abort a response error causes.
module tsr_dma_wr #(
  parameter AddrW          = 32,
  parameter DataBytes      = 16,  // bus width in bytes (power of two, >= 2)
  parameter MaxBurst       = 16,  // beats per burst, power of two, <= 256
  parameter ElemBytes      = 16,  // largest element in bytes (any value >= 1)
  parameter MaxOutstanding = 8,   // bursts whose AW went out before their W data, power of two >= 2
  parameter EarlyDone      = 0,
  parameter TagW           = 16
) (
  input  wire                   clk_i,
  input  wire                   rst_ni,
  input  wire [AddrW-1:0]       win_base_i,
  input  wire [AddrW-1:0]       win_limit_i,
  // descriptor
  input  wire                   desc_valid_i,
  output wire                   desc_ready_o,
  input  wire [AddrW-1:0]       desc_addr_i,
  input  wire [31:0]            desc_stride_i,
  input  wire [15:0]            desc_rows_i,
  input  wire [15:0]            desc_row_bytes_i,
  input  wire [15:0]            desc_elem_bytes_i,
  // elements in
  input  wire                   in_valid_i,
  output wire                   in_ready_o,
  input  wire [8*ElemBytes-1:0] in_data_i,
  // AXI4 write address / data / response
  output wire                   m_awvalid_o,
  input  wire                   m_awready_i,
  output wire [AddrW-1:0]       m_awaddr_o,
  output wire [7:0]             m_awlen_o,
  output wire [2:0]             m_awsize_o,
  output wire [1:0]             m_awburst_o,
  output wire                   m_wvalid_o,
  input  wire                   m_wready_i,
  output wire [8*DataBytes-1:0] m_wdata_o,
  output wire [DataBytes-1:0]   m_wstrb_o,
  output wire                   m_wlast_o,
  input  wire                   m_bvalid_i,
  output wire                   m_bready_o,
  input  wire [1:0]             m_bresp_i,
  // status
  output wire                   busy_o,
  output wire                   done_o,
  output wire                   err_o,      // sticky until the next descriptor is accepted
  output wire [2:0]             err_code_o, // 1 window, 2 bad descriptor, 4+resp: SLVERR/DECERR
  // EarlyDone: the descriptor's tag, and write-response errors with the tag they belong to
  input  wire [TagW-1:0]        desc_tag_i,
  output wire                   berr_o,
  output wire [2:0]             berr_code_o,
  output wire [TagW-1:0]        berr_tag_o
);

  localparam integer SizeI = $clog2(DataBytes);
  localparam [2:0]   SizeC = SizeI[2:0];
  localparam OffW = $clog2(DataBytes);
  localparam EW   = $clog2(ElemBytes + 1);
  localparam NW   = OffW + 1;                       // bytes of one beat's segment, 1..DataBytes
  localparam CapB = ElemBytes + 2 * DataBytes - 1;  // buffer bytes
  localparam CW   = $clog2(CapB + 1);
  localparam MW   = 11 + 2 * OffW;                  // burst record
  localparam integer  CapBI  = CapB;
  localparam [CW:0]   CAP    = CapBI[CW:0];
  localparam [NW-1:0] FULL_N = {1'b1, {OffW{1'b0}}};  // DataBytes
  localparam [1:0]    ErrWindow = 2'd1;

  // ---- address generator --------------------------------------------------------------------
  wire            burst_valid, burst_ready, burst_last, burst_first, burst_row_end;
  wire [OffW-1:0] burst_lo, burst_hi;
  wire            agen_ok, agen_err, agen_idle, desc_ready_agen;
  wire [1:0]      agen_code;
  wire [EW-1:0]   elem;
  wire            desc_fire;
  reg             err_q, busy_q, dbusy_q, in_en_q;
  wire            err_d, in_en_d;
  reg  [2:0]      err_code_q;
  wire [2:0]      err_code_d;

  tsr_dma_agen #(
    .AddrW     (AddrW),
    .DataBytes (DataBytes),
    .MaxBurst  (MaxBurst),
    .ElemBytes (ElemBytes)
  ) u_agen (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .win_base_i        (win_base_i),
    .win_limit_i       (win_limit_i),
    .desc_valid_i      (desc_valid_i && desc_ready_o),
    .desc_ready_o      (desc_ready_agen),
    .desc_addr_i       (desc_addr_i),
    .desc_stride_i     (desc_stride_i),
    .desc_rows_i       (desc_rows_i),
    .desc_row_bytes_i  (desc_row_bytes_i),
    .desc_elem_bytes_i (desc_elem_bytes_i),
    .elem_bytes_o      (elem),
    .burst_valid_o     (burst_valid),
    .burst_ready_i     (burst_ready),
    .burst_addr_o      (m_awaddr_o),
    .burst_len_o       (m_awlen_o),
    .burst_last_o      (burst_last),
    .burst_first_o     (burst_first),
    .burst_row_end_o   (burst_row_end),
    .burst_lo_o        (burst_lo),
    .burst_hi_o        (burst_hi),
    .abort_i           (err_q),
    .ok_o              (agen_ok),
    .err_o             (agen_err),
    .err_code_o        (agen_code),
    .idle_o            (agen_idle)
  );

  wire unused_agen = desc_ready_agen ^ burst_last;  // idle, hence ready, whenever !busy_o

  wire data_busy, pend_full;
  assign desc_ready_o = (EarlyDone != 0) ? (!data_busy && !pend_full && !err_q) : !busy_o;
  assign desc_fire    = desc_valid_i && desc_ready_o;

  // ---- AW, and the record of each burst whose W beats are still owed -------------------------
  wire            meta_push_ready, meta_valid, unused_meta_full, aw_fire, w_fire, b_fire;
  wire [MW-1:0]   meta_head;
  reg  [8:0]      outstanding_q;  // AWs issued whose B response has not arrived
  wire [8:0]      outstanding_d;

  // After an error the generator stops at the next handshake; a presented AW is not withdrawn
  // (meta_push_ready cannot fall while AW waits: only an AW handshake fills the FIFO).
  assign m_awvalid_o = burst_valid && meta_push_ready;
  assign burst_ready = m_awready_i && meta_push_ready;
  assign m_awsize_o  = SizeC;
  assign m_awburst_o = 2'b01;  // INCR
  assign aw_fire     = m_awvalid_o && m_awready_i;

  tsr_fifo #(
    .Width   (MW),
    .Depth   (MaxOutstanding),
    .HeadReg (1)
  ) u_meta (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_valid_i (aw_fire),
    .push_ready_o (meta_push_ready),
    .push_data_i  ({burst_last, burst_first, burst_row_end, burst_lo, burst_hi, m_awlen_o}),
    .pop_valid_o  (meta_valid),
    .pop_ready_i  (w_fire && m_wlast_o),
    .pop_data_o   (meta_head),
    .full_o       (unused_meta_full)
  );

  // ---- the row's bytes in the current W beat: lanes [seg_lo, seg_hi) ---------------------------
  reg  [7:0]      beat_q;
  wire [7:0]      beat_d;
  wire [7:0]      h_len   = meta_head[7:0];
  wire [OffW-1:0] h_hi    = meta_head[8 +: OffW];
  wire [OffW-1:0] h_lo    = meta_head[8+OffW +: OffW];
  wire            h_rend  = meta_head[8+2*OffW];
  wire            h_first = meta_head[9+2*OffW];
  wire            unused_h_dlast = meta_head[10+2*OffW];
  wire            b_last  = (beat_q == h_len);
  wire [OffW-1:0] seg_lo  = (beat_q == 8'd0 && h_first) ? h_lo : {OffW{1'b0}};
  wire [NW-1:0]   seg_hi  = (b_last && h_rend) ? ({1'b0, h_hi} + {{OffW{1'b0}}, 1'b1}) : FULL_N;
  wire [NW-1:0]   seg_n   = seg_hi - {1'b0, seg_lo};
  wire [CW:0]     seg_c   = {{(CW+1-NW){1'b0}}, seg_n};

  // ---- byte buffer ------------------------------------------------------------------------------
  reg  [8*CapB-1:0] buf_q;
  wire [8*CapB-1:0] buf_d, merged, ins;
  reg  [CW-1:0]     cnt_q;
  wire [CW-1:0]     cnt_d;
  wire [CW:0]       fill, cnt_sum;
  wire              in_fire, push, drop;
  wire [CapB-1:0]   lane_in;
  wire [CW:0]       elem_c = {{(CW+1-EW){1'b0}}, elem};

  // Row bookkeeping of the input stream: exactly rows * row_bytes bytes of elements.
  reg  [15:0] rows_left_q, row_bytes_q, row_pos_q;
  wire [15:0] rows_left_d, row_bytes_d, row_pos_d;
  wire [16:0] pos_sum  = {1'b0, row_pos_q} + {{(17-EW){1'b0}}, elem};
  wire        row_full = (pos_sum == {1'b0, row_bytes_q});
  wire        want_in  = in_en_q && (rows_left_q != 16'd0);

  // Nothing more will be written: drop the rest of the descriptor's elements.
  assign drop       = err_q && agen_idle && !meta_valid;
  assign fill       = {1'b0, cnt_q} + elem_c;
  assign in_ready_o = want_in && (drop || (fill <= CAP));
  assign in_fire    = in_valid_i && in_ready_o;
  assign push       = in_fire && !drop;
  assign ins        = {{(8*CapB-8*ElemBytes){1'b0}}, in_data_i} << {cnt_q, 3'b000};

  genvar j;
  for (j = 0; j < CapB; j = j + 1) begin : g_lane
    localparam integer JI = j;
    localparam [CW:0]  J  = JI[CW:0];
    assign lane_in[j] = push && (J >= {1'b0, cnt_q}) && (J < fill);
    assign merged[8*j +: 8] = lane_in[j] ? ins[8*j +: 8] : buf_q[8*j +: 8];
  end

  // W: valid once the buffer holds the beat's row bytes; they sit at its bottom and cannot change
  // until the beat is taken (new bytes only go above cnt_q).
  wire [8*DataBytes-1:0] wd_al = buf_q[8*DataBytes-1:0] << {seg_lo, 3'b000};
  assign m_wstrb_o = ({DataBytes{1'b1}} << seg_lo) & ~({DataBytes{1'b1}} << seg_hi);
  genvar b;
  for (b = 0; b < DataBytes; b = b + 1) begin : g_wdata
    assign m_wdata_o[8*b +: 8] = m_wstrb_o[b] ? wd_al[8*b +: 8] : 8'd0;
  end
  assign m_wvalid_o = meta_valid && ({1'b0, cnt_q} >= seg_c);
  assign m_wlast_o  = b_last;
  assign w_fire     = m_wvalid_o && m_wready_i;
  assign beat_d     = !w_fire ? beat_q : (b_last ? 8'd0 : beat_q + 8'd1);

  assign buf_d   = w_fire ? (merged >> {seg_n, 3'b000}) : merged;
  assign cnt_sum = (push ? fill : {1'b0, cnt_q}) - (w_fire ? seg_c : {(CW+1){1'b0}});
  assign cnt_d   = (desc_fire || drop) ? {CW{1'b0}} : cnt_sum[CW-1:0];
  wire unused_bits = cnt_sum[CW] ^ pos_sum[16];

  assign rows_left_d = desc_fire ? desc_rows_i :
                       (in_fire && row_full) ? rows_left_q - 16'd1 : rows_left_q;
  assign row_pos_d   = desc_fire ? 16'd0 :
                       !in_fire ? row_pos_q : (row_full ? 16'd0 : pos_sum[15:0]);
  assign row_bytes_d = desc_fire ? desc_row_bytes_i : row_bytes_q;
  // Input opens once the check has passed, or failed on the window only (elements then dropped).
  assign in_en_d     = desc_fire ? 1'b0 :
                       (agen_ok || (agen_err && agen_code == ErrWindow)) ? 1'b1 : in_en_q;

  // ---- B ----------------------------------------------------------------------------------------
  wire resp_err;
  assign m_bready_o    = 1'b1;
  assign b_fire        = m_bvalid_i;
  assign resp_err      = b_fire && (m_bresp_i != 2'b00) && !err_q;
  assign outstanding_d = outstanding_q + {8'd0, aw_fire} - {8'd0, b_fire};

  // ---- EarlyDone: which descriptor a write response belongs to ----------------------------------
  // AW and B are counted; a descriptor whose data has gone out waits in pend0 (oldest) / pend1
  // with the AW count at its end until that many responses have arrived.
  reg  [15:0]     aw_tot_q, b_tot_q, end0_q, end1_q;
  reg  [TagW-1:0] tag0_q, tag1_q, cur_tag_q;
  reg             pv0_q, pv1_q, berr_seen_q;
  wire            pend_push, pop0;
  wire [TagW-1:0] b_owner;
  // room for the descriptor that would be accepted: the one ending now (pend_push) takes a place
  assign pend_full = pv0_q && (pv1_q || pend_push);
  assign pend_push = (EarlyDone != 0) && dbusy_q && !data_busy;
  assign pop0      = pv0_q && (end0_q == b_tot_q);
  assign b_owner   = (pv0_q && !pop0) ? tag0_q : (pv1_q && (end1_q != b_tot_q)) ? tag1_q : cur_tag_q;
  assign berr_o      = (EarlyDone != 0) && b_fire && (m_bresp_i != 2'b00) && !berr_seen_q;
  assign berr_code_o = {1'b1, m_bresp_i};
  assign berr_tag_o  = b_owner;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_tot_q    <= 16'd0;
      b_tot_q     <= 16'd0;
      pv0_q       <= 1'b0;
      pv1_q       <= 1'b0;
      berr_seen_q <= 1'b0;
    end else begin
      aw_tot_q <= aw_tot_q + {15'd0, aw_fire};
      b_tot_q  <= b_tot_q + {15'd0, b_fire};
      if (berr_o) berr_seen_q <= 1'b1;
      // pop the oldest, then append (pend1 moves down)
      if (pop0) begin
        pv0_q <= pv1_q || (pend_push && 1'b1);
        pv1_q <= pv1_q && pend_push;
      end else if (pend_push) begin
        if (!pv0_q) pv0_q <= 1'b1;
        else        pv1_q <= 1'b1;
      end
    end
  end
  always @(posedge clk_i) begin
    if (desc_fire) cur_tag_q <= desc_tag_i;
    if (pop0) begin
      end0_q <= pv1_q ? end1_q : aw_tot_q;
      tag0_q <= pv1_q ? tag1_q : cur_tag_q;
      if (pv1_q && pend_push) begin
        end1_q <= aw_tot_q;
        tag1_q <= cur_tag_q;
      end
    end else if (pend_push) begin
      if (!pv0_q) begin
        end0_q <= aw_tot_q;
        tag0_q <= cur_tag_q;
      end else begin
        end1_q <= aw_tot_q;
        tag1_q <= cur_tag_q;
      end
    end
  end

  // ---- status -----------------------------------------------------------------------------------
  assign err_d      = desc_fire ? 1'b0 : (err_q || agen_err || resp_err);
  assign err_code_d = desc_fire ? 3'd0 :
                      (agen_err && !err_q) ? {1'b0, agen_code} :
                      resp_err ? {1'b1, m_bresp_i} : err_code_q;

  assign data_busy  = !agen_idle || meta_valid || want_in;
  assign busy_o     = data_busy || (outstanding_q != 9'd0);
  assign done_o     = (EarlyDone != 0) ? (dbusy_q && !data_busy) : (busy_q && !busy_o);
  assign err_o      = err_q;
  assign err_code_o = err_code_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      err_q         <= 1'b0;
      err_code_q    <= 3'd0;
      busy_q        <= 1'b0;
      dbusy_q       <= 1'b0;
      in_en_q       <= 1'b0;
      outstanding_q <= 9'd0;
      beat_q        <= 8'd0;
      cnt_q         <= {CW{1'b0}};
      rows_left_q   <= 16'd0;
      row_pos_q     <= 16'd0;
    end else begin
      err_q         <= err_d;
      err_code_q    <= err_code_d;
      busy_q        <= busy_o;
      dbusy_q       <= data_busy;
      in_en_q       <= in_en_d;
      outstanding_q <= outstanding_d;
      beat_q        <= beat_d;
      cnt_q         <= cnt_d;
      rows_left_q   <= rows_left_d;
      row_pos_q     <= row_pos_d;
    end
  end

  // Buffer storage and the descriptor's row size: no reset, written before use.
  always @(posedge clk_i) begin
    buf_q       <= buf_d;
    row_bytes_q <= row_bytes_d;
  end

endmodule
