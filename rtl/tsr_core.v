// tessera: the escape core, a pipelined RV32I(M) core with tightly coupled memories.
//
// Pipeline (docs/core.md): F presents the fetch address to the IMEM (synchronous read); X decodes
// the IMEM output, reads the register file (forwarded from W), executes, resolves branches and
// jumps (the redirect goes straight to the IMEM address, so a taken branch costs no cycle),
// issues loads / stores and starts the M unit; W writes the register file (load data is aligned
// there, straight from the DMEM output). CPI is 1 except: mul 6, div/rem 34 cycles; bus (scratchpad
// / CSR window) accesses wait for their response; an ecall write waits for the environment.
//
// Memory map, MMIO offsets and halt causes come from the generated rtl/tsr_memmap.vh. The core
// halts at the first exception (cause + pc on halt_*_o) instead of trapping; see
// docs/memory-map.md for the list.
//
// Ports for the environment:
//   lm_*      loader / debug port: writes IMEM (whole words) and DMEM (byte lanes), reads DMEM
//             (data one cycle later) and, with lm_reg_i, register lm_addr_i[6:2] (combinational).
//             Use it only while run_i is low, the core is halted or an ecall waits.
//   ecall_*   an ecall with a7 != 93 stalls in X with ecall_req_o (a7, a0 on the outputs; read
//             a1, a2 through lm_reg_i); ecall_ack_i writes ecall_ret_i to a0 and continues, or with
//             ecall_err_i halts with bad_ecall. a7 = 93 halts with cause exit, code a0.
//   bus_*     master port onto the scratchpad and accelerator-CSR windows: request held until
//             bus_gnt_i, then exactly one response (bus_rvalid_i, data, error) for reads and
//             writes. One access outstanding.
//   esc_*     the current ESCAPE (function id, arguments) as MMIO ESC_*; esc_done_o pulses on a
//             write to ESC_DONE or EXIT with the status.
//   tr_*      retire trace (Trace = 1): one record per retired instruction, for lockstep tests.
//
// Core clock (ClkDiv > 1, docs/core.md "Core clock"): the core advances only at the rising edges
// of clk_i where cen_i is high (every ClkDiv-th edge; one clock gate for all core flops, the
// register file's gates and the memories' core-side enables take cen_i), so one core cycle is
// ClkDiv cycles of clk_i and the constraints declare every path inside the core multicycle
// ClkDiv. Every path between the core and its environment starts or ends at a register next to
// the port: run_i is sampled into the core; the bus request, ESC_DONE, the retire pulse and the
// console are core registers (the pulses last one clk_i cycle: cstb_i marks the first clk_i cycle
// of each core cycle); the bus port takes a request when X issues it (bus_gnt_i is not used) and
// expects the response (bus_rvalid_i, bus_rdata_i, bus_err_i) from registers held until the next
// core edge. With ClkDiv = 1 the core runs on clk_i and cen_i / cstb_i are ignored.
module tsr_core #(
  parameter MExt      = 1,
  parameter ImemKib   = 16,
  parameter DmemKib   = 16,
  parameter SpadBytes = 8192,
  parameter Trace     = 1,
  parameter ClkDiv    = 1
) (
  input  wire         clk_i,
  input  wire         rst_ni,
  input  wire         run_i,
  input  wire         cen_i,           // ClkDiv > 1: the core advances at this edge
  input  wire         cstb_i,          // ClkDiv > 1: first clk_i cycle of a core cycle
  output wire         run_o,           // run_i as the core sees it (ClkDiv > 1: sampled)

  input  wire         lm_req_i,
  input  wire         lm_we_i,
  input  wire         lm_reg_i,
  input  wire [31:0]  lm_addr_i,
  input  wire [31:0]  lm_wdata_i,
  input  wire [3:0]   lm_be_i,
  output wire [31:0]  lm_rdata_o,

  output wire         ecall_req_o,
  output wire [31:0]  ecall_a7_o,
  output wire [31:0]  ecall_a0_o,
  input  wire         ecall_ack_i,
  input  wire         ecall_err_i,
  input  wire [31:0]  ecall_ret_i,

  output wire         halted_o,
  output wire [3:0]   halt_cause_o,
  output wire [31:0]  halt_pc_o,
  output wire [31:0]  exit_code_o,
  output wire         retire_o,        // an instruction retires (X fires) this cycle

  output wire         console_valid_o,
  output wire [7:0]   console_data_o,

  input  wire         esc_pending_i,
  input  wire [31:0]  esc_func_i,
  input  wire [223:0] esc_args_i,
  output wire         esc_done_o,
  output wire [31:0]  esc_status_o,

  output wire         bus_req_o,
  input  wire         bus_gnt_i,
  output wire         bus_we_o,
  output wire [31:0]  bus_addr_o,
  output wire [31:0]  bus_wdata_o,
  output wire [3:0]   bus_be_o,
  input  wire         bus_rvalid_i,
  input  wire [31:0]  bus_rdata_i,
  input  wire         bus_err_i,

  output wire         tr_valid_o,
  output wire [31:0]  tr_pc_o,
  output wire [31:0]  tr_insn_o,
  output wire [4:0]   tr_rd_o,
  output wire [31:0]  tr_rd_wdata_o,
  output wire [3:0]   tr_mem_be_o,
  output wire [31:0]  tr_mem_addr_o,
  output wire [31:0]  tr_mem_wdata_o
);

  `include "tsr_memmap.vh"

  localparam integer ImemWords = ImemKib * 256;
  localparam integer DmemWords = DmemKib * 256;
  localparam integer IAw = (ImemWords <= 2) ? 1 : $clog2(ImemWords);
  localparam integer DAw = (DmemWords <= 2) ? 1 : $clog2(DmemWords);
  localparam [31:0] ImemBytes = ImemKib * 1024;
  localparam [31:0] DmemBytes = DmemKib * 1024;
  localparam [31:0] SpadSize  = SpadBytes;

  // ---------------------------------------------------------------- state
  reg         x_valid_q, x_ffault_q;
  wire        x_valid_d, x_ffault_d;
  reg  [31:0] x_pc_q;
  wire [31:0] x_pc_d;
  reg         w_valid_q, w_wait_q, w_dmem_q, w_ld_q, w_store_q;
  wire        w_valid_d, w_wait_d, w_dmem_d, w_ld_d, w_store_d;
  reg  [4:0]  w_rd_q;
  wire [4:0]  w_rd_d;
  reg  [31:0] w_res_q;
  wire [31:0] w_res_d;
  reg  [2:0]  w_f3_q;
  wire [2:0]  w_f3_d;
  reg  [1:0]  w_alo_q;
  wire [1:0]  w_alo_d;
  reg         halt_q;
  wire        halt_d;
  reg  [3:0]  cause_q;
  wire [3:0]  cause_d;
  reg  [1:0]  hoff_q;     // halt pc = x_pc_q (0), + 4 (1), - 4 (2): X is frozen once halted
  wire [1:0]  hoff_d;
  reg  [31:0] code_q;
  wire [31:0] code_d;
  reg  [63:0] cycle_q, instret_q;
  wire [63:0] cycle_d, instret_d;
  wire [32*32-1:0] rf_flat;   // x0..x31, 32 bits each (x0 reads 0)

  // ---------------------------------------------------------------- core clock
  wire        cclk;        // clock of every core flip-flop: clk_i, or gated to the cen_i edges
  wire        cen;         // the memories' and register file's core-side enables
  wire        run;         // run_i as sampled by the core
  generate
    if (ClkDiv > 1) begin : g_cclk
      reg run_q;
      // The clock also runs in reset, so that the asynchronously reset flip-flops see a clock
      // edge while rst_ni is low (simulators model the reset as an event).
      tsr_clk_gate u_cg (
        .clk_i(clk_i),
        .en_i (cen_i || !rst_ni),
        .clk_o(cclk)
      );
      assign cen = cen_i;
      always @(posedge cclk or negedge rst_ni) begin
        if (!rst_ni) run_q <= 1'b0;
        else         run_q <= run_i;
      end
      assign run = run_q;
    end else begin : g_no_cclk
      wire unused_cen;
      assign unused_cen = cen_i ^ cstb_i;
      assign cclk = clk_i;
      assign cen  = 1'b1;
      assign run  = run_i;
    end
  endgenerate
  assign run_o = run;

  // ---------------------------------------------------------------- memories
  wire [31:0] insn;        // IMEM output: the instruction in X
  wire        imem_re, imem_we;
  wire [IAw-1:0] imem_raddr, imem_waddr;
  wire [31:0] dmem_rdata;
  wire        dmem_re;
  wire [3:0]  dmem_we;
  wire [DAw-1:0] dmem_raddr, dmem_waddr;
  wire [31:0] dmem_wdata;

  tsr_sram_1r1w #(.Width(32), .Depth(ImemWords)) u_imem (
    .clk_i  (clk_i),
    .re_i   (imem_re),
    .raddr_i(imem_raddr),
    .rdata_o(insn),
    .we_i   (imem_we),
    .waddr_i(imem_waddr),
    .wdata_i(lm_wdata_i)
  );

  genvar g;
  generate
    for (g = 0; g < 4; g = g + 1) begin : g_dmem
    tsr_sram_1r1w #(.Width(8), .Depth(DmemWords)) u_lane (
      .clk_i  (clk_i),
      .re_i   (dmem_re),
      .raddr_i(dmem_raddr),
      .rdata_o(dmem_rdata[8*g +: 8]),
      .we_i   (dmem_we[g]),
      .waddr_i(dmem_waddr),
      .wdata_i(dmem_wdata[8*g +: 8])
    );
    end
  endgenerate

  // ---------------------------------------------------------------- decode
  wire [6:0]  opc = insn[6:0];
  wire [4:0]  rd  = insn[11:7];
  wire [2:0]  f3  = insn[14:12];
  wire [6:0]  f7  = insn[31:25];
  wire [31:0] imm_i = {{20{insn[31]}}, insn[31:20]};
  wire [31:0] imm_s = {{20{insn[31]}}, insn[31:25], insn[11:7]};
  wire [31:0] imm_b = {{19{insn[31]}}, insn[31], insn[7], insn[30:25], insn[11:8], 1'b0};
  wire [31:0] imm_u = {insn[31:12], 12'd0};
  wire [31:0] imm_j = {{11{insn[31]}}, insn[31], insn[19:12], insn[20], insn[30:21], 1'b0};

  wire is_lui    = (opc == 7'h37);
  wire is_auipc  = (opc == 7'h17);
  wire is_jal    = (opc == 7'h6f);
  wire is_jalr   = (opc == 7'h67) && (f3 == 3'd0);
  wire is_branch = (opc == 7'h63) && (f3[2:1] != 2'b01);
  wire is_load   = (opc == 7'h03) && (f3 != 3'd3) && (f3[2:1] != 2'b11);
  wire is_store  = (opc == 7'h23) && (f3[2] == 1'b0) && (f3 != 3'd3);
  wire shift_ok  = (f3 == 3'd1) ? (f7 == 7'h00) : ((f7 == 7'h00) || (f7 == 7'h20));
  wire is_opimm  = (opc == 7'h13) && ((f3[1:0] != 2'b01) || shift_ok);
  wire is_md     = (MExt != 0) && (opc == 7'h33) && (f7 == 7'h01);
  wire is_op     = (opc == 7'h33) &&
                   ((f7 == 7'h00) || ((f7 == 7'h20) && ((f3 == 3'd0) || (f3 == 3'd5))));
  wire is_fence  = (opc == 7'h0f) && (f3[2:1] == 2'b00);
  wire is_ecall  = (insn == 32'h0000_0073);
  wire is_ebreak = (insn == 32'h0010_0073);
  wire legal     = is_lui | is_auipc | is_jal | is_jalr | is_branch | is_load | is_store |
                   is_opimm | is_md | is_op | is_fence | is_ecall | is_ebreak;

  // ---------------------------------------------------------------- register read + forwarding
  wire        ecall_wait;  // an ecall sits in X waiting for the environment
  // During an ecall port 1 reads a7 and port 2 a0, or the register the environment asks for.
  wire [4:0]  ra1 = is_ecall ? 5'd17 : insn[19:15];
  wire [4:0]  ra2 = is_ecall ? ((ecall_wait && lm_reg_i) ? lm_addr_i[6:2] : 5'd10) : insn[24:20];
  wire        w_fwd = w_valid_q && !w_wait_q && (w_rd_q != 5'd0);
  wire [31:0] w_value;
  // Read ports as AND-OR over one-hot selects (smaller than the priority mux chain the
  // equivalent if-chain elaborates to: -0.3 kGE on Nangate45).
  reg  [31:0] rf1, rf2;
  integer     ri;
  always @(*) begin
    rf1 = 32'd0;
    rf2 = 32'd0;
    for (ri = 1; ri < 32; ri = ri + 1) begin
      rf1 = rf1 | (rf_flat[32*ri +: 32] & {32{ra1 == ri[4:0]}});
      rf2 = rf2 | (rf_flat[32*ri +: 32] & {32{ra2 == ri[4:0]}});
    end
  end
  wire [31:0] rs1v = (w_fwd && (w_rd_q == ra1)) ? w_value : rf1;
  wire [31:0] rs2v = (w_fwd && (w_rd_q == ra2)) ? w_value : rf2;

  // ---------------------------------------------------------------- execute
  wire        use_imm = is_opimm | is_load | is_store | is_jalr;
  wire [31:0] opb     = is_store ? imm_s : (use_imm ? imm_i : rs2v);
  wire        alt     = (is_op && f7[5]) ;                       // sub, sra
  wire        sra     = f7[5] && (is_op || is_opimm);
  wire        arith   = is_op | is_opimm;
  // One adder: rs1 + opb, or rs1 - opb (sub, branches, slt/sltu) whose carry out is !borrow.
  wire        sub     = (arith && alt && (f3 == 3'd0)) || is_branch ||
                        (arith && (f3[2:1] == 2'b01));
  wire [32:0] sum     = {1'b0, rs1v} + {1'b0, sub ? ~opb : opb} + {32'd0, sub};
  wire        ltu     = !sum[32];
  wire        lt      = (rs1v[31] != opb[31]) ? rs1v[31] : ltu;
  wire        eq      = (rs1v == opb);
  // One right shifter; left shifts reverse the operand and the result.
  wire [4:0]  shamt   = opb[4:0];
  wire        left    = (f3 == 3'd1);
  reg  [31:0] rev_in, rev_out;
  wire [31:0] sh_in   = left ? rev_in : rs1v;
  wire [32:0] sh_ext  = {sra && rs1v[31], sh_in};
  wire [32:0] sh_res  = $signed(sh_ext) >>> shamt;
  integer k;
  always @(*) begin
    for (k = 0; k < 32; k = k + 1) begin
      rev_in[k]  = rs1v[31-k];
      rev_out[k] = sh_res[31-k];
    end
  end
  reg  [31:0] alu;
  always @(*) begin
    case (f3)
      3'd0: alu = sum[31:0];
      3'd1: alu = rev_out;
      3'd2: alu = {31'd0, lt};
      3'd3: alu = {31'd0, ltu};
      3'd4: alu = rs1v ^ opb;
      3'd5: alu = sh_res[31:0];
      3'd6: alu = rs1v | opb;
      default: alu = rs1v & opb;
    endcase
  end

  reg  take;
  always @(*) begin
    case (f3)
      3'd0: take = eq;
      3'd1: take = !eq;
      3'd4: take = lt;
      3'd5: take = !lt;
      3'd6: take = ltu;
      default: take = !ltu;
    endcase
  end
  // An instruction executes only from inside the IMEM (a fetch outside it faults, and a faulted
  // fetch never executes), so the bits of its pc above the IMEM byte address are zero: the pc
  // adders see them as constants (-0.4 kGE). The full x_pc_q is kept for the halt pc of a fetch
  // fault.
  wire [31:0] xpc      = {{(30-IAw){1'b0}}, x_pc_q[IAw+1:0]};
  wire [31:0] pc4      = xpc + 32'd4;
  wire [31:0] br_tgt   = xpc + (is_jal ? imm_j : imm_b);
  wire [31:0] jr_tgt   = {sum[31:1], 1'b0};
  wire        redirect = is_jal | is_jalr | (is_branch && take);
  wire [31:0] target   = is_jalr ? jr_tgt : br_tgt;
  wire        tgt_mis  = redirect && target[1];

  // ---------------------------------------------------------------- memory access
  wire [31:0] maddr    = sum[31:0];
  wire        is_mem   = is_load | is_store;
  wire [1:0]  msize    = f3[1:0];   // 0 byte, 1 half, 2 word
  wire        mis      = is_mem && (((msize == 2'd1) && maddr[0]) ||
                                    ((msize == 2'd2) && (maddr[1:0] != 2'b00)));
  // Window decodes as comparisons with constants (cheaper than subtract-and-compare).
  localparam [31:0] DmemEnd = TSR_DMEM_BASE + DmemBytes;
  localparam [31:0] ImemEnd = TSR_IMEM_BASE + ImemBytes;
  wire        hit_dmem = (maddr >= TSR_DMEM_BASE) && (maddr < DmemEnd);
  wire        hit_spad;
  generate
    if (SpadBytes != 0) begin : g_spad
      localparam [31:0] SpadEnd = TSR_SPAD_BASE + SpadSize;
      assign hit_spad = (maddr >= TSR_SPAD_BASE) && (maddr < SpadEnd);
    end else begin : g_no_spad
      assign hit_spad = 1'b0;
    end
  endgenerate
  localparam [31:0] AcsrEnd = TSR_ACSR_BASE + TSR_ACSR_SIZE;
  localparam [31:0] MmioEnd = TSR_MMIO_BASE + TSR_MMIO_SIZE;
  wire        hit_acsr = (maddr >= TSR_ACSR_BASE) && (maddr < AcsrEnd) && (msize == 2'd2);
  wire        hit_mmio = (maddr >= TSR_MMIO_BASE) && (maddr < MmioEnd) && (msize == 2'd2);
  wire        hit_bus  = hit_spad | hit_acsr;
  wire        mfault   = is_mem && !mis && !(hit_dmem | hit_bus | hit_mmio);
  wire [3:0]  be       = (msize == 2'd0) ? (4'b0001 << maddr[1:0]) :
                         (msize == 2'd1) ? (maddr[1] ? 4'b1100 : 4'b0011) : 4'b1111;
  wire [31:0] sdata    = (msize == 2'd0) ? {4{rs2v[7:0]}} :
                         (msize == 2'd1) ? {2{rs2v[15:0]}} : rs2v;

  // ---------------------------------------------------------------- M unit
  wire        md_done;
  wire [31:0] md_res;
  wire        x_live;     // X holds an instruction that may act this cycle

  generate
    if (MExt != 0) begin : g_md
      tsr_core_muldiv u_md (
        .clk_i   (cclk),
        .rst_ni  (rst_ni),
        .start_i (x_live && is_md),
        .op_i    (f3),
        .a_i     (rs1v),
        .b_i     (rs2v),
        .done_o  (md_done),
        .take_i  (x_live && is_md),
        .result_o(md_res)
      );
    end else begin : g_no_md
      assign md_done = 1'b0;
      assign md_res  = 32'd0;
    end
  endgenerate

  // ---------------------------------------------------------------- control
  wire        running = run && !halt_q;
  assign x_live       = running && x_valid_q && !x_ffault_q && !w_wait_q;
  wire        sys_exit = is_ecall && (rs1v == TSR_SYS_EXIT);
  assign ecall_wait   = x_live && is_ecall && !sys_exit;
  wire        mmio_wr  = is_store && hit_mmio && !mis;
  wire [7:0]  mmio_off = maddr[7:0];
  wire        wr_exit  = mmio_wr && (mmio_off == TSR_MMIO_EXIT[7:0]);
  // Exceptions in X (priority: fetch fault, illegal, ebreak, exit, misaligned jump, memory).
  wire        trap_ff  = running && x_valid_q && x_ffault_q && !w_wait_q;
  wire        trap_x   = x_live && (!legal || is_ebreak || sys_exit || tgt_mis || mis || mfault ||
                                    (ecall_wait && ecall_ack_i && ecall_err_i));
  wire        bus_gnt;    // the bus port takes X's request
  wire        bus_rvalid; // the response as W sees it
  wire        hold     = (is_md && !md_done) || (is_mem && hit_bus && !mis && !bus_gnt) ||
                         (ecall_wait && !ecall_ack_i);
  wire        x_fire   = x_live && !trap_x && !hold;
  // W waits for a bus response; an error response halts with the access's fault.
  wire        bus_resp = w_wait_q && bus_rvalid;
  wire        trap_w   = bus_resp && bus_err_i;

  reg  [3:0]  x_cause;
  always @(*) begin
    if (!legal)             x_cause = TSR_HALT_ILLEGAL_INSN[3:0];
    else if (is_ebreak)     x_cause = TSR_HALT_EBREAK[3:0];
    else if (sys_exit)      x_cause = TSR_HALT_EXIT[3:0];
    else if (is_ecall)      x_cause = TSR_HALT_BAD_ECALL[3:0];
    else if (tgt_mis)       x_cause = TSR_HALT_FETCH_MISALIGNED[3:0];
    else if (mis && is_load) x_cause = TSR_HALT_LOAD_MISALIGNED[3:0];
    else if (mis)           x_cause = TSR_HALT_STORE_MISALIGNED[3:0];
    else if (is_load)       x_cause = TSR_HALT_LOAD_FAULT[3:0];
    else                    x_cause = TSR_HALT_STORE_FAULT[3:0];
  end

  wire        exit_now = x_fire && wr_exit;   // MMIO EXIT retires, then the core halts
  assign halt_d  = halt_q || trap_ff || trap_x || trap_w || exit_now;
  assign cause_d = halt_q   ? cause_q :
                   trap_w   ? (w_store_q ? TSR_HALT_STORE_FAULT[3:0] : TSR_HALT_LOAD_FAULT[3:0]) :
                   trap_ff  ? TSR_HALT_FETCH_FAULT[3:0] :
                   trap_x   ? x_cause :
                   exit_now ? TSR_HALT_EXIT[3:0] : cause_q;
  // X stops fetching at the halt, so the halt pc is x_pc_q with an offset: the next instruction
  // after an MMIO EXIT (+4); the bus access before the frozen X (which holds the next sequential
  // instruction) for an error response (-4); else the instruction in X.
  assign hoff_d  = halt_q ? hoff_q : trap_w ? 2'd2 : exit_now ? 2'd1 : 2'd0;
  assign code_d  = halt_q ? code_q : exit_now ? rs2v : (trap_x && sys_exit) ? rs2v : code_q;

  // Fetch: after reset the first fetch is the reset pc; then one per fired X instruction.
  wire        fetch     = running && (!x_valid_q || x_fire) && !exit_now;
  wire [31:0] fetch_pc  = !x_valid_q ? TSR_RESET_PC : (redirect ? target : pc4);
  wire        fetch_bad = (fetch_pc >= ImemEnd);  // IMEM starts at 0
  assign x_valid_d  = halt_d ? 1'b0 : (fetch ? 1'b1 : x_valid_q);
  assign x_pc_d     = fetch ? fetch_pc : x_pc_q;
  assign x_ffault_d = fetch ? fetch_bad : x_ffault_q;

  assign imem_re    = cen && fetch;
  assign imem_raddr = fetch_pc[IAw+1:2];
  assign imem_we    = lm_req_i && lm_we_i && (lm_addr_i < ImemEnd);
  assign imem_waddr = lm_addr_i[IAw+1:2];

  // DMEM: the core's loads and stores in X; the loader port otherwise.
  wire        x_dmem   = x_fire && is_mem && hit_dmem;
  wire        lm_dmem  = lm_req_i && !lm_reg_i && (lm_addr_i >= TSR_DMEM_BASE) &&
                         (lm_addr_i < DmemEnd);
  assign dmem_re    = (cen && x_dmem && is_load) || (lm_dmem && !lm_we_i);
  assign dmem_raddr = x_dmem ? maddr[DAw+1:2] : lm_addr_i[DAw+1:2];
  assign dmem_we    = (cen && x_dmem && is_store) ? be :
                      ((lm_dmem && lm_we_i) ? lm_be_i : 4'b0000);
  assign dmem_waddr = x_dmem ? maddr[DAw+1:2] : lm_addr_i[DAw+1:2];
  assign dmem_wdata = x_dmem ? sdata : lm_wdata_i;
  assign lm_rdata_o = lm_reg_i ? rs2v : dmem_rdata;

  // Bus port. ClkDiv > 1: X issues the request without waiting (bus_gnt = 1); the access goes
  // out as a one-cycle bus_req_o from W's registers, which hold it until the response: the store
  // data in w_res_q (x_res is the store data), write and byte enables from w_store_q, w_f3_q and
  // w_alo_q, and the address in a register (clocked only when X issues an access) that keeps
  // what the bus adapter decodes: the window (scratchpad or CSR, address bits 31:28) and the
  // word offset inside it (the windows are aligned to 2^28 bytes; docs/memory-map.md).
  wire        x_bus   = x_live && is_mem && hit_bus && !mis && !trap_x;
  generate
    if (ClkDiv > 1) begin : g_bus_reg
      localparam integer SpadW = (SpadBytes > 4) ? $clog2(SpadBytes) : 2;
      localparam integer CsrW  = $clog2(TSR_ACSR_SIZE);
      localparam integer LoW   = (SpadW > CsrW) ? SpadW : CsrW;   // byte-offset bits kept
      wire          bclk;
      reg           breq_q, bcsr_q;
      reg [LoW-1:2] boff_q;
      tsr_clk_gate u_cg_bus (
        .clk_i(clk_i),
        .en_i (cen_i && x_bus),
        .clk_o(bclk)
      );
      always @(posedge cclk or negedge rst_ni) begin
        if (!rst_ni) breq_q <= 1'b0;
        else         breq_q <= x_bus;
      end
      always @(posedge bclk) begin
        bcsr_q <= hit_acsr;
        boff_q <= maddr[LoW-1:2];
      end
      wire unused_gnt;
      assign unused_gnt  = bus_gnt_i;
      assign bus_gnt     = 1'b1;
      assign bus_req_o   = breq_q && cstb_i;
      assign bus_we_o    = w_store_q;
      assign bus_addr_o  = {bcsr_q ? TSR_ACSR_BASE[31:LoW] : TSR_SPAD_BASE[31:LoW],
                            boff_q, 2'b00};
      assign bus_wdata_o = w_res_q;
      assign bus_be_o    = (w_f3_q[1:0] == 2'd0) ? (4'b0001 << w_alo_q) :
                           (w_f3_q[1:0] == 2'd1) ? (w_alo_q[1] ? 4'b1100 : 4'b0011) : 4'b1111;
    end else begin : g_bus_direct
      assign bus_gnt     = bus_gnt_i;
      assign bus_req_o   = x_bus;
      assign bus_we_o    = is_store;
      assign bus_addr_o  = {maddr[31:2], 2'b00};
      assign bus_wdata_o = sdata;
      assign bus_be_o    = be;
    end
  endgenerate
  assign bus_rvalid = bus_rvalid_i;

  // MMIO reads.
  reg  [31:0] mmio_rd;
  always @(*) begin
    mmio_rd = 32'd0;
    if (mmio_off == TSR_MMIO_ID[7:0])              mmio_rd = TSR_CORE_ID;
    else if (mmio_off == TSR_MMIO_ESC_FUNC[7:0])   mmio_rd = esc_func_i;
    else if (mmio_off == TSR_MMIO_ESC_STATUS[7:0]) mmio_rd = {31'd0, esc_pending_i};
    else if (mmio_off == TSR_MMIO_CYCLE_LO[7:0])   mmio_rd = cycle_q[31:0];
    else if (mmio_off == TSR_MMIO_CYCLE_HI[7:0])   mmio_rd = cycle_q[63:32];
    else if (mmio_off == TSR_MMIO_INSTRET_LO[7:0]) mmio_rd = instret_q[31:0];
    else if (mmio_off == TSR_MMIO_INSTRET_HI[7:0]) mmio_rd = instret_q[63:32];
    else if ((mmio_off >= TSR_MMIO_ESC_ARG0[7:0]) && (mmio_off <= TSR_MMIO_ESC_ARG6[7:0]))
      mmio_rd = esc_args_i[32*mmio_off[4:2] +: 32];
  end
  // The HI words read the live counters (no snapshot registers): software reads HI, LO, HI and
  // retries when HI changed (firmware/include/tsr_rt.h), as RV32 does with rdcycleh.
  assign cycle_d   = cycle_q + 64'd1;
  assign instret_d = instret_q + {63'd0, x_fire};
  wire        con_wr  = x_fire && mmio_wr && (mmio_off == TSR_MMIO_CONSOLE[7:0]);
  wire        esc_wr  = x_fire && mmio_wr && ((mmio_off == TSR_MMIO_ESC_DONE[7:0]) || wr_exit);
  generate
    if (ClkDiv > 1) begin : g_out_reg
      // Registered at the core edge; the pulses last the first clk_i cycle of the next core cycle.
      // The status (the stored word) is in w_res_q, which holds it for the whole core cycle.
      reg        ret_q, con_q, esc_q;
      always @(posedge cclk or negedge rst_ni) begin
        if (!rst_ni) begin
          ret_q <= 1'b0;
          con_q <= 1'b0;
          esc_q <= 1'b0;
        end else begin
          ret_q <= x_fire;
          con_q <= con_wr;
          esc_q <= esc_wr;
        end
      end
      assign retire_o        = ret_q && cstb_i;
      assign console_valid_o = con_q && cstb_i;
      assign console_data_o  = w_res_q[7:0];
      assign esc_done_o      = esc_q && cstb_i;
      assign esc_status_o    = w_res_q;
    end else begin : g_out_direct
      assign retire_o        = x_fire;
      assign console_valid_o = con_wr;
      assign console_data_o  = rs2v[7:0];
      assign esc_done_o      = esc_wr;
      assign esc_status_o    = rs2v;
    end
  endgenerate

  assign ecall_req_o = ecall_wait;
  assign ecall_a7_o  = rs1v;
  assign ecall_a0_o  = rs2v;

  // ---------------------------------------------------------------- X -> W
  wire        wr_rd   = is_lui | is_auipc | is_jal | is_jalr | is_load | is_opimm | is_op | is_md;
  // ClkDiv > 1: a store's result is its data, for the bus port and the MMIO writes (ESC_DONE /
  // EXIT status, console byte) that leave the core from w_res_q. Stores write no register.
  wire        store_res = (ClkDiv > 1) && is_store;
  reg  [31:0] x_res;
  always @(*) begin
    if (is_lui)                 x_res = imm_u;
    else if (is_auipc)          x_res = xpc + imm_u;
    else if (is_jal || is_jalr) x_res = pc4;
    else if (is_md)             x_res = md_res;
    else if (is_ecall)          x_res = ecall_ret_i;
    else if (is_load)           x_res = mmio_rd;
    else if (store_res)          x_res = sdata;     // W holds the store data (ClkDiv > 1)
    else                        x_res = alu;
  end
  assign w_valid_d = x_fire ? 1'b1 : (w_wait_q ? !trap_w : 1'b0);
  assign w_wait_d  = x_fire ? (is_mem && hit_bus) : (w_wait_q && !bus_resp);
  assign w_rd_d    = x_fire ? (is_ecall ? 5'd10 : (wr_rd ? rd : 5'd0)) : w_rd_q;
  assign w_dmem_d  = x_fire ? (is_load && hit_dmem) : w_dmem_q;
  assign w_ld_d    = x_fire ? (is_load && (hit_dmem || hit_bus)) : w_ld_q;
  assign w_store_d = x_fire ? is_store : w_store_q;
  assign w_f3_d    = x_fire ? f3 : w_f3_q;
  assign w_alo_d   = x_fire ? maddr[1:0] : w_alo_q;

  // Load alignment in W: DMEM data straight from the SRAM, bus data from w_res_q.
  function automatic [31:0] align(input [31:0] word, input [1:0] lo, input [2:0] fn3);
    reg [31:0] s;
    begin
      s = word >> {lo, 3'b000};
      case (fn3)
        3'd0: align = {{24{s[7]}}, s[7:0]};
        3'd1: align = {{16{s[15]}}, s[15:0]};
        3'd4: align = {24'd0, s[7:0]};
        3'd5: align = {16'd0, s[15:0]};
        default: align = s;
      endcase
    end
  endfunction
  assign w_res_d = x_fire ? x_res : (bus_resp ? bus_rdata_i : w_res_q);
  assign w_value = w_ld_q ? align(w_dmem_q ? dmem_rdata : w_res_q, w_alo_q, w_f3_q) : w_res_q;

  always @(posedge cclk or negedge rst_ni) begin
    if (!rst_ni) begin
      x_valid_q  <= 1'b0;
      w_valid_q  <= 1'b0;
      w_wait_q   <= 1'b0;
      halt_q     <= 1'b0;
      cause_q    <= 4'd0;
      cycle_q    <= 64'd0;
      instret_q  <= 64'd0;
    end else begin
      x_valid_q  <= x_valid_d;
      w_valid_q  <= w_valid_d;
      w_wait_q   <= w_wait_d;
      halt_q     <= halt_d;
      cause_q    <= cause_d;
      cycle_q    <= cycle_d;
      instret_q  <= instret_d;
    end
  end

  // Datapath registers without reset (qualified by x_valid_q / w_valid_q, or read only after a
  // latching read).
  always @(posedge cclk) begin
    x_ffault_q <= x_ffault_d;
    x_pc_q     <= x_pc_d;
    w_dmem_q   <= w_dmem_d;
    w_ld_q     <= w_ld_d;
    w_store_q  <= w_store_d;
    w_rd_q     <= w_rd_d;
    w_res_q    <= w_res_d;
    w_f3_q     <= w_f3_d;
    w_alo_q    <= w_alo_d;
    hoff_q     <= hoff_d;    // valid while halt_q
    code_q     <= code_d;
  end

  // Register file: written from W when W retires. Each register's clock is gated by its write
  // enable (tsr_clk_gate) instead of a hold multiplexer per bit.
  wire w_retire = w_valid_q && !w_wait_q;
  wire rf_we    = w_retire && (w_rd_q != 5'd0);
  assign rf_flat[31:0] = 32'd0;
  generate
    for (g = 1; g < 32; g = g + 1) begin : g_rf
      wire       rf_clk;
      reg [31:0] x_q;
      tsr_clk_gate u_cg (
        .clk_i(clk_i),
        .en_i (cen && rf_we && (w_rd_q == g)),
        .clk_o(rf_clk)
      );
      always @(posedge rf_clk) begin
        x_q <= w_value;
      end
      assign rf_flat[32*g +: 32] = x_q;
    end
  endgenerate

  assign halted_o     = halt_q;
  assign halt_cause_o = cause_q;
  assign halt_pc_o    = (hoff_q == 2'd1) ? pc4 : (hoff_q == 2'd2) ? (xpc - 32'd4) : x_pc_q;
  assign exit_code_o  = code_q;

  // ---------------------------------------------------------------- retire trace
  generate
    if (Trace != 0) begin : g_trace
      reg  [31:0] t_pc_q, t_insn_q, t_addr_q, t_data_q;
      reg  [3:0]  t_be_q;
      wire [31:0] t_pc_d   = x_fire ? x_pc_q : t_pc_q;
      wire [31:0] t_insn_d = x_fire ? insn : t_insn_q;
      wire [31:0] t_addr_d = x_fire ? {maddr[31:2], 2'b00} : t_addr_q;
      wire [31:0] t_data_d = x_fire ? sdata : t_data_q;
      wire [3:0]  t_be_d   = x_fire ? (is_store ? be : 4'b0000) : t_be_q;
      always @(posedge cclk) begin
        t_pc_q   <= t_pc_d;
        t_insn_q <= t_insn_d;
        t_addr_q <= t_addr_d;
        t_data_q <= t_data_d;
        t_be_q   <= t_be_d;
      end
      assign tr_valid_o     = w_retire && ((ClkDiv == 1) || cstb_i);
      assign tr_pc_o        = t_pc_q;
      assign tr_insn_o      = t_insn_q;
      assign tr_rd_o        = w_rd_q;
      assign tr_rd_wdata_o  = w_value;
      assign tr_mem_be_o    = t_be_q;
      assign tr_mem_addr_o  = t_addr_q;
      assign tr_mem_wdata_o = t_data_q;
    end else begin : g_no_trace
      assign tr_valid_o     = 1'b0;
      assign tr_pc_o        = 32'd0;
      assign tr_insn_o      = 32'd0;
      assign tr_rd_o        = 5'd0;
      assign tr_rd_wdata_o  = 32'd0;
      assign tr_mem_be_o    = 4'd0;
      assign tr_mem_addr_o  = 32'd0;
      assign tr_mem_wdata_o = 32'd0;
    end
  endgenerate

endmodule
