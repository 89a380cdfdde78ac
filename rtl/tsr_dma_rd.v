// tessera: DMA read engine (AXI4 master, read channels only), element-granular.
//
// Takes a 2-D descriptor (see tsr_dma_agen: rows of row_bytes bytes at any byte alignment, row i
// at addr + i * stride, cut into elements of elem_bytes bytes), reads for each row the bus beats
// that cover it (INCR bursts, up to MaxOutstanding in flight; a beat shared by two rows is read
// once per row), drops the bytes of each beat that lie outside the row, and emits the row bytes,
// rows in order, as a stream of elements: element bytes in lanes 0 .. elem_bytes-1 of out_data_o,
// the lanes above zero; out_last_o marks the descriptor's final element.
//
// Data path: the kept bytes of each R beat are appended to a byte buffer of
// ElemBytes + 2 * DataBytes - 1 bytes, and an element leaves from its bottom whenever it holds at
// least elem_bytes bytes. The buffer is large enough that an R beat is accepted whenever there is
// room without looking at out_ready_i (no combinational path from out_ready_i to m_rready_o), and
// the stream still moves one element per cycle for elem_bytes <= DataBytes and DataBytes bytes per
// cycle for larger elements, as long as the memory keeps up.
//
// Who stalls whom: out_ready_i low stalls the buffer, which then stalls R (m_rready_o low);
// out_valid_o, once high, holds with stable data until out_ready_i.
//
// Overlapping rows (coalesced): a descriptor whose rows are single elements (elem_bytes =
// row_bytes) that overlap (0 < stride < row_bytes) and whose span (rows-1)*stride + row_bytes
// fits 16 bits is read as that one contiguous span, one burst per MaxBurst beats instead of one
// burst per row. After each element the buffer drops `stride` bytes instead of the element's,
// so the next element starts `stride` bytes further (the last one drops all of it). The element
// stream and every check are those of the row-by-row reading (the span's bus-aligned extent is
// the descriptor's); only the number of AR bursts differs. The lowering loads window-start rows
// this way (narrow-input convolutions, and pixels of cin % R != 0 channels).
//
// Overlapped descriptors (Overlap = N > 0, the load unit's engine): up to N + 1 descriptors are in
// the engine. The next one is accepted as soon as the address generator has issued every burst of
// the previous one (their data may still be on its way), so its check and its first ARs hide under
// the memory latency of those before it. Each burst record carries its descriptor's tag (counting
// modulo a power of two >= N + 1). The R beats of a descriptor wait (RREADY low) until the one
// before it has had its final element leave the buffer, so the buffer only ever holds one
// descriptor's bytes and each descriptor keeps its own element size and coalescing. A check error
// of a descriptor is held until every older one has completed (no descriptor is accepted after
// it), then reported as usual; a response error stops all of them (the engine drains and falls
// idle, as below).
//
// Errors: a rejected descriptor (code 1 window, 2 bad descriptor; see tsr_dma_agen) issues no AR
// at all. An R beat with a response other than OKAY sets err_o with code 4 + RRESP and stops
// address generation at the next AR handshake (an AR already presented is never withdrawn); the
// bursts in flight are drained without forwarding. After an error the element stream stops (an
// element already on offer is still delivered, then the buffer is discarded) and out_last_o is not
// raised. err_o stays set until the next descriptor is accepted; done_o pulses the cycle after the
// engine falls idle (final element taken, or error fully drained), success or not.
module tsr_dma_rd #(
  parameter AddrW          = 32,
  parameter DataBytes      = 16,  // bus width in bytes (power of two, >= 2)
  parameter MaxBurst       = 16,  // beats per burst, power of two, <= 256
  parameter ElemBytes      = 16,  // largest element in bytes (any value >= 1)
  parameter MaxOutstanding = 8,   // read bursts in flight, power of two >= 2
  parameter Overlap        = 0    // descriptors accepted beyond the oldest (0 or 2^k - 1)
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
  // elements out
  output wire                   out_valid_o,
  input  wire                   out_ready_i,
  output wire [8*ElemBytes-1:0] out_data_o,
  output wire                   out_last_o,
  // AXI4 read address / data
  output wire                   m_arvalid_o,
  input  wire                   m_arready_i,
  output wire [AddrW-1:0]       m_araddr_o,
  output wire [7:0]             m_arlen_o,
  output wire [2:0]             m_arsize_o,
  output wire [1:0]             m_arburst_o,
  input  wire                   m_rvalid_i,
  output wire                   m_rready_o,
  input  wire [8*DataBytes-1:0] m_rdata_i,
  input  wire [1:0]             m_rresp_i,
  input  wire                   m_rlast_i,
  // status
  output wire                   busy_o,
  output wire                   done_o,
  output wire                   err_o,      // sticky until the next descriptor is accepted
  output wire [2:0]             err_code_o  // 1 window, 2 bad descriptor, 4+resp: SLVERR/DECERR
);

  localparam integer SizeI = $clog2(DataBytes);
  localparam [2:0]   SizeC = SizeI[2:0];
  localparam OffW = $clog2(DataBytes);
  localparam EW   = $clog2(ElemBytes + 1);
  localparam NW   = OffW + 1;                       // bytes of one beat's segment, 1..DataBytes
  localparam CapB = ElemBytes + 2 * DataBytes - 1;  // buffer bytes
  localparam CW   = $clog2(CapB + 1);
  localparam integer ND = Overlap + 1;              // descriptors in the engine, at most
  localparam integer TW = (ND > 2) ? $clog2(ND) : 1; // tag bits
  localparam integer NT = 1 << TW;                  // tags
  localparam integer AcW = $clog2(ND + 2);          // act_q bits
  localparam [AcW-1:0] NDA = ND[AcW-1:0];
  localparam MW   = 11 + TW + 2 * OffW;             // burst record
  localparam integer    CapBI   = CapB;
  localparam [CW:0]     CAP     = CapBI[CW:0];
  localparam [NW-1:0]   FULL_N  = {1'b1, {OffW{1'b0}}};  // DataBytes

  // ---- address generator --------------------------------------------------------------------
  wire            burst_valid, burst_ready, burst_last, burst_first, burst_row_end;
  wire [OffW-1:0] burst_lo, burst_hi;
  wire            agen_ok, agen_err, agen_idle, desc_ready_agen;
  wire [1:0]      agen_code;
  wire [EW-1:0]   elem, agen_elem;
  wire            desc_fire;
  reg             err_q, busy_q, all_in_q, pend_q;
  wire            err_d, all_in_d, pend_d;
  reg  [2:0]      err_code_q;
  wire [2:0]      err_code_d;

  // ---- coalesced overlapping rows -------------------------------------------------------------
  localparam integer SW = $clog2(ElemBytes + 1);    // stride bits when stride < row_bytes <= ElemBytes
  wire [31:0] co_span;
  wire        co_in;
  wire [SW-1:0] stride_in = desc_stride_i[SW-1:0];
  assign co_span = {16'd0, desc_rows_i - 16'd1} * {{(32-SW){1'b0}}, stride_in} +
                   {16'd0, desc_row_bytes_i};
  assign co_in   = (desc_rows_i > 16'd1) && (desc_elem_bytes_i == desc_row_bytes_i) &&
                   (desc_row_bytes_i <= ElemBytes[15:0]) && (desc_stride_i != 32'd0) &&
                   (desc_stride_i < {16'd0, desc_row_bytes_i}) && (co_span[31:16] == 16'd0);
  // element size, coalescing and stride of the descriptors in the engine, by tag
  reg  [NT-1:0] p_co_q;
  reg  [SW-1:0] p_stride_q [0:NT-1];
  reg  [EW-1:0] p_elem_q [0:NT-1];
  wire          co_cur;
  wire [SW-1:0] co_stride_cur;
  // tags: in_tag_q is the next accepted descriptor's, gen_tag_q the one the generator works on,
  // out_tag_q the one whose bytes the buffer takes; act_q counts descriptors not yet completed;
  // perr_q holds the newest descriptor's check error while older ones are unfinished
  reg  [TW-1:0] in_tag_q, gen_tag_q, out_tag_q;
  reg           perr_q;
  reg  [AcW-1:0] act_q;
  reg  [1:0]    perr_code_q;
  wire          complete, solo, err_now, perr_apply, drained;
  wire [TW-1:0] in_tag_d, gen_tag_d, out_tag_d;
  wire          perr_d;
  wire [AcW-1:0] act_d;
  wire [1:0]    perr_code_d;

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
    .desc_valid_i      (desc_fire),
    .desc_ready_o      (desc_ready_agen),
    .desc_addr_i       (desc_addr_i),
    .desc_stride_i     (desc_stride_i),
    .desc_rows_i       (co_in ? 16'd1 : desc_rows_i),
    .desc_row_bytes_i  (co_in ? co_span[15:0] : desc_row_bytes_i),
    .desc_elem_bytes_i (co_in ? 16'd1 : desc_elem_bytes_i),
    .elem_bytes_o      (agen_elem),
    .burst_valid_o     (burst_valid),
    .burst_ready_i     (burst_ready),
    .burst_addr_o      (m_araddr_o),
    .burst_len_o       (m_arlen_o),
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

  // the generator is idle, hence ready, whenever a descriptor is accepted
  wire [EW:0] unused_agen = {agen_ok ^ desc_ready_agen, agen_elem};

  // Another descriptor only while fewer than ND are in, the newest one's bursts are all issued
  // and nothing has failed.
  generate
    if (Overlap != 0) begin : g_ovl
      assign desc_ready_o = ((act_q == {AcW{1'b0}}) && !busy_o) ||
                            ((act_q != {AcW{1'b0}}) && (act_q < NDA) && agen_idle && !err_q &&
                             !perr_q);
    end else begin : g_single
      assign desc_ready_o = !busy_o;
    end
  endgenerate
  assign desc_fire    = desc_valid_i && desc_ready_o;
  assign elem         = p_elem_q[out_tag_q];
  assign co_cur         = p_co_q[out_tag_q];
  assign co_stride_cur  = p_stride_q[out_tag_q];

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      p_co_q <= {NT{1'b0}};
    end else if (desc_fire) begin
      p_co_q[in_tag_q] <= co_in;
    end
  end
  always @(posedge clk_i) begin
    if (desc_fire) begin
      p_stride_q[in_tag_q] <= stride_in;
      p_elem_q[in_tag_q]   <= desc_elem_bytes_i[EW-1:0];
    end
  end

  // ---- AR, and the record of each burst in flight (popped with its last R beat) --------------
  wire            meta_push_ready, meta_valid, unused_meta_full, ar_fire, r_fire;
  wire [MW-1:0]   meta_head;

  // After an error the generator stops at the next handshake; a presented AR is not withdrawn
  // (meta_push_ready cannot fall while AR waits: only an AR handshake fills the FIFO).
  assign m_arvalid_o = burst_valid && meta_push_ready;
  assign burst_ready = m_arready_i && meta_push_ready;
  assign m_arsize_o  = SizeC;
  assign m_arburst_o = 2'b01;  // INCR
  assign ar_fire     = m_arvalid_o && m_arready_i;

  tsr_fifo #(
    .Width   (MW),
    .Depth   (MaxOutstanding),
    .HeadReg (1)
  ) u_meta (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_valid_i (ar_fire),
    .push_ready_o (meta_push_ready),
    .push_data_i  ({gen_tag_q, burst_last, burst_first, burst_row_end, burst_lo, burst_hi,
                    m_arlen_o}),
    .pop_valid_o  (meta_valid),
    .pop_ready_i  (r_fire && m_rlast_i),
    .pop_data_o   (meta_head),
    .full_o       (unused_meta_full)
  );

  // ---- the row's bytes in the current R beat: lanes [seg_lo, seg_hi) ---------------------------
  reg  [7:0]      beat_q;
  wire [7:0]      beat_d;
  wire [7:0]      h_len   = meta_head[7:0];
  wire [OffW-1:0] h_hi    = meta_head[8 +: OffW];
  wire [OffW-1:0] h_lo    = meta_head[8+OffW +: OffW];
  wire            h_rend  = meta_head[8+2*OffW];
  wire            h_first = meta_head[9+2*OffW];
  wire            h_dlast = meta_head[10+2*OffW];
  wire [TW-1:0]   h_tag   = meta_head[11+2*OffW +: TW];
  wire            b_last  = (beat_q == h_len);
  wire [OffW-1:0] seg_lo  = (beat_q == 8'd0 && h_first) ? h_lo : {OffW{1'b0}};
  wire [NW-1:0]   seg_hi  = (b_last && h_rend) ? ({1'b0, h_hi} + {{OffW{1'b0}}, 1'b1}) : FULL_N;
  wire [NW-1:0]   seg_n   = seg_hi - {1'b0, seg_lo};

  // ---- byte buffer ------------------------------------------------------------------------------
  reg  [8*CapB-1:0] buf_q;
  wire [8*CapB-1:0] buf_d, ins, kept;
  reg  [CW-1:0]     cnt_q;
  wire [CW-1:0]     cnt_d;
  wire [CW:0]       fill, cnt_sum;
  wire              push, out_fire, resp_err, hold, flush;
  wire [CapB-1:0]   lane_in;

  assign fill       = {1'b0, cnt_q} + {{(CW+1-NW){1'b0}}, seg_n};
  // (a burst of the next descriptor waits until the current one has left the buffer)
  assign m_rready_o = err_q || (meta_valid && (fill <= CAP) && (h_tag == out_tag_q));
  assign r_fire     = m_rvalid_i && m_rready_o;
  assign push       = r_fire && !err_q && (m_rresp_i == 2'b00);
  assign resp_err   = r_fire && !err_q && (m_rresp_i != 2'b00);

  // bytes an element leaves behind: its own, or (coalesced, not the last) the stride
  wire [EW-1:0] drop   = (co_cur && !out_last_o) ? co_stride_cur[EW-1:0] : elem;
  wire [CW:0]   drop_c = {{(CW+1-EW){1'b0}}, drop};

  // The buffer's next state is (buffer with the beat's bytes at cnt_q) >> drop when an element
  // leaves (out_fire), else the merge alone. The drop is applied to each input of the merge, not
  // after it: the kept bytes are buf_q >> drop (registers only), the beat's bytes go to
  // base = cnt_q - drop (an element only leaves when cnt_q >= its bytes >= drop) and the lanes
  // [base, fill - drop) take them. Same bytes; the beat meets one merge behind its two shifts.
  wire [CW-1:0] base;
  wire [CW:0]   lim;
  wire [8*DataBytes-1:0] beat_al = m_rdata_i >> {seg_lo, 3'b000};
  assign ins  = {{(8*CapB-8*DataBytes){1'b0}}, beat_al} << {base, 3'b000};
  assign kept = out_fire ? (buf_q >> {drop, 3'b000}) : buf_q;

  genvar j;
  for (j = 0; j < CapB; j = j + 1) begin : g_lane
    localparam integer JI = j;
    localparam [CW:0]  J  = JI[CW:0];
    assign lane_in[j] = push && (J >= {1'b0, base}) && (J < lim);
    assign buf_d[8*j +: 8] = lane_in[j] ? ins[8*j +: 8] : kept[8*j +: 8];
  end

  wire [CW:0] elem_c = {{(CW+1-EW){1'b0}}, elem};
  assign out_valid_o = (cnt_q != {CW{1'b0}}) && ({1'b0, cnt_q} >= elem_c) && (!err_q || pend_q);
  assign out_fire    = out_valid_o && out_ready_i;
  assign out_last_o  = out_valid_o && all_in_q && ({1'b0, cnt_q} == elem_c);
  assign hold        = out_valid_o && !out_ready_i;
  // After an error, keep only an element on offer (never withdraw out_valid_o), then discard.
  assign flush       = (desc_fire && (act_q == {AcW{1'b0}})) || (err_q && !hold);

  assign base    = cnt_q - (out_fire ? drop_c[CW-1:0] : {CW{1'b0}});
  assign lim     = {1'b0, base} + {{(CW+1-NW){1'b0}}, seg_n};
  assign cnt_sum = (push ? fill : {1'b0, cnt_q}) - (out_fire ? drop_c : {(CW+1){1'b0}});
  assign cnt_d   = flush ? {CW{1'b0}} : cnt_sum[CW-1:0];
  wire unused_cnt_sum = cnt_sum[CW];

  genvar m;
  for (m = 0; m < ElemBytes; m = m + 1) begin : g_out
    localparam integer MI = m;
    localparam [EW:0]  M  = MI[EW:0];
    assign out_data_o[8*m +: 8] = (M < {1'b0, elem}) ? buf_q[8*m +: 8] : 8'd0;
  end

  assign beat_d   = !r_fire ? beat_q : (m_rlast_i ? 8'd0 : beat_q + 8'd1);
  assign all_in_d = flush ? 1'b0 : (push && m_rlast_i && h_dlast) ? 1'b1 :
                    (out_fire && out_last_o) ? 1'b0 : all_in_q;
  assign pend_d   = hold;

  // ---- status -----------------------------------------------------------------------------------
  // A descriptor completes when its final element leaves. A check error belongs to the newest
  // descriptor (the one checked); it is reported at once when that is the only one left (solo),
  // else when the one before it completes.
  localparam [AcW-1:0] Act1 = 1, Act2 = 2;
  assign complete   = out_fire && out_last_o;
  assign solo       = (act_q == Act1) || ((act_q == Act2) && complete);
  assign err_now    = agen_err && solo;
  assign perr_apply = perr_q && complete && (act_q == Act2);
  assign drained    = err_q && !busy_o;
  assign err_d      = (desc_fire && (act_q == {AcW{1'b0}})) ? 1'b0 :
                      (err_q || err_now || resp_err || perr_apply);
  assign err_code_d = (desc_fire && (act_q == {AcW{1'b0}})) ? 3'd0 :
                      err_q ? err_code_q :
                      err_now ? {1'b0, agen_code} :
                      resp_err ? {1'b1, m_rresp_i} :
                      perr_apply ? {1'b0, perr_code_q} : err_code_q;

  // After an error has drained, no descriptor is left but one accepted in that cycle.
  assign in_tag_d    = desc_fire ? in_tag_q + 1'b1 : in_tag_q;
  assign gen_tag_d   = desc_fire ? in_tag_q : gen_tag_q;
  assign act_d       = drained ? {{(AcW-1){1'b0}}, desc_fire} :
                       act_q + {{(AcW-1){1'b0}}, desc_fire} - {{(AcW-1){1'b0}}, complete};
  assign out_tag_d   = drained ? in_tag_q : (complete ? out_tag_q + 1'b1 : out_tag_q);
  assign perr_d      = !drained && ((agen_err && !solo) || (perr_q && !perr_apply));
  assign perr_code_d = (agen_err && !solo) ? agen_code : perr_code_q;

  assign busy_o     = !agen_idle || meta_valid || (cnt_q != {CW{1'b0}}) || all_in_q || perr_q;
  assign done_o     = busy_q && !busy_o;
  assign err_o      = err_q;
  assign err_code_o = err_code_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      err_q      <= 1'b0;
      err_code_q <= 3'd0;
      busy_q     <= 1'b0;
      all_in_q   <= 1'b0;
      pend_q     <= 1'b0;
      cnt_q      <= {CW{1'b0}};
      beat_q     <= 8'd0;
      in_tag_q   <= {TW{1'b0}};
      gen_tag_q  <= {TW{1'b0}};
      out_tag_q  <= {TW{1'b0}};
      act_q      <= {AcW{1'b0}};
      perr_q     <= 1'b0;
      perr_code_q <= 2'd0;
    end else begin
      err_q      <= err_d;
      err_code_q <= err_code_d;
      busy_q     <= busy_o;
      all_in_q   <= all_in_d;
      pend_q     <= pend_d;
      cnt_q      <= cnt_d;
      beat_q     <= beat_d;
      in_tag_q   <= in_tag_d;
      gen_tag_q  <= gen_tag_d;
      out_tag_q  <= out_tag_d;
      act_q      <= act_d;
      perr_q     <= perr_d;
      perr_code_q <= perr_code_d;
    end
  end

  // Buffer storage: no reset; only the bytes below cnt_q are meaningful.
  always @(posedge clk_i) begin
    buf_q <= buf_d;
  end

endmodule
