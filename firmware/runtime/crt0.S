/* tessera escape-core start-up: gp and sp, .data copy (a no-op when loaded in place), .bss clear,
 * main(0, 0), then exit(main's return value) through ecall 93. */
  .section .text.init, "ax"
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  /* .data: copy from its load address when that differs from where it runs. */
  la t0, __data_load
  la t1, __data_start
  la t2, __data_end
  beq t0, t1, 2f
1:
  bgeu t1, t2, 2f
  lw t3, 0(t0)
  sw t3, 0(t1)
  addi t0, t0, 4
  addi t1, t1, 4
  j 1b
2:
  /* .bss: zero. */
  la t0, __bss_start
  la t1, __bss_end
3:
  bgeu t0, t1, 4f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 3b
4:
  li a0, 0
  li a1, 0
  call main
  call tsr_exit
  .size _start, . - _start
