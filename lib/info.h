/* info.h: human-readable and JSON summaries of frames (imb-info). */
#ifndef IMB_INFO_H
#define IMB_INFO_H

#include "stream.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A few indented lines about f: kind, name, tensors with dtypes and
 * shapes; for datasets class counts and the imbalance ratio (rarest /
 * most frequent); for models and metrics their headline attrs; then
 * attrs.history one tool per line. */
void imb_info_text(FILE *fp, const imb_frame *f);
/* The same as a map: index, kind, name, tensors [{name, dtype, shape,
 * bytes}], a computed "summary" (counts, imbalance_ratio for datasets)
 * and the attrs as they are. Caller frees. */
imb_val *imb_info_json(const imb_frame *f);

#ifdef __cplusplus
}
#endif

#endif
