# MTIF toolkit: build, test, and the pipeline data → train → scores → validate.
# Every stage depends on the built tools, so a code change reruns what it affects.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables

DATA     ?= synth
SEED     ?= 0
SHARING  ?= hard
HIDDEN   ?= 16
LAMBDA   ?= 0.05
COUPLING ?= 0.1
TOL      ?= 1e-10
MAXITER  ?= 2000
TASKS    ?=
SOLVER   ?= cg
DAMPING  ?=
RETRAIN  ?=
LOO      ?= 30
LDS      ?= 20
JOBS     ?= 2
QUIET    ?=
SYNTH    ?=
HAR_CSV  ?= ../shared/data/har/har.csv.gz
RUN      ?= runs/$(notdir $(basename $(DATA)))-$(SHARING)-seed$(SEED)

BIN     := .build/release
TOOLS   := $(addprefix $(BIN)/,mtif-data mtif-train mtif-eval mtif-grad mtif-ihvp mtif-influence mtif-select)
SOURCES := Package.swift $(shell find Sources -name '*.swift')
comma   := ,
TRAINFLAGS := --sharing $(SHARING) --hidden=$(HIDDEN) --lambda $(LAMBDA) --coupling $(COUPLING) \
              --tol $(TOL) --max-iter $(MAXITER) --seed $(SEED) $(if $(TASKS),--tasks $(TASKS),)
IHVPFLAGS  := --solver $(SOLVER) $(if $(DAMPING),--damping $(DAMPING),)

.PHONY: help build test experiment data train eval scores validate clean

help: ## help: list the targets and the settings they read
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14
	@echo
	@echo "settings: DATA=$(DATA) SEED=$(SEED) SHARING=$(SHARING) HIDDEN=$(HIDDEN) LAMBDA=$(LAMBDA)"
	@echo "          COUPLING=$(COUPLING) TOL=$(TOL) MAXITER=$(MAXITER) TASKS=$(TASKS) SOLVER=$(SOLVER) DAMPING=$(DAMPING)"
	@echo "          LOO=$(LOO) LDS=$(LDS) RETRAIN=$(RETRAIN) SYNTH=$(SYNTH) JOBS=$(JOBS) RUN=$(RUN)"

build: $(TOOLS) ## build: release build of every tool (-Ounchecked, AVX2/FMA)

$(TOOLS) &: $(SOURCES)
	swift build -c release
	@touch $(TOOLS)

test: ## test: build the tools and run every test (unit and end-to-end)
	swift build -c release --build-tests
	swift test -c release --skip-build

# The main job. Today it runs the stages that exist (data, training, test
# evaluation, influence scores and the task matrix); the selection arms join
# it with mtif-select.
experiment: eval scores ## experiment: the main job (so far: data → train → test metrics → scores, task matrix)
	@echo "experiment: data selection arms are not built yet; see README 'Status'" >&2

# --- the pipeline on $(DATA) -------------------------------------------------

data: $(RUN)/train.ndjson ## data: generate and split the data set into $(RUN)/{train,val,test}.ndjson

$(RUN)/all.ndjson: $(TOOLS)
	@mkdir -p $(@D)
ifeq ($(DATA),synth)
	$(BIN)/mtif-data synth --seed $(SEED) $(SYNTH) $(QUIET) -o $@
else ifeq ($(DATA),har)
	zcat $(HAR_CSV) | $(BIN)/mtif-data csv --task subject --label activity --task-prefix s $(QUIET) -o $@
else
	cp $(DATA) $@
endif

$(RUN)/train.ndjson $(RUN)/val.ndjson $(RUN)/test.ndjson &: $(RUN)/all.ndjson
	$(BIN)/mtif-data split --seed $(SEED) --prefix $(RUN)/ $(QUIET) $<

train: $(RUN)/params.safetensors ## train: fit the multitask model on the training split

$(RUN)/params.safetensors: $(RUN)/train.ndjson
	$(BIN)/mtif-train $(TRAINFLAGS) $(QUIET) $< -o $@

eval: $(RUN)/eval.ndjson ## eval: per-task test loss and accuracy of the trained model
	@cat $<

$(RUN)/eval.ndjson: $(RUN)/params.safetensors $(RUN)/test.ndjson
	$(BIN)/mtif-eval $(QUIET) $^ -o $@

scores: $(RUN)/scores-$(SOLVER).ndjson ## scores: MTIF scores of every training example on every task's validation loss, and R(l→k)

# Right-hand sides: the per-task mean validation gradients ∇V_k.
$(RUN)/rhs.safetensors: $(RUN)/params.safetensors $(RUN)/val.ndjson
	$(BIN)/mtif-grad --mean-by-task $(QUIET) $^ -o $@

$(RUN)/ihvp-$(SOLVER).safetensors: $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/rhs.safetensors
	$(BIN)/mtif-ihvp $(IHVPFLAGS) $(QUIET) $^ -o $@

$(RUN)/scores-$(SOLVER).ndjson $(RUN)/matrix-$(SOLVER).ndjson &: $(RUN)/ihvp-$(SOLVER).safetensors $(RUN)/params.safetensors $(RUN)/train.ndjson
	$(BIN)/mtif-grad $(QUIET) $(RUN)/params.safetensors $(RUN)/train.ndjson \
	  | $(BIN)/mtif-influence $(QUIET) --matrix $(RUN)/matrix-$(SOLVER).ndjson $< -o $(RUN)/scores-$(SOLVER).ndjson

validate: $(RUN)/validate-$(SOLVER).ndjson ## validate: scores vs brute-force retraining (LOO, leave-one-task-out, LDS)

# Ground truth, independent of the solver: LOO examples, every task left out, LDS random halves.
$(RUN)/effects.ndjson: $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/val.ndjson scripts/retrain-effects.sh
	scripts/retrain-effects.sh $(BIN) $(RUN) $(LOO) $(LDS) $(SEED) $(JOBS) -- $(TRAINFLAGS) $(RETRAIN) > $@

$(RUN)/validate-$(SOLVER).ndjson: $(RUN)/scores-$(SOLVER).ndjson $(RUN)/effects.ndjson
	$(BIN)/mtif-eval compare $^ --pairs $(RUN)/pairs-$(SOLVER).ndjson -o $@
	@cat $@

clean: ## clean: remove the runs/ directory (not the build)
	rm -rf runs
