/* import_uci.c: the UCI presets (Adult, Covertype), CSV files with known
 * columns and classes read through imb_import_csv. */
#include "import.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const adult_cols[] = {
	"age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
	"occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
	"hours-per-week", "native-country", "income",
};
static const char *const adult_classes[] = {"<=50K", ">50K"};

int imb_import_adult(const char *dir, imb_frame **train, imb_frame **test)
{
	imb_csv_opts o = {0};
	o.source = "adult";
	o.label = "income";
	o.header = 0;
	o.categorical = "workclass,education,marital-status,occupation,relationship,race,sex,native-country";
	o.missing = "?";
	o.names = adult_cols;
	o.nnames = IMB_LEN(adult_cols);
	o.label_values = adult_classes;
	o.nclasses = 2;
	imb_frame *tr = NULL;
	char *p;
	if (asprintf(&p, "%s/adult.data", dir) < 0)
		abort();
	o.name = "train";
	/* the test set needs the train vocabulary, so train is always read */
	int rc = imb_import_csv(p, &o, &tr);
	free(p);
	if (rc)
		return -1;
	if (test) {
		if (asprintf(&p, "%s/adult.test", dir) < 0)
			abort();
		o.name = "test";
		o.skip = 1;
		o.label_strip = ".";
		o.like = tr->attrs;
		rc = imb_import_csv(p, &o, test);
		free(p);
		if (rc) {
			imb_frame_free(tr);
			return -1;
		}
	}
	if (train)
		*train = tr;
	else
		imb_frame_free(tr);
	return 0;
}

static const char *const covtype_classes[] = {
	"Spruce/Fir", "Lodgepole Pine", "Ponderosa Pine", "Cottonwood/Willow",
	"Aspen", "Douglas-fir", "Krummholz",
};
static const char *const covtype_labels[] = {"1", "2", "3", "4", "5", "6", "7"};

int imb_import_covtype(const char *dir, const char *name, imb_frame **out)
{
	static char *cols[55];
	static const char *const first[] = {
		"Elevation", "Aspect", "Slope", "Horizontal_Distance_To_Hydrology",
		"Vertical_Distance_To_Hydrology", "Horizontal_Distance_To_Roadways",
		"Hillshade_9am", "Hillshade_Noon", "Hillshade_3pm",
		"Horizontal_Distance_To_Fire_Points",
	};
	if (!cols[0]) {
		for (int k = 0; k < 10; k++)
			cols[k] = imb_xstrdup(first[k]);
		for (int k = 0; k < 4; k++)
			if (asprintf(&cols[10 + k], "Wilderness_Area%d", k + 1) < 0)
				abort();
		for (int k = 0; k < 40; k++)
			if (asprintf(&cols[14 + k], "Soil_Type%d", k + 1) < 0)
				abort();
		cols[54] = imb_xstrdup("Cover_Type");
	}
	imb_csv_opts o = {0};
	o.name = name ? name : "train";
	o.source = "covtype";
	o.label = "Cover_Type";
	o.header = 0;
	o.categorical = "none";
	o.names = (const char *const *)cols;
	o.nnames = 55;
	o.label_values = covtype_labels;
	o.class_names = covtype_classes;
	o.nclasses = 7;
	char *p = imb_import_path(dir, "covtype.data");
	int rc = imb_import_csv(p, &o, out);
	free(p);
	return rc;
}
