# MTIF toolkit: build, test, and the pipeline data → train → eval.
# Every stage depends on the built tools, so a code change reruns what it affects.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables

DATA    ?= synth
SEED    ?= 0
SHARING ?= hard
HIDDEN  ?= 16
LAMBDA  ?= 0.05
TASKS   ?=
QUIET   ?=
RUN     ?= runs/$(DATA)-$(SHARING)-seed$(SEED)

BIN     := .build/release
TOOLS   := $(BIN)/mtif-data $(BIN)/mtif-train $(BIN)/mtif-eval
SOURCES := Package.swift $(shell find Sources -name '*.swift')
TASKFLAG := $(if $(TASKS),--tasks $(TASKS),)

.PHONY: help build test experiment data train eval clean

help: ## help: list the targets and the settings they read
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14
	@echo
	@echo "settings: DATA=$(DATA) SEED=$(SEED) SHARING=$(SHARING) HIDDEN=$(HIDDEN) LAMBDA=$(LAMBDA) TASKS=$(TASKS) RUN=$(RUN)"

build: $(TOOLS) ## build: release build of every tool (-Ounchecked, AVX2/FMA)

$(TOOLS) &: $(SOURCES)
	swift build -c release
	@touch $(TOOLS)

test: ## test: build the tools and run every test (unit and end-to-end)
	swift build -c release --build-tests
	swift test -c release --skip-build

# --- the pipeline on $(DATA) -------------------------------------------------

# The main job. Today it runs the stages that exist (data, training, test
# evaluation); influence scores and selection arms join it with their tools.
experiment: eval ## experiment: the main job (so far: data → train → per-task test metrics)
	@echo "experiment: influence scores and data selection are not built yet; see README 'Status'" >&2

data: $(RUN)/train.ndjson ## data: generate and split the data set into $(RUN)/{train,val,test}.ndjson

$(RUN)/all.ndjson: $(TOOLS)
	@mkdir -p $(@D)
ifeq ($(DATA),synth)
	$(BIN)/mtif-data synth --seed $(SEED) $(QUIET) -o $@
else
	@echo "DATA=$(DATA): only the synthetic data set is wired in yet" >&2; exit 2
endif

$(RUN)/train.ndjson $(RUN)/val.ndjson $(RUN)/test.ndjson &: $(RUN)/all.ndjson
	$(BIN)/mtif-data split --seed $(SEED) --prefix $(RUN)/ $(QUIET) $<

train: $(RUN)/params.safetensors ## train: fit the multitask model on the training split

$(RUN)/params.safetensors: $(RUN)/train.ndjson
	$(BIN)/mtif-train --sharing $(SHARING) --hidden $(HIDDEN) --lambda $(LAMBDA) --seed $(SEED) $(TASKFLAG) $(QUIET) $< -o $@

eval: $(RUN)/eval.ndjson ## eval: per-task test loss and accuracy of the trained model
	@cat $<

$(RUN)/eval.ndjson: $(RUN)/params.safetensors $(RUN)/test.ndjson
	$(BIN)/mtif-eval $(QUIET) $^ -o $@

clean: ## clean: remove the runs/ directory (not the build)
	rm -rf runs
