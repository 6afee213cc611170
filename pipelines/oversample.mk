# Figures 8 and 2 (right): oversampling and overfitting, included by the
# Makefile.
#
# Per set, train ratio and seed, against the sweep's own run
# ("standard"): "oversampling" duplicates minority samples up to balance
# (imb-oversample --method random) before the same training;
# "overfitting" (networks: sets with an OVERFIT_<SET> trainer) trains
# with a low learning rate for long, without augmentation or weight decay,
# until every train sample is fitted. Each run's metrics are on the
# balanced test set and on the train set it was trained on. Runs:
# results/SCALE/fig8/runs/SET-METHOD-rRATIO-sSEED.imb.

F8 = $(OUT)/fig8
F8_METHODS = standard oversampling $(if $(OVERFIT_$(1)),overfitting)

F8_DO_oversampling = imb-oversample --method random --seed $(3) | $(TRAIN_$(1))
F8_DO_overfitting  = $(OVERFIT_$(1))

define F8_RUN
$(F8)/runs/$(1)-$(2)-r$(3)-s$(4).imb: $(OUT)/data/$(call set_data,$(1)).imb
	@mkdir -p $$(@D)
	imb-split --train-ratio $(3) --test-ratio 1 $$(SPLIT_$(1)) --seed $(4) < $$< \
	  | $$(call F8_DO_$(2),$(1),$(3),$(4)) --keep-train --seed $(4) --threads $$(THREADS) --quiet \
	  | imb-eval $$(SW_EVAL) --quiet --target-ratio 1 | imb-eval $$(SW_EVAL) --quiet --on train \
	  | imb-cat --kind dataset --invert -o $$@
F8_RUNS_$(1)_$(2) += $(F8)/runs/$(1)-$(2)-r$(3)-s$(4).imb
endef
$(foreach d,$(F8_SETS),$(foreach m,$(filter-out standard,$(call F8_METHODS,$(d))),\
  $(foreach r,$(F8_RATIOS),$(foreach s,$(SEED_LIST),$(eval $(call F8_RUN,$(d),$(m),$(r),$(s)))))))
# standard: the sweep's runs at these train ratios
$(foreach d,$(F8_SETS),$(eval F8_RUNS_$(d)_standard = \
  $(foreach r,$(F8_RATIOS),$(foreach s,$(SEED_LIST),$(SW)/runs/$(d)-r$(r)-s$(s).imb))))

# the balanced test set's rows (test ratio 1) and the train set's
define F8_AGG
$(F8)/agg-$(1)-$(2).tsv: $$(F8_RUNS_$(1)_$(2)) $(ROOT)/pipelines/pick.awk
	@mkdir -p $$(@D)
	{ $$(call aggregate,$(1),$(2),$$(F8_RUNS_$(1)_$(2))); } \
	  | awk -F '\t' 'NR == 1 || $$$$5 == 1 || $$$$5 == "NA"' > $$@.tmp
	mv $$@.tmp $$@
endef
$(foreach d,$(F8_SETS),$(foreach m,$(call F8_METHODS,$(d)),$(eval $(call F8_AGG,$(d),$(m)))))

STAGE1_fig8 = $(sort $(foreach d,$(F8_SETS),$(OUT)/data/$(call set_data,$(d)).imb))
STAGE2_fig8 = $(foreach d,$(F8_SETS),$(foreach m,$(call F8_METHODS,$(d)),$(F8_RUNS_$(d)_$(m))))

fig8: $(F8)/fig8.tsv $(F8)/fig8.png
$(F8)/fig8.tsv: $(foreach d,$(F8_SETS),$(foreach m,$(call F8_METHODS,$(d)),$(F8)/agg-$(d)-$(m).tsv))
	awk 'FNR > 1 || NR == 1' $^ > $@.tmp
	mv $@.tmp $@

# $(call oversample_plot,TSV,SET,PNG): balanced test accuracy, and the
# minority error on the train set, against the train ratio by method
define oversample_plot
imb-plot sweep --x train_ratio --y balanced_accuracy --group method --where set=$(2) --where split=test \
  --svg -o $(3) --quiet --title 'Oversampling and overfitting: $(LABEL_$(2)) ($(SEEDS_TXT))' \
  --ylabel 'balanced test accuracy (fraction; mean, bars +-1 SE)' < $(1)
imb-plot sweep --x train_ratio --y minority_error --group method --where set=$(2) --where split=train \
  --svg -o $(3:.png=-train.png) --quiet --title 'Minority error on the train set: $(LABEL_$(2)) ($(SEEDS_TXT))' \
  --ylabel 'minority-class train error (fraction; mean, bars +-1 SE)' < $(1)
endef
$(F8)/fig8.png: $(F8)/fig8.tsv
	$(foreach d,$(F8_SETS),$(call oversample_plot,$<,$(d),$(if $(filter $(d),$(firstword $(F8_SETS))),$@,$(F8)/fig8-$(d).png));)

# ---- Figure 2: the headline network (FIG2_SET): left, its per-class
# training error over the epochs at the first of F7_RATIOS (Figure 7's
# curves); right, oversampling and overfitting (Figure 8's runs) ----
F2 = $(OUT)/fig2
FIG2_RATIO = $(firstword $(F7_RATIOS))

fig2: $(F2)/fig2.tsv $(F2)/fig2.png $(F2)/fig2-right.tsv $(F2)/fig2-right.png
$(F2)/fig2.tsv: $(F7)/curves-$(FIG2_SET)-r$(FIG2_RATIO).tsv
	@mkdir -p $(@D)
	cp $< $@
$(F2)/fig2.png: $(F7)/curves-$(FIG2_SET)-r$(FIG2_RATIO).tsv
	@mkdir -p $(@D)
	cp $(F7)/fig7-$(FIG2_SET)-r$(FIG2_RATIO).png $@
	cp $(F7)/fig7-$(FIG2_SET)-r$(FIG2_RATIO).svg $(@:.png=.svg)
$(F2)/fig2-right.tsv: $(F8)/fig8.tsv
	@mkdir -p $(@D)
	awk -F '\t' 'NR == 1 || $$1 == "$(FIG2_SET)"' $< > $@.tmp
	mv $@.tmp $@
$(F2)/fig2-right.png: $(F2)/fig2-right.tsv
	$(call oversample_plot,$<,$(FIG2_SET),$@)
