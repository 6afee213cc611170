# The train/test-ratio sweep and the figures read from it (1, 2-left, 4,
# 5, 7, 11, 12-16), included by the Makefile. Each of these figures'
# directories links runs/ to the sweep's.
#
# One run per set, train ratio and seed: a split at that train ratio with
# a balanced test set, the model, and its metrics on the test set
# re-weighted to every test ratio of the grid (imb-eval --target-ratio:
# the same test samples, each class's weight moved to the test ratio, so
# that every test ratio is measured on the same samples; more than two
# classes are weighted to the split's own profile, exp or step) and on
# the train set. Runs: results/SCALE/sweep/runs/SET-rRATIO-sSEED.imb; the table of
# every set, train ratio and test ratio: results/SCALE/sweep/grid.tsv.

SW         = $(OUT)/sweep
SW_EVAL    ?=
SW_RATIOS_CSV = $(subst $(space),$(comma),$(strip $(SW_RATIOS)))
empty :=
space := $(empty) $(empty)

define SW_RUN
$(SW)/runs/$(1)-r$(2)-s$(3).imb: $(OUT)/data/$(call set_data,$(1)).imb
	@mkdir -p $$(@D)
	imb-split --train-ratio $(2) --test-ratio 1 $$(SPLIT_$(1)) --seed $(3) < $$< \
	  | $$(TRAIN_$(1)) --keep-train --seed $(3) --threads $$(THREADS) --quiet \
	  | imb-eval $$(SW_EVAL) --quiet --target-ratio $$(SW_RATIOS_CSV) --target-profile $(call set_profile,$(1)) \
	  | imb-eval $$(SW_EVAL) --quiet --on train \
	  | imb-cat --kind dataset --invert -o $$@
SW_RUNS_$(1) += $(SW)/runs/$(1)-r$(2)-s$(3).imb
endef
$(foreach d,$(SW_SETS),$(foreach r,$(SW_RATIOS),$(foreach s,$(SEED_LIST),\
  $(eval $(call SW_RUN,$(d),$(r),$(s))))))

define SW_AGG
$(SW)/agg-$(1).tsv: $$(SW_RUNS_$(1)) $(ROOT)/pipelines/pick.awk
	{ $$(call aggregate,$(1),standard,$$(SW_RUNS_$(1))); } > $$@.tmp
	mv $$@.tmp $$@
endef
$(foreach d,$(SW_SETS),$(eval $(call SW_AGG,$(d))))

# every set's rows: on the test set at every test ratio, on the train set
$(SW)/agg.tsv: $(SW_SETS:%=$(SW)/agg-%.tsv)
	awk 'FNR > 1 || NR == 1' $^ > $@.tmp
	mv $@.tmp $@
$(SW)/grid.tsv: $(SW)/agg.tsv
	awk -F '\t' 'NR == 1 || $$3 == "test"' $< > $@.tmp
	mv $@.tmp $@

# the ratio figures' tables without their pictures (a GPU machine
# without gnuplot; plot them elsewhere from the same RESULTS)
.PHONY: ratio-tables
ratio-tables: $(SW)/grid.tsv $(OUT)/fig4/fig4.tsv $(OUT)/fig5/fig5.tsv $(OUT)/fig11/fig11.tsv \
  $(OUT)/fig12-16/fig12-16.tsv $(OUT)/fig6/fig6.tsv $(OUT)/fig8/fig8.tsv

STAGE1_sweep = $(sort $(foreach d,$(SW_SETS),$(OUT)/data/$(call set_data,$(d)).imb))
STAGE2_sweep = $(foreach d,$(SW_SETS),$(SW_RUNS_$(d)))

# a figure's directory, its runs/ a link to the sweep's
SW_DIR = @mkdir -p $(@D) && ln -sfn ../sweep/runs $(@D)/runs

# plot titles say how many seeds
SEEDS_TXT = $(SEEDS) seed$(if $(filter 1,$(SEEDS)),,s)

# ---- Figures 4 and 1 (left): test accuracy against the test ratio for
# three trainings: at the test ratio, balanced, and at the best train
# ratio (Figure 1: the headline sets, FIG1_SETS) ----
F4 = $(OUT)/fig4
F1 = $(OUT)/fig1

fig4: $(F4)/fig4.tsv $(F4)/fig4.png
$(F4)/fig4.tsv: $(SW)/grid.tsv $(ROOT)/pipelines/best.awk
	$(SW_DIR)
	awk -v out=trainings -f $(ROOT)/pipelines/best.awk $< > $@.tmp
	mv $@.tmp $@

# $(call trainings_plot,TSV,SET,PNG)
define trainings_plot
imb-plot sweep --x test_ratio --y accuracy --group training --where set=$(2) --svg -o $(3) --quiet \
  --title 'Test accuracy against test ratio: $(LABEL_$(2)) ($(SEEDS_TXT))' \
  --xlabel 'test ratio (minority/majority, log scale)' \
  --ylabel 'test accuracy at the test ratio (fraction; mean, bars +-1 SE)' < $(1);
endef
$(F4)/fig4.png: $(F4)/fig4.tsv
	$(foreach d,$(SW_SETS),$(call trainings_plot,$<,$(d),$(if $(filter $(d),$(firstword $(SW_SETS))),$@,$(F4)/fig4-$(d).png)))

fig1: $(F1)/fig1.tsv $(F1)/fig1.png $(F1)/fig1-right.png
$(F1)/fig1.tsv: $(F4)/fig4.tsv
	$(SW_DIR)
	awk -F '\t' -v sets=' $(FIG1_SETS) ' 'NR == 1 || index(sets, " " $$1 " ")' $< > $@.tmp
	mv $@.tmp $@
$(F1)/fig1.png: $(F1)/fig1.tsv
	$(foreach d,$(FIG1_SETS),$(call trainings_plot,$<,$(d),$(if $(filter $(d),$(firstword $(FIG1_SETS))),$@,$(F1)/fig1-$(d).png)))

# ---- Figure 5: the best train ratio against the test ratio; the
# accuracy of every train ratio at every test ratio as a heat map ----
F5 = $(OUT)/fig5

fig5: $(F5)/fig5.tsv $(F5)/fig5.png
$(F5)/fig5.tsv: $(SW)/grid.tsv $(ROOT)/pipelines/best.awk
	$(SW_DIR)
	awk -v out=best -f $(ROOT)/pipelines/best.awk $< > $@.tmp
	mv $@.tmp $@
# the diagonal (best = test ratio) drawn as a line of its own
$(F5)/fig5.png: $(F5)/fig5.tsv $(SW)/grid.tsv
	awk -F '\t' -v OFS='\t' 'NR == 1 { print "set", "test_ratio", "best_train_ratio"; next } \
	  { print $$1 "-" $$2, $$3, $$4; d[$$3] = 1 } END { for (t in d) print "train ratio = test ratio", t, t }' \
	  $< > $(F5)/fig5-plot.tsv
	imb-plot sweep --x test_ratio --y best_train_ratio --group set --logy --svg -o $@ --quiet \
	  --title 'The best train ratio against the test ratio ($(SEEDS_TXT))' \
	  --xlabel 'test ratio (minority/majority, log scale)' \
	  --ylabel 'best train ratio (highest mean test accuracy, log scale)' < $(F5)/fig5-plot.tsv
	$(foreach d,$(SW_SETS),imb-plot heatmap --x test_ratio --y train_ratio --z accuracy --where set=$(d) \
	  --mark max --svg -o $(F5)/fig5-$(d)-heatmap.png --quiet \
	  --title 'Test accuracy by train and test ratio: $(LABEL_$(d)) ($(SEEDS_TXT))' \
	  --xlabel 'test ratio (minority/majority)' --ylabel 'train ratio (minority/majority)' < $(SW)/grid.tsv;)

# ---- Figure 11: minority against majority test error, across train
# ratios (balanced test set) ----
F11 = $(OUT)/fig11

fig11: $(F11)/fig11.tsv $(F11)/fig11.png
$(F11)/fig11.tsv: $(SW)/grid.tsv
	$(SW_DIR)
	awk -F '\t' -v OFS='\t' 'NR == 1 { for (i = 1; i <= NF; i++) at[$$i] = i; \
	    print "set", "train_ratio", "n", "minority_error_mean", "minority_error_se", "majority_error_mean", "majority_error_se"; next } \
	  $$(at["test_ratio"]) == 1 { print $$1, $$(at["train_ratio"]), $$(at["n"]), $$(at["minority_error_mean"]), \
	    $$(at["minority_error_se"]), $$(at["majority_error_mean"]), $$(at["majority_error_se"]) }' $< > $@.tmp
	mv $@.tmp $@
$(F11)/fig11.png: $(F11)/fig11.tsv
	imb-plot lines --x majority_error_mean --y minority_error_mean --se minority_error_se --group set \
	  --svg -o $@ --quiet --title 'Minority against majority test error, one point per train ratio ($(SEEDS_TXT))' \
	  --xlabel 'majority-class test error (fraction; mean)' \
	  --ylabel 'minority-class test error (fraction; mean, bars +-1 SE)' < $<
	$(foreach d,$(SW_SETS),imb-plot sweep --x train_ratio --y error --group class --where set=$(d) --svg \
	  -o $(F11)/fig11-$(d).png --quiet --title 'Test error by class against train ratio: $(LABEL_$(d)) ($(SEEDS_TXT))' \
	  --ylabel 'test error (fraction; mean, bars +-1 SE)' < $(F11)/fig11-long.tsv;)

# the same numbers with one row per class, for the per-set plots
$(F11)/fig11.png: $(F11)/fig11-long.tsv
$(F11)/fig11-long.tsv: $(F11)/fig11.tsv
	awk -F '\t' -v OFS='\t' 'NR == 1 { print "set", "class", "train_ratio", "n", "error_mean", "error_se"; next } \
	  { print $$1, "minority", $$2, $$3, $$4, $$5; print $$1, "majority", $$2, $$3, $$6, $$7 }' $< > $@.tmp
	mv $@.tmp $@

# ---- Figures 12-16: train and test error tables (test: balanced) ----
F12 = $(OUT)/fig12-16

fig12-16: $(F12)/fig12-16.tsv $(F12)/fig12-16.png
$(F12)/fig12-16.tsv: $(SW)/agg.tsv
	$(SW_DIR)
	awk -F '\t' -v OFS='\t' 'NR == 1 { for (i = 1; i <= NF; i++) at[$$i] = i; \
	    print "set", "split", "train_ratio", "n", "error_mean", "error_se", "minority_error_mean", "minority_error_se", \
	      "majority_error_mean", "majority_error_se"; next } \
	  $$3 == "train" || $$(at["test_ratio"]) == 1 { print $$1, $$3, $$(at["train_ratio"]), $$(at["n"]), \
	    1 - $$(at["accuracy_mean"]), $$(at["accuracy_se"]), $$(at["minority_error_mean"]), $$(at["minority_error_se"]), \
	    $$(at["majority_error_mean"]), $$(at["majority_error_se"]) }' $< > $@.tmp
	mv $@.tmp $@
$(F12)/fig12-16.png: $(F12)/fig12-16.tsv
	$(foreach d,$(SW_SETS),imb-plot bars --x train_ratio --y error --group split --where set=$(d) --svg \
	  -o $(if $(filter $(d),$(firstword $(SW_SETS))),$@,$(F12)/fig12-16-$(d).png) --quiet \
	  --title 'Train and test error: $(LABEL_$(d)) ($(SEEDS_TXT))' --xlabel 'train ratio (minority/majority)' \
	  --ylabel 'error (fraction; mean, bars +-1 SE; test set balanced)' < $<;)

# ---- Figures 7 and 2 (left): per-class training error over the epochs,
# from the sweep's networks (their log frames) ----
F7 = $(OUT)/fig7

fig7: $(F7)/fig7.tsv $(F7)/fig7.png
F7_PNG = $(foreach d,$(F7_SETS),$(foreach r,$(F7_RATIOS),$(F7)/fig7-$(d)-r$(r).png))
F7_TSVS = $(foreach d,$(F7_SETS),$(foreach r,$(F7_RATIOS),$(F7)/curves-$(d)-r$(r).tsv))

define F7_CURVES
$(F7)/curves-$(1)-r$(2).tsv: $(foreach s,$(SEED_LIST),$(SW)/runs/$(1)-r$(2)-s$(s).imb)
	$$(SW_DIR)
	imb-plot curves --metric error $$^ --tsv $$@ -o $(F7)/fig7-$(1)-r$(2).png --svg --quiet \
	  --title 'Training error by class over the epochs: $(LABEL_$(1)), train ratio $(2) ($(SEEDS_TXT))'
endef
$(foreach d,$(F7_SETS),$(foreach r,$(F7_RATIOS),$(eval $(call F7_CURVES,$(d),$(r)))))

$(F7)/fig7.tsv: $(F7_TSVS)
	for d in $(F7_SETS); do for r in $(F7_RATIOS); do \
	  awk -F '\t' -v OFS='\t' -v d=$$d -v r=$$r 'FNR == 1 { print "set", "train_ratio", $$0; next } \
	    { print d, r, $$0 }' $(F7)/curves-$$d-r$$r.tsv; \
	done; done | awk 'NR == 1 || !/^set\t/' > $@.tmp
	mv $@.tmp $@
$(F7)/fig7.png: $(F7_TSVS)
	cp $(firstword $(F7_PNG)) $@
	cp $(firstword $(F7_PNG:.png=.svg)) $(@:.png=.svg)
