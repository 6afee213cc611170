# The data sets and models of the train/test-ratio figures (1, 2, 4-8,
# 11-16), included by the Makefile.
#
# A set is DATA-MODEL, e.g. adult-xgboost. DATA names the file
# results/SCALE/data/DATA.imb that DATA_<DATA> makes (once, shared by
# every figure); SPLIT_<SET> holds the imb-split flags a run adds to its
# ratios and seed, TRAIN_<SET> the trainer and its flags (each run adds
# --seed and --threads). LABEL_<SET> names the set in titles.

set_data  = $(firstword $(subst -, ,$(1)))
set_model = $(patsubst $(call set_data,$(1))-%,%,$(1))
# the class profile of the set's splits (imb-split --profile; default exp)
set_profile = $(if $(findstring --profile step,$(SPLIT_$(1))),step,exp)

DATA_adult     ?= imb-import adult
DATA_covtype   ?= imb-import covtype | imb-split --classes 0,1 --seed 0
DATA_fashion2  ?= imb-import fashion-mnist | imb-split --classes 0,6 --seed 0
DATA_fashion10 ?= imb-import fashion-mnist
DATA_cifar10   ?= imb-import cifar10
DATA_cifar2    ?= imb-import cifar10 | imb-split --classes 0,1 --seed 0

LABEL_adult-xgboost     = Adult, XGBoost
LABEL_adult-linear-svm  = Adult, linear SVM (standing in for Covertype)
LABEL_covtype-linear-svm = Covertype (Spruce/Fir against Lodgepole Pine), linear SVM
LABEL_fashion2-mlp      = Fashion-MNIST T-shirt/top against Shirt, MLP
LABEL_fashion2-resnet8  = Fashion-MNIST T-shirt/top against Shirt, ResNet-8
LABEL_fashion10-mlp     = Fashion-MNIST ten classes (exp profile), MLP
LABEL_cifar10-resnet34  = CIFAR-10 ten classes (step profile), ResNet-34
LABEL_cifar2-resnet18   = CIFAR-10 airplane against automobile, ResNet-18

# the ratio grid: quarter decades from 10^-2.5 to 1 (the paper's
# logspace(-2.5, 0.43, 25) up to 1; past 1 the minority class would be
# the larger one)
GRID_QUARTER = 0.00316 0.00562 0.01 0.0178 0.0316 0.0562 0.1 0.178 0.316 0.562 1

ifeq ($(SCALE),tiny)
SW_SETS    ?= adult-xgboost fashion2-mlp
SW_RATIOS  ?= 0.02 0.1 1
FIG1_SETS  ?= adult-xgboost
FIG2_SET   ?= fashion2-mlp
F6_SETS    ?= adult-xgboost fashion2-mlp
F7_SETS    ?= fashion2-mlp
F7_RATIOS  ?= 0.1
F8_SETS    ?= adult-xgboost fashion2-mlp
F8_RATIOS  ?= 0.1 1
SPLIT_adult-xgboost    ?= --n-train 2000 --n-test 1000
TRAIN_adult-xgboost    ?= imb-train --model xgboost --rounds 20
SPLIT_fashion2-mlp     ?= --n-train 300 --n-test 200
TRAIN_fashion2-mlp     ?= imb-train --model mlp:16 --epochs 3 --lr 0.05 --batch-size 64
OVERFIT_fashion2-mlp   ?= imb-train --model mlp:16 --epochs 6 --lr 0.01 --batch-size 64 --augment none --weight-decay 0
# fixed minority, majority added: the minority count and the majority grid
F6_MINORITY_adult-xgboost ?= 50
F6_MAJORITY_adult-xgboost ?= 50 500
F6_MINORITY_fashion2-mlp  ?= 20
F6_MAJORITY_fashion2-mlp  ?= 20 200
F6_TEST_adult-xgboost     ?= --n-test 1000
F6_TEST_fashion2-mlp      ?= --n-test 200
else ifeq ($(SCALE),small)
# this project's 2-core CPU: Fashion-MNIST two- and ten-class with an
# MLP, Adult with XGBoost, and Adult with the linear SVM standing in for
# Covertype (no copy of Covertype reaches these machines)
SW_SETS    ?= fashion2-mlp fashion10-mlp adult-xgboost adult-linear-svm
SW_RATIOS  ?= $(GRID_QUARTER)
FIG1_SETS  ?= fashion2-mlp
FIG2_SET   ?= fashion2-mlp
F6_SETS    ?= fashion2-mlp adult-xgboost adult-linear-svm
F7_SETS    ?= fashion2-mlp fashion10-mlp
# (at 0.01 the augmented MLP never fits its 40 minority samples)
F7_RATIOS  ?= 0.0316 0.1 1
F8_SETS    ?= fashion2-mlp adult-xgboost
F8_RATIOS  ?= 0.00316 0.01 0.0316 0.1 0.316 1
SPLIT_fashion2-mlp     ?= --n-train 4000 --n-test 2000
# the MLPs see the pixels as they are (no crop-flip augmentation)
TRAIN_fashion2-mlp     ?= imb-train --model mlp:256,256 --epochs 30 --lr 0.05 --batch-size 128 --augment none
# overfitting: no weight decay, a low lr for 5 times the epochs: every
# train sample is fitted, the minority's too
OVERFIT_fashion2-mlp   ?= imb-train --model mlp:256,256 --epochs 150 --lr 0.01 --batch-size 128 --augment none --weight-decay 0
SPLIT_fashion10-mlp    ?= --profile exp --n-train 10000 --n-test 5000
TRAIN_fashion10-mlp    ?= imb-train --model mlp:256,256 --epochs 20 --lr 0.05 --batch-size 128 --augment none
# Adult: 15,000 train rows (47 minority ones at ratio 0.00316), a
# balanced test set of 7,000 (of 3,846 minority test rows)
SPLIT_adult-xgboost    ?= --n-train 15000 --n-test 7000
TRAIN_adult-xgboost    ?= imb-train --model xgboost
SPLIT_adult-linear-svm ?= $(SPLIT_adult-xgboost)
TRAIN_adult-linear-svm ?= imb-train --model linear-svm
F6_MINORITY_fashion2-mlp     ?= 60
F6_MAJORITY_fashion2-mlp     ?= 60 120 300 600 1200 3000 6000
F6_MINORITY_adult-xgboost    ?= 200
F6_MAJORITY_adult-xgboost    ?= 200 500 1000 2000 5000 10000 20000
F6_MINORITY_adult-linear-svm ?= $(F6_MINORITY_adult-xgboost)
F6_MAJORITY_adult-linear-svm ?= $(F6_MAJORITY_adult-xgboost)
F6_TEST_fashion2-mlp         ?= --n-test 2000
F6_TEST_adult-xgboost        ?= --n-test 7000
F6_TEST_adult-linear-svm     ?= --n-test 7000
else ifeq ($(SCALE),paper)
# the paper's settings: CIFAR-10 ResNet-34 (300 epochs, SGD lr 0.01,
# cosine, batch 128) on a GPU, XGBoost on Adult, LinearSVC on Covertype
SW_SETS    ?= cifar10-resnet34 adult-xgboost covtype-linear-svm
SW_RATIOS  ?= $(GRID_QUARTER)
FIG1_SETS  ?= cifar10-resnet34
FIG2_SET   ?= cifar10-resnet34
SW_EVAL    ?= $(DEVICE)
F6_SETS    ?= $(SW_SETS)
F7_SETS    ?= cifar10-resnet34
F7_RATIOS  ?= 0.01 1
F8_SETS    ?= cifar10-resnet34 adult-xgboost
F8_RATIOS  ?= 0.00316 0.01 0.0316 0.1 0.316 1
SPLIT_cifar10-resnet34   ?= --profile step --n-train 25000
TRAIN_cifar10-resnet34   ?= imb-train --model resnet34 --epochs 300 --lr 0.01 --batch-size 128 $(DEVICE)
OVERFIT_cifar10-resnet34 ?= imb-train --model resnet34 --epochs 1000 --lr 0.001 --batch-size 128 --augment none --weight-decay 0 $(DEVICE)
SPLIT_adult-xgboost      ?= --n-train 15000 --n-test 7000
TRAIN_adult-xgboost      ?= imb-train --model xgboost
SPLIT_covtype-linear-svm ?= --n-train 100000 --n-test 20000
TRAIN_covtype-linear-svm ?= imb-train --model linear-svm
F6_MINORITY_cifar10-resnet34   ?= 250
F6_MAJORITY_cifar10-resnet34   ?= 250 500 1000 2500 5000
F6_MINORITY_adult-xgboost      ?= 500
F6_MAJORITY_adult-xgboost      ?= 500 1000 2000 5000 10000 20000 24000
F6_MINORITY_covtype-linear-svm ?= 1000
F6_MAJORITY_covtype-linear-svm ?= 1000 3000 10000 30000 100000 200000
F6_TEST_cifar10-resnet34       ?=
# a reduced set for a short GPU budget: airplane against automobile,
# resnet18 at the paper's lr and batch for 30 epochs (SW_SETS=cifar2-resnet18)
SPLIT_cifar2-resnet18   ?= --n-train 5000
TRAIN_cifar2-resnet18   ?= imb-train --model resnet18 --epochs 30 --lr 0.01 --batch-size 128 $(DEVICE)
OVERFIT_cifar2-resnet18 ?= imb-train --model resnet18 --epochs 90 --lr 0.001 --batch-size 128 --augment none --weight-decay 0 $(DEVICE)
F6_MINORITY_cifar2-resnet18 ?= 50
F6_MAJORITY_cifar2-resnet18 ?= 50 100 250 500 1000 2500 5000
F6_TEST_cifar2-resnet18     ?=
F6_TEST_adult-xgboost          ?= --n-test 7000
F6_TEST_covtype-linear-svm     ?= --n-test 20000
endif

# the shared data files
$(OUT)/data/%.imb: | $(RESULTS)/.gitignore
	@mkdir -p $(@D)
	$(DATA_$*) -o $@

# the columns every aggregated table keeps, and the label columns in front
AGG_METRICS = n,accuracy_mean,accuracy_se,balanced_accuracy_mean,balanced_accuracy_se,$\
  macro_f1_mean,macro_f1_se,minority_error_mean,minority_error_se,majority_error_mean,majority_error_se
AGG_HEAD    = set method split train_ratio test_ratio $(subst $(comma), ,$(AGG_METRICS))
comma := ,

# $(call aggregate,SET,METHOD,RUNS): one row per train ratio (and test
# ratio) of the runs' metrics frames on the test set and on the train set,
# mean and one SE over seeds, with the labels set, method and split in front
define aggregate
imb-cat $(3) | imb-cat --kind metrics --name test | imb-eval --aggregate train_ratio,target_ratio \
  | awk -v labels=set=$(1),method=$(2),split=test -v cols=train_ratio,target_ratio,$(AGG_METRICS) \
    -v names=train_ratio,test_ratio,$(AGG_METRICS) -f $(ROOT)/pipelines/pick.awk; \
imb-cat $(3) | imb-cat --kind metrics --name train | imb-eval --aggregate train_ratio \
  | awk -v labels=set=$(1),method=$(2),split=train -v cols=train_ratio,test_ratio,$(AGG_METRICS) -v na=1 \
    -f $(ROOT)/pipelines/pick.awk | tail -n +2
endef
