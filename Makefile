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
LAMBDA   ?= 0.2
COUPLING ?= 0.1
TOL      ?= 1e-10
MAXITER  ?= 2000
TASKS    ?=
SOLVER   ?= cg
DAMPING  ?=
RETRAIN  ?=
LOO      ?= 30
LDS      ?= 20
LEAVE_OUT ?= literal
TEST_POINTS ?= 1
FIGURE_TASK ?=
JOBS     ?= 2
SHARDS   ?= 4
NO_BUILD ?=
QUIET    ?=
SYNTH    ?=
HAR_CSV  ?= ../shared/data/har/har.csv.gz
LANDMINE_CSV ?= ../shared/data/landmine/landmine.csv
# The split: random (per example, per task) or blocks (BLOCKS contiguous
# blocks per task in input order, GAP examples dropped after each boundary
# between parts). HAR's overlapping windows make blocks its default.
SPLIT    ?= $(if $(filter har,$(DATA)),blocks,random)
BLOCKS   ?= 10
GAP      ?= 1
# Standardize x by the training split's mean and std (Landmine's raw features).
STANDARDIZE ?= $(if $(filter landmine,$(DATA)),1,)
# The synthetic data's seed (SEED otherwise sets the split and initialisation).
DATA_SEED ?= $(SEED)
# Selection arms retrain from scratch, or warm-start from the full model (warm).
RETRAIN_FROM ?= scratch
# Seeds of make experiment: REPEATS runs with SEED, SEED+1, … (split and init).
REPEATS  ?= 1
# Extra selection variants of make experiment at each of FRACTIONS: own (the
# target's own examples are candidates too); sig (only examples whose score
# stands MIN_T standard errors above 0 over the target's validation points).
VARIANTS ?=
MIN_T    ?= 2
# VAL_SPLIT=halves: the scores see one seeded half of each task's validation
# split (val-score.ndjson) and the experiment's validation evaluations, which
# mtif@val chooses by, the other half (val-choose.ndjson); whole: both see all.
VAL_SPLIT ?= whole
FRACTIONS    ?= 0.1 0.25 0.5
RANDOM_SEEDS ?= 1 2 3
RELATE_METHODS     ?= mtif loto cosine tag vmtl
WHOLE_TASK_METHODS ?= loto cosine tag vmtl
VMTLFLAGS   ?=
TAGFLAGS    ?=
SOFT_HIDDEN ?=
RUN      ?= runs/$(notdir $(basename $(DATA)))-$(SHARING)-seed$(SEED)$(if $(TASKS),-$(subst $(comma),_,$(TASKS)))

BIN     := .build/release
TOOLS   := $(addprefix $(BIN)/,mtif-data mtif-train mtif-eval mtif-grad mtif-ihvp mtif-influence mtif-select mtif-bench mtif-relate)
comma   := ,
empty   :=
space   := $(empty) $(empty)
SOURCES := Package.swift $(shell find Sources -name '*.swift')
TRAINFLAGS := --sharing $(SHARING) --hidden=$(HIDDEN) --lambda $(LAMBDA) --coupling $(COUPLING) \
              --tol $(TOL) --max-iter $(MAXITER) --seed $(SEED)
IHVPFLAGS  := --solver $(SOLVER) $(if $(DAMPING),--damping $(DAMPING),)

# LEAVE_OUT=literal retrains on the smaller set (the task's other examples
# gain weight); LEAVE_OUT=fixed drops the examples' terms and keeps every
# other weight (mtif-train --exclude-weights original), what a score linearises.
ifeq ($(LEAVE_OUT),literal)
GT :=
else ifeq ($(LEAVE_OUT),fixed)
GT := -fixed
else
$(error LEAVE_OUT must be literal or fixed, found '$(LEAVE_OUT)')
endif
EXCLUDE_WEIGHTS := $(if $(GT),original,renormalized)

.PHONY: help build test install fuzz experiment bench data train eval scores shards validate figure figure1 linearity relate clean

help: ## help: list the targets and the settings they read
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^[a-z-]+:.*## /  /'
	@echo
	@echo "settings: DATA=$(DATA) SEED=$(SEED) SHARING=$(SHARING) HIDDEN=$(HIDDEN) LAMBDA=$(LAMBDA)"
	@echo "          COUPLING=$(COUPLING) TOL=$(TOL) MAXITER=$(MAXITER) TASKS=$(TASKS) SOLVER=$(SOLVER) DAMPING=$(DAMPING)"
	@echo "          LOO=$(LOO) LDS=$(LDS) RETRAIN=$(RETRAIN) SYNTH=$(SYNTH) JOBS=$(JOBS) SHARDS=$(SHARDS) RUN=$(RUN)"
	@echo "          LEAVE_OUT=$(LEAVE_OUT) TEST_POINTS=$(TEST_POINTS) FIGURE_TASK=$(FIGURE_TASK) LINEARITY_FRACTIONS=$(LINEARITY_FRACTIONS)"
	@echo "          RELATE_METHODS=$(RELATE_METHODS) WHOLE_TASK_METHODS=$(WHOLE_TASK_METHODS) VMTLFLAGS=$(VMTLFLAGS) TAGFLAGS=$(TAGFLAGS) SOFT_HIDDEN=$(SOFT_HIDDEN)"
	@echo "          SPLIT=$(SPLIT) BLOCKS=$(BLOCKS) GAP=$(GAP) STANDARDIZE=$(STANDARDIZE) DATA_SEED=$(DATA_SEED) REPEATS=$(REPEATS)"
	@echo "          RETRAIN_FROM=$(RETRAIN_FROM) VARIANTS=$(VARIANTS) VAL_SPLIT=$(VAL_SPLIT) FRACTIONS=$(FRACTIONS) RANDOM_SEEDS=$(RANDOM_SEEDS)"

build: $(TOOLS) ## build: release build of every tool (-Ounchecked, AVX2/FMA)

# NO_BUILD=1 takes the built tools as they are: the tests set it, because a
# nested swift build would wait forever for the lock that swift test holds.
$(TOOLS) &: $(if $(NO_BUILD),,$(SOURCES))
	swift build -c release
	@touch $(TOOLS)

# The touch marks every tool current (swift build relinks only what changed).
test: ## test: build the tools and run every test (unit and end-to-end)
	swift build -c release --build-tests
	@touch $(TOOLS)
	swift test -c release --skip-build

# The release tools into $(PREFIX)/bin (DESTDIR for staged installs), mode 755.
PREFIX  ?= /usr/local
DESTDIR ?=
install: $(TOOLS) ## install: copy the release tools to $(DESTDIR)$(PREFIX)/bin (PREFIX=/usr/local)
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 755 $(TOOLS) "$(DESTDIR)$(PREFIX)/bin/"
	@echo "install: $(words $(TOOLS)) tools in $(DESTDIR)$(PREFIX)/bin" >&2

# Speed and memory of every stage against the machine's FMA peak and our GEMM
# rate: HAR-shaped generated data at 1× and 4× the 7,352 examples, the real
# HAR when $(HAR_CSV) exists, and make experiment on the 1× data.
BENCH_DIR   ?= runs/bench
BENCH_FLAGS ?=
bench: $(TOOLS) ## bench: time every stage (1× and 4× HAR-shaped, real HAR if present) → $(BENCH_DIR)/bench.ndjson
	$(BIN)/mtif-bench --tools $(BIN) --dir $(BENCH_DIR) --experiment . \
	  $(if $(wildcard $(HAR_CSV)),--har $(HAR_CSV)) $(BENCH_FLAGS) -o $(BENCH_DIR)/bench.ndjson
	@echo "bench: records in $(BENCH_DIR)/bench.ndjson" >&2

# libFuzzer over the readers, from Fuzz/ (its own package, so `make test` never
# needs -sanitize=fuzzer); crashing inputs land in Fuzz/findings/.
FUZZ_SECONDS ?= 300
fuzz: ## fuzz: libFuzzer on the NDJSON, CSV and safetensors readers, FUZZ_SECONDS (300) each
	for format in ndjson csv safetensors; do scripts/fuzz.sh $$format $(FUZZ_SECONDS); done

# The main job: every target task k gets plain MTL, single-task training, MTIF
# selection at each of FRACTIONS, random removal of the same counts (one per
# RANDOM_SEEDS) and whole-task removal, each retrained and evaluated on k's test
# split; then a table, NDJSON results and a Markdown report with two pictures.
# Each arm is its own file, so an interrupted run resumes where it stopped.
# REPEATS=n > 1 runs it for seeds SEED … SEED+n−1 (each its own RUN; the
# synthetic data keep DATA_SEED), without the validation retrainings, and
# summarises them together in $(REPEAT_DIR): intervals over the repeats and
# paired tests across targets.
experiment: ## experiment: the main job on $(DATA): all arms for every target, results table and report (REPEATS seeds)
ifeq ($(REPEATS),1)
	$(MAKE) --no-print-directory -j$(JOBS) $(EXP)/report.md
	@echo "experiment: report $(EXP)/report.md, results $(EXP)/summary.ndjson" >&2
else
	for s in $(REPEAT_SEEDS); do \
	  $(MAKE) --no-print-directory -j$(JOBS) SEED=$$s DATA_SEED=$(DATA_SEED) RUN=$(call seed_run,$$s) \
	    $(call seed_run,$$s)/experiment-$(SOLVER)/results.ndjson; done
	$(MAKE) --no-print-directory $(REPEAT_DIR)/report.md
	@echo "experiment: report $(REPEAT_DIR)/report.md, results $(REPEAT_DIR)/summary.ndjson" >&2
endif

# --- the pipeline on $(DATA) -------------------------------------------------

data: $(RUN)/train.ndjson ## data: generate and split the data set into $(RUN)/{train,val,test}.ndjson

$(RUN)/all.ndjson: $(TOOLS)
	@mkdir -p $(@D)
ifeq ($(DATA),synth)
	$(BIN)/mtif-data synth --seed $(DATA_SEED) $(SYNTH) $(QUIET) -o $@
else ifeq ($(DATA),har)
	zcat $(HAR_CSV) | $(BIN)/mtif-data csv --task subject --label activity --task-prefix s $(QUIET) -o $@
else ifeq ($(DATA),landmine)
	$(BIN)/mtif-data csv --task field --label label --label-kind index --task-prefix f $(QUIET) $(LANDMINE_CSV) -o $@
else
	cp $(DATA) $@
endif

# TASKS (the tasks trained jointly) restricts every split, so each stage sees only them.
# SPLIT=blocks cuts each task in input order (time); STANDARDIZE=1 scales x
# by the training split's statistics.
SPLITFLAGS := $(if $(filter blocks,$(SPLIT)),--blocks $(BLOCKS) --gap $(GAP),$(if $(filter random,$(SPLIT)),,$(error SPLIT must be random or blocks, found '$(SPLIT)')))
$(RUN)/train.ndjson $(RUN)/val.ndjson $(RUN)/test.ndjson &: $(RUN)/all.ndjson
ifeq ($(STANDARDIZE),)
	$(BIN)/mtif-data split --seed $(SEED) $(SPLITFLAGS) --prefix $(RUN)/ $(if $(TASKS),--tasks $(TASKS)) $(QUIET) $<
else
	$(BIN)/mtif-data split --seed $(SEED) $(SPLITFLAGS) --prefix $(RUN)/raw- $(if $(TASKS),--tasks $(TASKS)) $(QUIET) $<
	for part in val test train; do \
	  $(BIN)/mtif-data standardize --fit $(RUN)/raw-train.ndjson $(QUIET) $(RUN)/raw-$$part.ndjson -o $(RUN)/$$part.ndjson; done
	rm -f $(RUN)/raw-train.ndjson $(RUN)/raw-val.ndjson $(RUN)/raw-test.ndjson
endif

train: $(RUN)/params.safetensors ## train: fit the multitask model on the training split

$(RUN)/params.safetensors: $(RUN)/train.ndjson
	$(BIN)/mtif-train $(TRAINFLAGS) $(QUIET) $< -o $@

eval: $(RUN)/eval.ndjson ## eval: per-task test loss and accuracy of the trained model
	@cat $<

$(RUN)/eval.ndjson: $(RUN)/params.safetensors $(RUN)/test.ndjson
	$(BIN)/mtif-eval $(QUIET) $^ -o $@

scores: $(RUN)/scores-$(SOLVER).ndjson ## scores: MTIF scores of every training example on every task's validation loss, and R(l→k)

# Right-hand sides: the per-task mean validation gradients ∇V_k (of the
# scoring half with VAL_SPLIT=halves).
ifeq ($(VAL_SPLIT),halves)
SCORE_VAL  := $(RUN)/val-score.ndjson
CHOOSE_VAL := $(RUN)/val-choose.ndjson
else ifeq ($(VAL_SPLIT),whole)
SCORE_VAL  := $(RUN)/val.ndjson
CHOOSE_VAL := $(RUN)/val.ndjson
else
$(error VAL_SPLIT must be whole or halves, found '$(VAL_SPLIT)')
endif

$(RUN)/val-score.ndjson $(RUN)/val-choose.ndjson &: $(RUN)/val.ndjson
	$(BIN)/mtif-data sample --fraction 0.5 --seed $(SEED) $(QUIET) $< -o $(RUN)/val-score.ndjson
	$(BIN)/mtif-data sample --fraction 0.5 --seed $(SEED) --complement $(QUIET) $< -o $(RUN)/val-choose.ndjson

$(RUN)/rhs.safetensors: $(RUN)/params.safetensors $(SCORE_VAL)
	$(BIN)/mtif-grad --mean-by-task $(QUIET) $^ -o $@

$(RUN)/ihvp-$(SOLVER).safetensors: $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/rhs.safetensors
	$(BIN)/mtif-ihvp $(IHVPFLAGS) $(QUIET) $^ -o $@

$(RUN)/scores-$(SOLVER).ndjson $(RUN)/matrix-$(SOLVER).ndjson &: $(RUN)/ihvp-$(SOLVER).safetensors $(RUN)/params.safetensors $(RUN)/train.ndjson
	$(BIN)/mtif-grad $(QUIET) $(RUN)/params.safetensors $(RUN)/train.ndjson \
	  | $(BIN)/mtif-influence $(QUIET) --matrix $(RUN)/matrix-$(SOLVER).ndjson $< -o $(RUN)/scores-$(SOLVER).ndjson

# The same scores as SHARDS independent processes (--shard i/SHARDS, 0-based),
# JOBS at a time, concatenated in shard order: byte for byte the scores file
# of `make scores` (only shard 0 writes the meta line).
SHARD_DIR   = $(RUN)/shards-$(SOLVER)-$(SHARDS)
SHARD_FILES = $(foreach i,$(shell seq 0 $$(( $(SHARDS) - 1 ))),$(SHARD_DIR)/scores.$(i).ndjson)

shards: ## shards: the scores as SHARDS processes run JOBS at a time (make -j), concatenated into $(RUN)/scores-$(SOLVER).sharded.ndjson
	$(MAKE) --no-print-directory -j$(JOBS) $(RUN)/scores-$(SOLVER).sharded.ndjson

$(SHARD_DIR)/scores.%.ndjson: $(RUN)/ihvp-$(SOLVER).safetensors $(RUN)/params.safetensors $(RUN)/train.ndjson
	@mkdir -p $(@D)
	$(BIN)/mtif-grad $(QUIET) --shard $*/$(SHARDS) $(RUN)/params.safetensors $(RUN)/train.ndjson \
	  | $(BIN)/mtif-influence $(QUIET) $< -o $@

$(RUN)/scores-$(SOLVER).sharded.ndjson: $(SHARD_FILES)
	cat $^ > $@.tmp && mv $@.tmp $@

validate: $(RUN)/validate-$(SOLVER)$(GT).ndjson ## validate: scores vs brute-force retraining (LOO, leave-one-task-out, LDS), noise floor; LEAVE_OUT=literal|fixed

# Ground truth, independent of the solver: LOO examples, every task left out,
# LDS random halves; each effect with its error bar (one more Newton step).

# Single test points too: TEST_POINTS validation examples of every task, each
# its own target (scored like make figure's); every leave-one-out retrain is
# also measured on them (its Newton step reused for their error bars).
$(RUN)/points.ndjson: $(RUN)/val.ndjson
	$(BIN)/mtif-data sample -q --count $(TEST_POINTS) --per-task --seed $(SEED) $< -o $@

$(RUN)/rhs-points.safetensors: $(RUN)/params.safetensors $(RUN)/points.ndjson
	$(BIN)/mtif-grad --dense $(QUIET) $^ -o $@

$(RUN)/ihvp-points-$(SOLVER).safetensors: $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/rhs-points.safetensors
	$(BIN)/mtif-ihvp $(IHVPFLAGS) $(QUIET) $^ -o $@

$(RUN)/scores-points-$(SOLVER).ndjson: $(RUN)/ihvp-points-$(SOLVER).safetensors $(RUN)/params.safetensors $(RUN)/train.ndjson
	$(BIN)/mtif-grad $(QUIET) $(RUN)/params.safetensors $(RUN)/train.ndjson | $(BIN)/mtif-influence $(QUIET) $< -o $@

$(RUN)/effects$(GT).ndjson $(RUN)/effects-points$(GT).ndjson &: $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/val.ndjson $(RUN)/points.ndjson scripts/retrain-effects.sh
	scripts/retrain-effects.sh --exclude-weights $(EXCLUDE_WEIGHTS) --work $(RUN)/retrain$(GT) \
	  --points $(RUN)/points.ndjson --points-out $(RUN)/effects-points$(GT).ndjson \
	  $(BIN) $(RUN) $(LOO) $(LDS) $(SEED) $(JOBS) -- $(TRAINFLAGS) $(RETRAIN) > $(RUN)/effects$(GT).ndjson

# Task means first, then the single test points (target_kind tells them apart);
# their pairs apart, pairs-points-$(SOLVER).ndjson (plot figure draws them).
$(RUN)/validate-$(SOLVER)$(GT).ndjson: $(RUN)/scores-$(SOLVER).ndjson $(RUN)/effects$(GT).ndjson $(RUN)/scores-points-$(SOLVER).ndjson $(RUN)/effects-points$(GT).ndjson
	$(BIN)/mtif-eval compare $(QUIET) $(word 1,$^) $(word 2,$^) --pairs $(RUN)/pairs-$(SOLVER)$(GT).ndjson -o $@.tasks.tmp
	$(BIN)/mtif-eval compare $(QUIET) $(word 3,$^) $(word 4,$^) --pairs $(RUN)/pairs-points-$(SOLVER)$(GT).ndjson -o $@.points.tmp
	cat $@.tasks.tmp $@.points.tmp > $@.tmp && mv $@.tmp $@ && rm -f $@.tasks.tmp $@.points.tmp
	@cat $@

# --- the paper's Figure 1 ----------------------------------------------------

# Single test points against leave-one-out retraining of EVERY training example
# of one task (FIGURE_TASK, default the first): TEST_POINTS validation examples
# of that task (within-task panel) and TEST_POINTS of the other tasks
# (between-task), drawn with SEED; scored with one right-hand side per test
# point (mtif-grad --dense | mtif-ihvp), retrained warm-started like validate.
FIG := $(RUN)/figure$(GT)-n$(TEST_POINTS)$(if $(FIGURE_TASK),-$(FIGURE_TASK))

figure: $(FIG)/figure-$(SOLVER).svg ## figure: the paper's Figure 1 on $(DATA): LOO of every example of the first task vs MTIF, for TEST_POINTS test points per panel
	@echo "figure: $(FIG)/figure-$(SOLVER).svg, pairs $(FIG)/pairs-$(SOLVER).ndjson, correlations $(FIG)/agreement-$(SOLVER).ndjson" >&2

$(FIG)/test.ndjson $(FIG)/removed.ids &: $(RUN)/train.ndjson $(RUN)/val.ndjson scripts/figure-points.sh
	scripts/figure-points.sh $(BIN) $(RUN) $(FIG) $(TEST_POINTS) $(SEED) $(FIGURE_TASK)

$(FIG)/rhs.safetensors: $(RUN)/params.safetensors $(FIG)/test.ndjson
	$(BIN)/mtif-grad --dense $(QUIET) $^ -o $@

$(FIG)/ihvp-$(SOLVER).safetensors: $(RUN)/params.safetensors $(RUN)/train.ndjson $(FIG)/rhs.safetensors
	$(BIN)/mtif-ihvp $(IHVPFLAGS) $(QUIET) $^ -o $@

$(FIG)/scores-$(SOLVER).ndjson: $(FIG)/ihvp-$(SOLVER).safetensors $(RUN)/params.safetensors $(RUN)/train.ndjson
	$(BIN)/mtif-grad $(QUIET) $(RUN)/params.safetensors $(RUN)/train.ndjson | $(BIN)/mtif-influence $(QUIET) $< -o $@

$(FIG)/effects.ndjson: $(RUN)/params.safetensors $(FIG)/test.ndjson $(FIG)/removed.ids scripts/retrain-effects.sh
	scripts/retrain-effects.sh --ids $(FIG)/removed.ids --no-loto --eval $(FIG)/test.ndjson --per-example \
	  --exclude-weights $(EXCLUDE_WEIGHTS) --work $(FIG)/retrain $(BIN) $(RUN) 0 0 $(SEED) $(JOBS) -- $(TRAINFLAGS) $(RETRAIN) > $@

$(FIG)/pairs-$(SOLVER).ndjson $(FIG)/agreement-$(SOLVER).ndjson &: $(FIG)/scores-$(SOLVER).ndjson $(FIG)/effects.ndjson
	$(BIN)/mtif-eval compare $^ --pairs $(FIG)/pairs-$(SOLVER).ndjson -o $(FIG)/agreement-$(SOLVER).ndjson

$(FIG)/figure-$(SOLVER).svg: $(FIG)/pairs-$(SOLVER).ndjson
	$(BIN)/mtif-eval plot figure --label "$(notdir $(RUN))" $(QUIET) \
	  --title "LOO retraining vs MTIF ($(SOLVER)), single test points: $(notdir $(RUN))" $< -o $@

# The paper's four panels: make figure on the synthetic default and on HAR,
# each in its own run directory (the run name does not carry HIDDEN or LAMBDA).
FIGURE1_DIR   ?= runs/figure1
FIGURE1_SYNTH ?=
FIGURE1_HAR   ?= HIDDEN=64 LAMBDA=0.01
figure1: ## figure1: the paper's four panels in one SVG: make figure on synth and on HAR (FIGURE1_HAR: HIDDEN=64 LAMBDA=0.01)
	$(MAKE) --no-print-directory figure DATA=synth RUN=$(FIGURE1_DIR)/synth $(FIGURE1_SYNTH)
	$(MAKE) --no-print-directory figure DATA=har RUN=$(FIGURE1_DIR)/har $(FIGURE1_HAR)
	$(BIN)/mtif-eval plot figure --label synthetic --label "UCI HAR" $(QUIET) \
	  --title "Figure 1: leave-one-out retraining vs MTIF ($(SOLVER)), single test points" \
	  $(FIGURE1_DIR)/synth/$(notdir $(FIG))/pairs-$(SOLVER).ndjson $(FIGURE1_DIR)/har/$(notdir $(FIG))/pairs-$(SOLVER).ndjson \
	  -o $(FIGURE1_DIR)/figure1-$(SOLVER).svg
	@echo "figure1: $(FIGURE1_DIR)/figure1-$(SOLVER).svg" >&2

# --- linearity: from one example to a whole task ---------------------------

# Why leave-one-task-out agrees less than leave-one-out: for every task, retrain
# without a seeded fraction F of its examples (warm-started, weights as
# LEAVE_OUT says), for each F of LINEARITY_FRACTIONS, and correlate the actual
# effects with the summed scores. Agreement that falls as F grows measures how
# far the removal leaves the linear regime of an influence function. F = 1 is
# the whole task (make validate's leave-one-task-out retrains); one example is
# its loo.
LINEARITY_FRACTIONS ?= 0.1 0.25 0.5 0.75 1
LIN := $(RUN)/linearity$(GT)
linearity: $(LIN)/linearity-$(SOLVER).ndjson ## linearity: agreement vs the fraction of a task left out (LINEARITY_FRACTIONS), the step from loo to loto
	@echo "linearity: $(LIN)/linearity-$(SOLVER).ndjson" >&2

.PRECIOUS: $(LIN)/effects-%.ndjson $(LIN)/agreement-$(SOLVER)-%.ndjson
$(LIN)/effects-%.ndjson: $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/val.ndjson scripts/retrain-effects.sh
	@mkdir -p $(LIN)
	scripts/retrain-effects.sh --no-loto --groups $* --exclude-weights $(EXCLUDE_WEIGHTS) --work $(LIN)/retrain-$* \
	  $(BIN) $(RUN) 0 0 $(SEED) $(JOBS) -- $(TRAINFLAGS) $(RETRAIN) > $@

$(LIN)/effects-1.ndjson: $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/val.ndjson scripts/retrain-effects.sh
	@mkdir -p $(LIN)
	scripts/retrain-effects.sh --work $(LIN)/retrain-1 $(BIN) $(RUN) 0 0 $(SEED) $(JOBS) -- $(TRAINFLAGS) $(RETRAIN) > $@

$(LIN)/agreement-$(SOLVER)-%.ndjson: $(RUN)/scores-$(SOLVER).ndjson $(LIN)/effects-%.ndjson
	$(BIN)/mtif-eval compare $(QUIET) $^ --pairs $(LIN)/pairs-$(SOLVER)-$*.ndjson -o $@

# Every fraction's agreement records, each with its "fraction".
$(LIN)/linearity-$(SOLVER).ndjson: $(foreach f,$(LINEARITY_FRACTIONS),$(LIN)/agreement-$(SOLVER)-$(f).ndjson)
	for f in $(LINEARITY_FRACTIONS); do sed "s/^{/{\"fraction\":$$f,/" $(LIN)/agreement-$(SOLVER)-$$f.ndjson; done > $@.tmp && mv $@.tmp $@
	@grep -E '"experiment":"(group|loto)"' $@ | grep '"truth":"corrected"' | grep -v '"subset":"above_noise"' \
	  | sed -E 's/.*"fraction":([^,]*),.*"scope":"([a-z_]*)".*"pearson":([^,}]*).*"spearman":([^,}]*).*/fraction \1  \2  pearson \3  spearman \4/' >&2

# --- task relatedness: every method against leave-one-task-out ---------------

REL := $(RUN)/relate
RELATE := $(BIN)/mtif-relate $(QUIET)
RELFILES := $(RUN)/params.safetensors $(RUN)/train.ndjson $(RUN)/val.ndjson
# Wall seconds of a command, into the file $(1) (bash's EPOCHREALTIME).
STARTCLOCK = start=$$EPOCHREALTIME
STOPCLOCK  = awk -v a=$$start -v b=$$EPOCHREALTIME 'BEGIN { print b - a }' > $(1)

relate: ## relate: each of RELATE_METHODS' task matrix, agreement with leave-one-task-out, heatmaps and VMTL vs hard/soft accuracy → $(RUN)/relate/
	$(MAKE) --no-print-directory $(REL)/report.md
	@echo "relate: report $(REL)/report.md, records $(REL)/compare.ndjson, heatmaps $(REL)/heatmaps.svg" >&2

$(REL)/mtif.ndjson: $(RUN)/matrix-$(SOLVER).ndjson $(RUN)/ihvp-$(SOLVER).safetensors $(RELFILES)
	@mkdir -p $(@D)
	$(RELATE) --method mtif --matrix $< --ihvp $(RUN)/ihvp-$(SOLVER).safetensors $(RELFILES) -o $@

$(REL)/loto.ndjson $(REL)/cosine.ndjson: $(REL)/%.ndjson: $(RELFILES)
	@mkdir -p $(@D)
	$(RELATE) --method $* --tol $(TOL) --max-iter $(MAXITER) $(RELFILES) -o $@

$(REL)/tag.ndjson: $(RELFILES)
	@mkdir -p $(@D)
	$(RELATE) --method tag --tol $(TOL) --max-iter $(MAXITER) $(TAGFLAGS) $(RELFILES) -o $@

# VMTL trains its own model (hard-sharing trunk, variational heads); its wall
# time is measured here and handed to mtif-relate for the cost record.
$(REL)/vmtl.safetensors: $(RUN)/train.ndjson
	@mkdir -p $(@D)
	$(STARTCLOCK); $(BIN)/mtif-train $(QUIET) --sharing vmtl --hidden=$(HIDDEN) --lambda $(LAMBDA) --seed $(SEED) $(VMTLFLAGS) $< -o $@; \
	  $(call STOPCLOCK,$(REL)/vmtl.seconds)

$(REL)/vmtl.ndjson: $(REL)/vmtl.safetensors $(RUN)/train.ndjson $(RUN)/val.ndjson
	$(RELATE) --method vmtl --seconds $$(cat $(REL)/vmtl.seconds) $^ -o $@

# Test accuracy of the three multitask models: hard sharing, soft sharing
# (linear task models unless SOFT_HIDDEN), VMTL.
$(REL)/hard.safetensors: $(RUN)/train.ndjson $(RUN)/params.safetensors
	@mkdir -p $(@D)
	$(if $(filter hard,$(SHARING)),cp $(RUN)/params.safetensors $@,$(BIN)/mtif-train $(QUIET) $(TRAINFLAGS) --sharing hard --hidden=$(HIDDEN) $< -o $@)

$(REL)/soft.safetensors: $(RUN)/train.ndjson
	@mkdir -p $(@D)
	$(BIN)/mtif-train $(QUIET) $(TRAINFLAGS) --sharing soft --hidden=$(SOFT_HIDDEN) $< -o $@

$(REL)/accuracy.ndjson: $(REL)/hard.safetensors $(REL)/soft.safetensors $(REL)/vmtl.safetensors $(RUN)/test.ndjson
	for model in hard soft vmtl; do \
	  $(BIN)/mtif-eval -q --tag model=$$model $(REL)/$$model.safetensors $(RUN)/test.ndjson; done > $@.tmp && mv $@.tmp $@

$(REL)/report.md $(REL)/compare.ndjson $(REL)/heatmaps.svg &: $(addprefix $(REL)/,$(addsuffix .ndjson,loto $(filter-out loto,$(RELATE_METHODS)))) $(REL)/accuracy.ndjson
	$(RELATE) compare --truth $(RUN)/train.ndjson --svg $(REL)/heatmaps.svg --markdown $(REL)/report.md \
	  --accuracy $(REL)/accuracy.ndjson --title "Task relatedness vs leave-one-task-out: $(DATA), $(SHARING) sharing, hidden $(HIDDEN), λ $(LAMBDA), seed $(SEED)" \
	  $(REL)/loto.ndjson $(addprefix $(REL)/,$(addsuffix .ndjson,$(filter-out loto,$(RELATE_METHODS)))) -o $(REL)/compare.ndjson

# --- the experiment ----------------------------------------------------------

EXP := $(RUN)/experiment-$(SOLVER)

# The target tasks: TASKS, else every task of the training split (a generated
# makefile, read only when an experiment file is being made).
ifneq ($(filter experiment $(EXP)/%,$(MAKECMDGOALS)),)
-include $(RUN)/targets.mk
endif
TARGETS ?=

$(RUN)/targets.mk: $(RUN)/train.ndjson
	echo "TARGETS := $$($(BIN)/mtif-data stats $< | sed -n 's/^{"type":"task","task":"\([^"]*\)".*/\1/p' | paste -sd' ')" > $@

SCORES := $(RUN)/scores-$(SOLVER).ndjson
SELECT := $(BIN)/mtif-select -q
EVAL    = $(BIN)/mtif-eval -q --tasks $(1) --tag target=$(1)
# Evaluation of model $(3) for target $(1), tags $(2), on the test split and,
# tagged split=val, on the validation split (which mtif@val chooses by).
EVAL2   = { $(call EVAL,$(1)) $(2) $(3) $(RUN)/test.ndjson; $(call EVAL,$(1)) $(2) --tag split=val $(3) $(CHOOSE_VAL); }
# Retraining of a selection arm: from scratch, or warm-started from the full model.
ifeq ($(RETRAIN_FROM),warm)
RETRAINFLAGS := $(TRAINFLAGS) --init $(RUN)/params.safetensors
RETRAIN_DEP  := $(RUN)/params.safetensors
else ifeq ($(RETRAIN_FROM),scratch)
RETRAINFLAGS := $(TRAINFLAGS)
RETRAIN_DEP  :=
else
$(error RETRAIN_FROM must be scratch or warm, found '$(RETRAIN_FROM)')
endif

# Rules of one target $(1): plain MTL, single task, whole-task removal.
define target_rules
$(EXP)/$(1)/mtl.ndjson: $(RUN)/params.safetensors $(RUN)/test.ndjson $(CHOOSE_VAL)
	@mkdir -p $$(@D)
	$(call EVAL2,$(1),--tag arm=mtl,$(RUN)/params.safetensors) > $$@.tmp && mv $$@.tmp $$@

$(EXP)/$(1)/single.ndjson: $(RUN)/train.ndjson $(RUN)/test.ndjson $(CHOOSE_VAL)
	@mkdir -p $$(@D)
	$(BIN)/mtif-train -q $(TRAINFLAGS) --tasks $(1) $$< -o $(EXP)/$(1)/single.safetensors
	$(call EVAL2,$(1),--tag arm=single,$(EXP)/$(1)/single.safetensors) > $$@.tmp && mv $$@.tmp $$@

$(EXP)/$(1)/whole_tasks.ndjson: $(SCORES) $(RUN)/train.ndjson $(RUN)/test.ndjson $(RETRAIN_DEP)
	@mkdir -p $$(@D)
	$(SELECT) --target $(1) --whole-tasks --tag arm=whole_tasks --tag target=$(1) \
	  --report $(EXP)/$(1)/whole_tasks.report.ndjson $(SCORES) $(RUN)/train.ndjson -o $(EXP)/$(1)/whole_tasks.train.ndjson
	$(BIN)/mtif-train -q $(RETRAINFLAGS) $(EXP)/$(1)/whole_tasks.train.ndjson -o $(EXP)/$(1)/whole_tasks.safetensors
	$(call EVAL2,$(1),--tag arm=whole_tasks,$(EXP)/$(1)/whole_tasks.safetensors) > $$@.tmp
	cat $(EXP)/$(1)/whole_tasks.report.ndjson >> $$@.tmp && mv $$@.tmp $$@
endef

# Whole-task removal for target $(1) driven by method $(2)'s matrix (mtif-relate).
define relate_arm_rules
$(EXP)/$(1)/whole_tasks_$(2).ndjson: $(SCORES) $(REL)/$(2).ndjson $(RUN)/train.ndjson $(RUN)/test.ndjson $(RETRAIN_DEP)
	@mkdir -p $$(@D)
	$(SELECT) --target $(1) --whole-tasks --matrix $(REL)/$(2).ndjson --tag arm=whole_tasks_$(2) --tag target=$(1) \
	  --report $$(basename $$@).report.ndjson $(SCORES) $(RUN)/train.ndjson -o $$(basename $$@).train.ndjson
	$(BIN)/mtif-train -q $(RETRAINFLAGS) $$(basename $$@).train.ndjson -o $$(basename $$@).safetensors
	$(call EVAL2,$(1),--tag arm=whole_tasks_$(2),$$(basename $$@).safetensors) > $$@.tmp
	cat $$(basename $$@).report.ndjson >> $$@.tmp && mv $$@.tmp $$@
endef

# VARIANTS=sig: every validation example of the targets (the scoring half)
# is its own right-hand side, solved to 1e-4 (a t statistic needs no more),
# and every training example scored against each; the file name carries a
# checksum of TARGETS, so another target list makes its own.
POINTS_TAG    := $(shell echo '$(TARGETS)' | cksum | cut -d' ' -f1)
TARGET_POINTS := $(RUN)/target-points-$(POINTS_TAG).ndjson
POINT_SCORES  := $(RUN)/point-scores-$(SOLVER)-$(POINTS_TAG).ndjson

# Made by pattern rules, so make would delete them as intermediates.
.PRECIOUS: $(RUN)/target-points-%.ndjson $(RUN)/point-scores-$(SOLVER)-%.ndjson

$(RUN)/target-points-%.ndjson: $(SCORE_VAL) | $(RUN)/targets.mk
	$(BIN)/mtif-data sample -q --fraction 1 --tasks $(subst $(space),$(comma),$(strip $(TARGETS))) $< -o $@

$(RUN)/point-scores-$(SOLVER)-%.ndjson: $(RUN)/target-points-%.ndjson $(RUN)/params.safetensors $(RUN)/train.ndjson
	$(BIN)/mtif-grad --dense $(QUIET) $(RUN)/params.safetensors $< -o $(RUN)/rhs-points-$*.safetensors
	$(BIN)/mtif-ihvp $(IHVPFLAGS) --tol 1e-4 $(QUIET) $(RUN)/params.safetensors $(RUN)/train.ndjson \
	  $(RUN)/rhs-points-$*.safetensors -o $(RUN)/ihvp-points-$(SOLVER)-$*.safetensors
	$(BIN)/mtif-grad $(QUIET) $(RUN)/params.safetensors $(RUN)/train.ndjson \
	  | $(BIN)/mtif-influence $(QUIET) $(RUN)/ihvp-points-$(SOLVER)-$*.safetensors -o $@
	rm -f $(RUN)/rhs-points-$*.safetensors $(RUN)/ihvp-points-$(SOLVER)-$*.safetensors

# Rules of one target $(1), one budget $(2), one selection rule $(3) (mtif,
# random, or a variant: mtif_own, mtif_sig) with seed $(4): select, retrain
# (RETRAIN_FROM), evaluate on test and validation.
VARIANT_FLAGS = $(if $(filter mtif_own,$(1)),--candidates all,)$(if $(filter mtif_sig,$(1)),--min-t $(MIN_T) --point-scores $(POINT_SCORES) --points $(TARGET_POINTS),)
VARIANT_DEPS  = $(if $(filter mtif_sig,$(1)),$(POINT_SCORES) $(TARGET_POINTS),)
define arm_rules
$(EXP)/$(1)/$(3)-$(2)$(if $(4),-s$(4)).ndjson: $(SCORES) $(RUN)/train.ndjson $(RUN)/test.ndjson $(CHOOSE_VAL) $(RETRAIN_DEP) $(call VARIANT_DEPS,$(3))
	@mkdir -p $$(@D)
	$(SELECT) --target $(1) --fraction $(2) $(if $(4),--random --seed $(4)) $(call VARIANT_FLAGS,$(3)) \
	  --tag arm=$(3) --tag target=$(1) --tag budget=$(2) \
	  --report $$(basename $$@).report.ndjson $(SCORES) $(RUN)/train.ndjson -o $$(basename $$@).train.ndjson
	$(BIN)/mtif-train -q $(RETRAINFLAGS) $$(basename $$@).train.ndjson -o $$(basename $$@).safetensors
	$(call EVAL2,$(1),--tag arm=$(3) --tag budget=$(2) $(if $(4),--tag seed=$(4)),$$(basename $$@).safetensors) > $$@.tmp
	cat $$(basename $$@).report.ndjson >> $$@.tmp && mv $$@.tmp $$@
endef

ARM_FILES := $(foreach k,$(TARGETS),$(EXP)/$(k)/mtl.ndjson $(EXP)/$(k)/single.ndjson $(EXP)/$(k)/whole_tasks.ndjson \
  $(foreach m,$(WHOLE_TASK_METHODS),$(EXP)/$(k)/whole_tasks_$(m).ndjson) \
  $(foreach f,$(FRACTIONS),$(EXP)/$(k)/mtif-$(f).ndjson $(foreach s,$(RANDOM_SEEDS),$(EXP)/$(k)/random-$(f)-s$(s).ndjson) \
    $(foreach v,$(VARIANTS),$(EXP)/$(k)/mtif_$(v)-$(f).ndjson)))

$(foreach k,$(TARGETS),$(eval $(call target_rules,$(k))) \
  $(foreach m,$(WHOLE_TASK_METHODS),$(eval $(call relate_arm_rules,$(k),$(m)))) \
  $(foreach f,$(FRACTIONS),$(eval $(call arm_rules,$(k),$(f),mtif,)) \
    $(foreach v,$(VARIANTS),$(eval $(call arm_rules,$(k),$(f),mtif_$(v),))) \
    $(foreach s,$(RANDOM_SEEDS),$(eval $(call arm_rules,$(k),$(f),random,$(s))))))

$(EXP)/results.ndjson: $(ARM_FILES) | $(RUN)/targets.mk
	@echo "results: $(words $^) arm files of $(words $(TARGETS)) targets → $@" >&2
	@cat $^ > $@

$(EXP)/heatmap.svg: $(RUN)/matrix-$(SOLVER).ndjson
	@mkdir -p $(@D)
	$(BIN)/mtif-eval plot heatmap --title "MTIF task relatedness R(l→k), $(DATA), $(SOLVER)" $< -o $@

$(EXP)/scatter.svg: $(RUN)/validate-$(SOLVER).ndjson
	@mkdir -p $(@D)
	$(BIN)/mtif-eval plot scatter --title "predicted vs actual effect, $(DATA), $(SOLVER)" $(RUN)/pairs-$(SOLVER).ndjson -o $@

$(EXP)/report.md $(EXP)/summary.ndjson &: $(EXP)/results.ndjson $(RUN)/validate-$(SOLVER).ndjson $(EXP)/heatmap.svg $(EXP)/scatter.svg
	$(BIN)/mtif-eval summarize $< --agreement $(RUN)/validate-$(SOLVER).ndjson --heatmap $(EXP)/heatmap.svg \
	  --scatter $(EXP)/scatter.svg --title "MTIF experiment: $(DATA), $(SHARING) sharing, $(SOLVER)" \
	  --markdown $(EXP)/report.md -o $(EXP)/summary.ndjson

# --- repeats: the experiment over REPEATS seeds -------------------------------

REPEAT_SEEDS := $(shell seq $(SEED) $$(( $(SEED) + $(REPEATS) - 1 )))
# The run directory of seed $(1): RUN's name with the seed replaced.
seed_run = $(subst -seed$(SEED),-seed$(1),$(RUN))
REPEAT_DIR ?= $(RUN)-repeats$(REPEATS)/experiment-$(SOLVER)
REPEAT_RESULTS := $(foreach s,$(REPEAT_SEEDS),$(call seed_run,$(s))/experiment-$(SOLVER)/results.ndjson)

# Every record of seed s's results, tagged "repeat":"s".
$(REPEAT_DIR)/results.ndjson: $(REPEAT_RESULTS)
	@mkdir -p $(@D)
	for s in $(REPEAT_SEEDS); do \
	  sed 's/^{/{"repeat":"'$$s'",/' $(call seed_run,$$s)/experiment-$(SOLVER)/results.ndjson; done > $@.tmp && mv $@.tmp $@

$(REPEAT_DIR)/report.md $(REPEAT_DIR)/summary.ndjson $(REPEAT_DIR)/deltas.svg &: $(REPEAT_DIR)/results.ndjson $(TOOLS)
	$(BIN)/mtif-eval summarize $< --deltas $(REPEAT_DIR)/deltas.svg \
	  --title "MTIF experiment: $(DATA), $(SHARING) sharing, $(SOLVER), $(REPEATS) repeats (seeds $(firstword $(REPEAT_SEEDS))–$(lastword $(REPEAT_SEEDS)))" \
	  --markdown $(REPEAT_DIR)/report.md -o $(REPEAT_DIR)/summary.ndjson

clean: ## clean: remove the runs/ directory (not the build)
	rm -rf runs
