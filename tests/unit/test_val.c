/* test_val.c: the attrs value tree and number formatting. */
#include "check.h"
#include "util.h"
#include "val.h"

static char *json(const imb_val *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_val_write_json(fp, v, -1);
	fclose(fp);
	return buf;
}

int main(void)
{
	imb_val *m = imb_val_map();
	imb_val_set_int(m, "n", 3);
	imb_val_set_str(m, "name", "a\"b\n");
	imb_val_set_float(m, "r", 0.1);
	imb_val *sub = imb_val_map();
	imb_val_set_float(sub, "train_ratio", 0.05);
	imb_val_set(m, "split", sub);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(m, "n"), -1), 3);
	CHECK_NEAR(imb_val_as_double(imb_val_path(m, "split.train_ratio"), 0), 0.05, 0);
	CHECK(imb_val_path(m, "split.nope") == NULL);
	CHECK(imb_val_get(m, "missing") == NULL);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(m, "missing"), 42), 42);

	/* set replaces in place, keeping order */
	imb_val_set_int(m, "n", 4);
	CHECK_EQ_INT(m->n, 4);
	CHECK_STR(m->keys[0], "n");
	CHECK_EQ_INT(imb_val_as_int(m->items[0], 0), 4);

	char *j = json(m);
	CHECK_STR(j, "{\"n\":4,\"name\":\"a\\\"b\\n\",\"r\":0.1,\"split\":{\"train_ratio\":0.05}}");
	free(j);

	imb_val *c = imb_val_copy(m);
	imb_val_del(m, "name");
	CHECK_EQ_INT(m->n, 3);
	CHECK_EQ_INT(c->n, 4);
	CHECK_STR(imb_val_as_str(imb_val_get(c, "name"), ""), "a\"b\n");
	imb_val_free(m);
	imb_val_free(c);
	imb_val_free(NULL);

	/* a map of many keys (hash-indexed): set, replace, get, delete keep
	 * insertion order and find every key */
	imb_val *big = imb_val_map();
	char kb[32];
	for (int k = 0; k < 5000; k++) {
		snprintf(kb, sizeof kb, "key%d", k);
		imb_val_set_int(big, kb, k);
	}
	imb_val_set_int(big, "key17", -17);
	CHECK_EQ_INT(big->n, 5000);
	CHECK_STR(big->keys[17], "key17");
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(big, "key17"), 0), -17);
	for (int k = 0; k <= 40; k += 2) {
		snprintf(kb, sizeof kb, "key%d", k);
		imb_val_del(big, kb);
	}
	CHECK_EQ_INT(big->n, 5000 - 21);
	CHECK(imb_val_get(big, "key40") == NULL);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(big, "key41"), 0), 41);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(big, "key4999"), 0), 4999);
	CHECK_STR(big->keys[0], "key1");
	imb_val *bc = imb_val_copy(big);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(bc, "key4000"), 0), 4000);
	CHECK(imb_val_get(bc, "key") == NULL);
	imb_val_free(bc);
	imb_val_free(big);

	/* shortest round-trip doubles, NaN as null in JSON */
	char buf[64];
	imb_fmt_double(buf, sizeof buf, 0.1);
	CHECK_STR(buf, "0.1");
	imb_fmt_double(buf, sizeof buf, 1.0 / 3.0);
	CHECK(strtod(buf, NULL) == 1.0 / 3.0);
	imb_val *nan = imb_val_float(NAN);
	j = json(nan);
	CHECK_STR(j, "null");
	free(j);
	imb_val_free(nan);

	int64_t xs[] = {1, 2, 3};
	imb_val *a = imb_val_int_array(xs, 3);
	j = json(a);
	CHECK_STR(j, "[1,2,3]");
	free(j);
	imb_val_free(a);
	CHECK_DONE();
}
