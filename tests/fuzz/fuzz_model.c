/* fuzz_model.c: libFuzzer harness for the model frames of the tabular
 * kinds, the bytes a crafted file puts before a library. The first byte
 * picks the kind in its low two bits (0 LIBLINEAR text, 1 LIBSVM text, 2
 * and 3 XGBoost UBJSON) and the classes in the next two (2-5); the rest is the frame's tensor
 * 'bytes', with attrs for 4 features. Any bytes must load and predict
 * (probabilities that sum to 1 over the classes) or give a clean error,
 * never a crash, a leak, a hang or a library's own message. */
#include "fuzz_err.h"
#include "model_frame.h"
#include "svm.h"
#include "util.h"
#include "xgboost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { D = 4, ROWS = 3 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_err_clear();
	if (size < 2)
		return 0;
	static const char *const kinds[] = { "linear-svm", "svm", "xgboost" };
	int kind = (data[0] & 3) % 3, K = 2 + ((data[0] >> 2) & 3);
	imb_frame *f = imb_model_frame_new(kinds[kind], NULL, D, K, NULL, NULL, NULL);
	uint64_t n = size - 1;
	imb_tensor *t = imb_frame_add_tensor(f, "bytes", IMB_U8, 1, &n);
	memcpy(t->data, data + 1, n);
	void *m = kind == 0 ? imb_linsvm_load(f, D, K) : kind == 1 ? imb_svm_load(f, D, K)
	                                                             : imb_xgboost_load(f, D, K);
	if (m) {
		static const float x[ROWS * D] = { 0, 0, 0, 0, 1, -2, 0.5f, 3, -1e3f, 7, 0, 1e-3f };
		float p[ROWS * 5];
		int rc = kind == 2 ? imb_xgboost_predict(m, x, ROWS, D, K, p)
		                   : imb_svm_predict(m, x, ROWS, D, K, p);
		if (rc == 0)
			for (int i = 0; i < ROWS; i++) {
				double s = 0;
				for (int k = 0; k < K; k++) {
					if (!(p[i * K + k] >= 0 && p[i * K + k] <= 1))
						abort();
					s += p[i * K + k];
				}
				if (fabs(s - 1) > 1e-3)
					abort();
			}
		else if (!fuzz_err_set())
			abort();
		if (kind == 2)
			imb_xgboost_free(m);
		else
			imb_svm_free(m);
	} else if (!fuzz_err_set()) {
		abort();
	}
	imb_frame_free(f);
	return 0;
}
