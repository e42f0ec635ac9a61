# Lifeboat. Start with `make demo` (Lifeboat end to end on a local control plane) and
# `make test` (everything CI runs). Node 24 comes from node_modules (npm package node@24),
# so every target runs on it whatever `node` the machine has.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE := $(CURDIR)/node_modules/.bin/node
JEST := NODE_OPTIONS=--experimental-vm-modules $(NODE) node_modules/jest/bin/jest.js

.PHONY: all deps build lint typecheck unit integration test testbin testenv-up testenv-down crds demo e2e-kind bench bench-deps bench-runner bench-operator bench-scale images clean

all: build

# npm packages (npm ci when the lock file changed) and the Debian tools the tests use.
deps: node_modules/.deps-stamp
	@bash hack/system-deps.sh

node_modules/.deps-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: deps
	$(NODE) node_modules/typescript/bin/tsc -p tsconfig.build.json

typecheck: deps
	$(NODE) node_modules/typescript/bin/tsc -p tsconfig.json --noEmit

lint: deps
	$(NODE) node_modules/eslint/bin/eslint.js --max-warnings=0 .

# The real servers the tests run against, built from Go modules into a cache outside the repo.
testbin:
	@bash hack/testbin/build.sh

unit: deps
	$(JEST) --selectProjects unit

integration: build testbin images
	$(JEST) --selectProjects integration

# What CI runs: lint, typecheck, then every unit and integration test against the real
# control plane, PostgreSQL and S3 server; ends with a one-line summary.
test: build lint typecheck testbin images
	@rm -f .jest-results.json
	$(JEST) --json --outputFile=.jest-results.json || true
	@$(NODE) hack/test-summary.ts .jest-results.json

# The operator and runner images as OCI layouts in build/images/, from Debian packages and dist/,
# without Docker (docs/images.md). The Debian root file systems are cached.
images: build
	@bash hack/images/build.sh

crds: deps
	$(NODE) hack/gen-crds.ts

testenv-up: build testbin
	@$(NODE) test/env/cli.ts up

testenv-down: deps
	@$(NODE) test/env/cli.ts down

# Every benchmark in turn (they share two cores, so never in parallel), then one table of their
# ratios against the goals and the scale figures (bench/report.ts, from build/bench/*.json).
# Not part of `make test`: the datasets take minutes to generate. docs/benchmarks.md has the figures.
bench:
	@rm -rf build/bench
	$(MAKE) bench-runner bench-operator bench-scale
	@$(NODE) bench/report.ts

# The peers the benchmarks race (rclone, a Debian package); not needed by `make test`.
bench-deps: deps
	@bash hack/bench-deps.sh

# Runner speed as ratios against baselines and peers measured in the same run (docs/benchmarks.md).
bench-runner: build testbin bench-deps
	$(NODE) bench/runner-postgres.ts
	$(NODE) bench/runner-postgres-restore.ts
	$(NODE) bench/runner-bucket.ts
	$(NODE) bench/runner-bucket-memory.ts

# Restore and drill through the operator against the test environment (docs/benchmarks.md):
# a RestoreRequest vs pg_restore from a local file, a DRDrillRun vs the RestoreRequest.
# Not part of `make test`: the 1 GiB dataset takes minutes to generate.
bench-operator: build testbin
	$(NODE) bench/operator-restore.ts

# The operator at scale: 500 BackupSchedules in 50 namespaces firing every minute (docs/benchmarks.md).
bench-scale: build testbin
	$(NODE) bench/operator-scale.ts

demo: build testbin images
	@bash hack/demo.sh

# The demo's story on a kind cluster with the images and the Helm chart, for machines with Docker
# and kind (hack/e2e-kind.sh). Not part of `make test`; its manifests are checked there.
e2e-kind: images
	@bash hack/e2e-kind.sh

clean:
	rm -rf dist .jest-results.json
