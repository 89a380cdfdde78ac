/* tessera's escape ops (firmware side). Each takes the request's argument words (slots in
 * tsr_escape_abi.h) and returns a TSR_ESC_* status. Integer only: the core has no FPU. */
#ifndef TSR_OPS_H
#define TSR_OPS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t tsr_op_softmax(const volatile uint32_t* args);
uint32_t tsr_op_topk(const volatile uint32_t* args);
uint32_t tsr_op_add(const volatile uint32_t* args);
uint32_t tsr_op_avgpool(const volatile uint32_t* args);
uint32_t tsr_op_nms(const volatile uint32_t* args);
uint32_t tsr_op_kws(const volatile uint32_t* args);
uint32_t tsr_op_run(const volatile uint32_t* args);

#ifdef __cplusplus
}
#endif

#endif /* TSR_OPS_H */
