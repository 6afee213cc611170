# Figures 6 and 1 (right): a fixed number of minority samples, majority
# samples added, included by the Makefile.
#
# One run per set, majority count and seed: imb-split --fixed minority
# with F6_MINORITY_<SET> minority samples and N majority samples (N from
# F6_MAJORITY_<SET>), a balanced test set, the model and its metrics on
# the test set (balanced, and re-weighted to the train ratio) and on the
# train set. Runs:
# results/SCALE/fig6/runs/SET-mN-sSEED.imb.

F6 = $(OUT)/fig6

# the test set balanced, and re-weighted to the run's own train ratio
F6_TARGETS = 1$(if $(filter $(2),$(F6_MINORITY_$(1))),,$(comma)$$(awk 'BEGIN { print $(F6_MINORITY_$(1)) / $(2) }'))

define F6_RUN
$(F6)/runs/$(1)-m$(2)-s$(3).imb: $(OUT)/data/$(call set_data,$(1)).imb
	@mkdir -p $$(@D)
	imb-split --fixed minority --n-minority $$(F6_MINORITY_$(1)) --n-majority $(2) --test-ratio 1 \
	  $$(F6_TEST_$(1)) --seed $(3) < $$< \
	  | $$(TRAIN_$(1)) --keep-train --seed $(3) --threads $$(THREADS) --quiet \
	  | imb-eval $$(SW_EVAL) --quiet --target-ratio $$(call F6_TARGETS,$(1),$(2)) \
	  | imb-eval $$(SW_EVAL) --quiet --on train \
	  | imb-cat --kind dataset --invert -o $$@
F6_RUNS_$(1) += $(F6)/runs/$(1)-m$(2)-s$(3).imb
endef
$(foreach d,$(F6_SETS),$(foreach m,$(F6_MAJORITY_$(d)),$(foreach s,$(SEED_LIST),\
  $(eval $(call F6_RUN,$(d),$(m),$(s))))))

# per set: the aggregate with the minority and majority counts in front
# (the majority count is the minority count over the train ratio)
define F6_AGG
$(F6)/agg-$(1).tsv: $$(F6_RUNS_$(1)) $(ROOT)/pipelines/pick.awk
	{ $$(call aggregate,$(1),standard,$$(F6_RUNS_$(1))); } \
	  | awk -F '\t' -v OFS='\t' -v m=$$(F6_MINORITY_$(1)) \
	      'NR == 1 { print "n_minority", "n_majority", $$$$0; next } { print m, int(m / $$$$4 + 0.5), $$$$0 }' > $$@.tmp
	mv $$@.tmp $$@
endef
$(foreach d,$(F6_SETS),$(eval $(call F6_AGG,$(d))))

STAGE1_fig6 = $(sort $(foreach d,$(F6_SETS),$(OUT)/data/$(call set_data,$(d)).imb))
STAGE2_fig6 = $(foreach d,$(F6_SETS),$(F6_RUNS_$(d)))

fig6: $(F6)/fig6.tsv $(F6)/fig6.png
$(F6)/fig6.tsv: $(F6_SETS:%=$(F6)/agg-%.tsv)
	awk 'FNR > 1 || NR == 1' $^ > $@.tmp
	mv $@.tmp $@

# $(call majority_plot,TSV,SETS,PNG): test accuracy against the majority
# count, one line per set (its minority count in the legend): on the
# balanced test set (PNG), and at the train ratio (PNG-at-train-ratio)
define majority_plot
awk -F '\t' -v OFS='\t' -v sets=' $(2) ' 'NR == 1 { print; next } \
  $$5 == "test" && index(sets, " " $$3 " ") { $$3 = $$3 " (" $$1 " minority)"; print }' $(1) > $(3:.png=-plot.tsv)
imb-plot sweep --x n_majority --y accuracy --group set --where test_ratio=1 --svg -o $(3) --quiet \
  --title 'Fixed minority, majority samples added: balanced test set ($(SEEDS_TXT))' \
  --xlabel 'majority training samples (minority count fixed; log scale)' \
  --ylabel 'balanced test accuracy (fraction; mean, bars +-1 SE)' < $(3:.png=-plot.tsv)
awk -F '\t' -v OFS='\t' 'NR == 1 || ($$7 - $$6) * ($$7 - $$6) < 1e-12 * $$6 * $$6' $(3:.png=-plot.tsv) \
  > $(3:.png=-plot-matched.tsv)
imb-plot sweep --x n_majority --y accuracy --group set --svg -o $(3:.png=-at-train-ratio.png) --quiet \
  --title 'Fixed minority, majority samples added: test set at the train ratio ($(SEEDS_TXT))' \
  --xlabel 'majority training samples (minority count fixed; log scale)' \
  --ylabel 'test accuracy at the train ratio (fraction; mean, bars +-1 SE)' < $(3:.png=-plot-matched.tsv)
endef
$(F6)/fig6.png: $(F6)/fig6.tsv
	$(call majority_plot,$<,$(F6_SETS),$@)

# Figure 1 (right): the headline sets
$(F1)/fig1-right.tsv: $(F6)/fig6.tsv
	@mkdir -p $(@D)
	awk -F '\t' -v sets=' $(FIG1_SETS) ' 'NR == 1 || index(sets, " " $$3 " ")' $< > $@.tmp
	mv $@.tmp $@
$(F1)/fig1-right.png: $(F1)/fig1-right.tsv
	$(call majority_plot,$<,$(FIG1_SETS),$@)
