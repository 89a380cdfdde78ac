// tessera: command sequencing shared by the load, execute and store units.
//
// Takes the unit's next command from its queue, checks its dependency-token flags (a flag naming a
// neighbour the unit does not have is error `token`), waits until every token it pops is
// available, takes them, and starts the unit (start_o, one cycle, with cmd_o / idx_o held until
// the next command). When the unit reports done_i the tokens it pushes are given and the command
// retires. err_i stops the sequencer for good (until reset); halt_i (another unit failed, or a
// soft reset is pending) stops it from starting anything new, so a halt is always clean: the
// command in flight completes, nothing else starts.
//
// With MaxInflight > 1 (execute unit: 3) further commands may start before the first has reported
// done, whenever the unit says ready_i; each done_i pulse then retires the oldest command in start
// order, giving its tokens. The unit may report a completion late but never early: after n pulses
// the n oldest commands must have completed. free_i says the unit no longer reads cmd_o, so the
// next command may be taken from the queue (and cmd_o change); ready_i, evaluated with that next
// command on cmd_o, says the unit may start it.
//
// ErrOldest = 1 (load unit, whose errors always belong to its oldest command in flight): an error
// the unit reports carries, on err_idx_o, the index of the oldest command started and not done;
// otherwise err_idx_o is the index of the command on cmd_o.
module tsr_unit_seq #(
  parameter HasPrev = 1,
  parameter HasNext     = 1,
  parameter MaxInflight = 1,
  parameter ErrOldest   = 0,
  parameter IdxW        = 16
) (
  input  wire            clk_i,
  input  wire            rst_ni,
  input  wire            halt_i,
  // command queue
  input  wire            cmd_valid_i,
  output wire            cmd_ready_o,
  input  wire [255:0]    cmd_i,
  input  wire [IdxW-1:0] idx_i,
  // dependency tokens
  input  wire            prev_avail_i,
  input  wire            next_avail_i,
  output wire            prev_take_o,
  output wire            next_take_o,
  output wire            prev_give_o,
  output wire            next_give_o,
  // to / from the unit
  input  wire            free_i,      // the unit no longer reads cmd_o
  input  wire            ready_i,     // the unit can start the command on cmd_o
  output wire            start_o,
  output wire [255:0]    cmd_o,
  output wire [IdxW-1:0] idx_o,
  input  wire            done_i,
  input  wire            err_i,
  input  wire [7:0]      err_code_i,
  // status
  output wire            err_o,       // one-cycle pulse with err_code_o / idx_o
  output wire [7:0]      err_code_o,
  output wire [IdxW-1:0] err_idx_o,
  output wire            retire_o,
  output wire            idle_o,      // no command
  output wire            wait_o,      // waiting for tokens
  output wire            active_o     // running
);

`include "tsr_isa.vh"

  localparam [1:0] StIdle = 2'd0, StWait = 2'd1, StDead = 2'd3;
  localparam integer ErrTokenI = TSR_ERROR_TOKEN;
  localparam [7:0] ErrToken = ErrTokenI[7:0];
  localparam integer IW = $clog2(MaxInflight + 2);
  localparam integer NE = MaxInflight;
  localparam integer MaxInI = MaxInflight;
  localparam [IW-1:0] MaxIn = MaxInI[IW-1:0];

  reg  [1:0]      state_q, state_d;
  reg  [255:0]    cmd_q;
  reg  [IdxW-1:0] idx_q;
  // Commands started and not yet done, with the push flags each gives when done (entry 0 first).
  reg  [IW-1:0]   inflight_q;
  wire [IW-1:0]   inflight_d;
  reg  [2*NE-1:0]    push_q;   // entry e: bits 2e +: 2
  reg  [IdxW*NE-1:0] idxs_q;   // entry e: bits IdxW*e +: IdxW
  wire [IdxW-1:0] idx0_q;
  wire [1:0]      push0_q;
  wire [IW-1:0]   slot;  // the entry a take fills: after the last one still in flight
  assign idx0_q  = idxs_q[IdxW-1:0];
  assign push0_q = push_q[1:0];
  assign slot    = inflight_q - {{(IW-1){1'b0}}, retire};
  wire            pop_prev, pop_next, push_prev, push_next, bad_flags, tokens_ok, take;
  wire            accept, retire;

  assign pop_prev  = cmd_q[TSR_F_POP_PREV_LSB];
  assign pop_next  = cmd_q[TSR_F_POP_NEXT_LSB];
  assign push_prev = cmd_q[TSR_F_PUSH_PREV_LSB];
  assign push_next = cmd_q[TSR_F_PUSH_NEXT_LSB];
  assign bad_flags = ((pop_prev || push_prev) && (HasPrev == 0)) ||
                     ((pop_next || push_next) && (HasNext == 0));
  assign tokens_ok = (!pop_prev || prev_avail_i) && (!pop_next || next_avail_i);
  assign take      = (state_q == StWait) && !halt_i && !bad_flags && tokens_ok && ready_i &&
                     (inflight_q < MaxIn);
  assign retire    = (inflight_q != {IW{1'b0}}) && done_i && (state_q != StDead);

  assign accept      = (state_q == StIdle) && !halt_i && cmd_valid_i && (inflight_q < MaxIn) &&
                       free_i;
  assign cmd_ready_o = accept;
  assign prev_take_o = take && pop_prev;
  assign next_take_o = take && pop_next;
  assign start_o     = take;
  assign prev_give_o = retire && push0_q[1];
  assign next_give_o = retire && push0_q[0];
  assign retire_o    = retire;
  assign cmd_o       = cmd_q;
  assign idx_o       = idx_q;

  assign err_o      = (state_q != StDead) &&
                      (((state_q == StWait) && !halt_i && bad_flags) || err_i);
  assign err_code_o = err_i ? err_code_i : ErrToken;
  assign err_idx_o  = ((ErrOldest != 0) && err_i && (inflight_q != {IW{1'b0}})) ? idx0_q : idx_q;

  assign idle_o   = ((state_q == StIdle) && (inflight_q == {IW{1'b0}})) || (state_q == StDead);
  assign wait_o   = (state_q == StWait);
  assign active_o = (inflight_q != {IW{1'b0}}) && (state_q != StDead);

  assign inflight_d = inflight_q + {{(IW-1){1'b0}}, take} - {{(IW-1){1'b0}}, retire};

  always @(*) begin
    state_d = state_q;
    case (state_q)
      StIdle:  if (err_i) state_d = StDead;
               else if (accept) state_d = StWait;
      StWait:  if (err_i || (!halt_i && bad_flags)) state_d = StDead;
               else if (halt_i) state_d = StIdle;
               else if (take) state_d = StIdle;
      default: state_d = StDead;
    endcase
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      inflight_q <= {IW{1'b0}};
    end else begin
      state_q    <= state_d;
      inflight_q <= inflight_d;
    end
  end

  // Push flags of the commands in flight: a take appends, a retire removes entry 0.
  integer e;
  always @(posedge clk_i) begin
    if (accept) begin
      cmd_q <= cmd_i;
      idx_q <= idx_i;
    end
    for (e = 0; e < NE; e = e + 1) begin
      if (take && (slot == e[IW-1:0])) begin
        push_q[2*e +: 2]       <= {push_prev, push_next};
        idxs_q[IdxW*e +: IdxW] <= idx_q;
      end else if (retire && (e + 1 < NE)) begin
        push_q[2*e +: 2]       <= push_q[2*((e + 1) % NE) +: 2];
        idxs_q[IdxW*e +: IdxW] <= idxs_q[IdxW*((e + 1) % NE) +: IdxW];
      end
    end
  end

endmodule
