# Clyra's tasks. Run `bash .ci/just` (or `just`) to list them; `bash .ci/just RECIPE` to run one.

set shell := ["bash", "-euo", "pipefail", "-c"]

# cargo-fuzz targets in core/fuzz, each run by `just fuzz`
fuzz_targets := "jcs_parse dsse_decode bundle_read verify_bundle sql_guard genai_normalise policy_load"

# List the recipes with their descriptions
default:
    @{{just_executable()}} --justfile {{quote(justfile())}} --list --unsorted

# The dbt story on embedded DuckDB: venv, pip install './python[dbt]', the sample project built twice with a schema change, both bundles verified, the auditor view
demo:
    bash python/demo.sh

# Run `clyra demo` of the Rust CLI alone: a dbt schema change and an agent tool call sealed, verified, tampering caught
demo-cli:
    cargo run --release --locked -p clyra-cli -- demo

# Run every test: interop venv and npm modules, the gateway (with Redis), the S3 server of the ledger tests (versitygw, built from the Go module proxy), cargo test, go test, conformance, the Python package (wheel and sdist), pytest, stubtest, node (npx clyra-verify) and the verify page in headless Chromium, dbt e2e on DuckDB and PostgreSQL, the verify-bundle action, OSCAL attestation results in compliance-trestle, reports (daily review, PDFs rendered by poppler), signers (SoftHSM2, command), cargo-deny, a dry release, clippy, rustfmt (each stage prints its time; needs ../shared)
test:
    cargo clippy --version >/dev/null 2>&1 && cargo fmt --version >/dev/null 2>&1 || rustup component add clippy rustfmt
    if [ -f tests/interop/requirements.txt ]; then \
        bash .ci/stage interop-venv -- bash -c 'python3 -m venv tests/interop/.venv && tests/interop/.venv/bin/pip install -q --disable-pip-version-check -r tests/interop/requirements.txt'; \
    else \
        echo "stage interop-venv: skipped (no tests/interop/requirements.txt yet)"; \
    fi
    if [ -f tests/interop/package-lock.json ]; then \
        bash .ci/stage interop-npm -- npm ci --prefix tests/interop --no-audit --no-fund; \
    else \
        echo "stage interop-npm: skipped (no tests/interop/package-lock.json yet)"; \
    fi
    bash .ci/stage gateway -- bash -c 'command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server) && cargo test --locked -p clyra-gateway'
    bash .ci/stage signer-tools -- bash scripts/signers.sh install
    bash .ci/stage s3-server -- bash scripts/s3-server.sh install
    bash .ci/stage cargo-test -- cargo test --workspace --locked
    bash .ci/stage go-test -- bash -c 'cd verifier/go && go vet ./... && go test ./...'
    bash .ci/stage go-fuzz-brief -- bash -c 'cd verifier/go && go test -run="^$" -fuzz=FuzzParse -fuzztime=5s ./jcs && go test -run="^$" -fuzz=FuzzRead -fuzztime=5s ./container'
    bash .ci/stage jcs-differential -- bash -c 'cargo build -q --locked -p clyra-cli && (cd verifier/go && go build -o "${CARGO_TARGET_DIR:-../../target}/clyra-verify-go" ./cmd/clyra-verify-go) && python3 tests/conformance/jcs_errors.py "${CARGO_TARGET_DIR:-target}/debug/clyra" "${CARGO_TARGET_DIR:-target}/clyra-verify-go"'
    bash .ci/stage vectors-drift -- cargo run -q --locked -p clyra-vectorgen -- --out vectors --check
    bash .ci/stage python-package -- bash python/ci.sh package
    bash .ci/stage python-sdist -- bash python/ci.sh sdist
    bash .ci/stage pytest -- bash python/ci.sh pytest
    bash .ci/stage stubtest -- bash python/ci.sh stubtest
    bash .ci/stage node -- bash node/ci.sh node
    bash .ci/stage web-page -- bash node/ci.sh web
    bash .ci/stage web-big -- bash node/ci.sh big
    bash .ci/stage conformance -- bash -c 'bash node/ci.sh hosts && cargo build -q --locked -p clyra-cli && (cd verifier/go && go build -o "${CARGO_TARGET_DIR:-../../target}/clyra-verify-go" ./cmd/clyra-verify-go) && python3 tests/conformance/run.py'
    bash .ci/stage conformance-inputs -- bash -c 'cargo build -q --locked -p clyra-cli && (cd verifier/go && go build -o "${CARGO_TARGET_DIR:-../../target}/clyra-verify-go" ./cmd/clyra-verify-go) && python3 tests/conformance/inputs.py --big && python3 tests/conformance/memory.py'
    bash .ci/stage differential -- bash -c 'bash node/ci.sh hosts && cargo build -q --locked -p clyra-cli && (cd verifier/go && go build -o "${CARGO_TARGET_DIR:-../../target}/clyra-verify-go" ./cmd/clyra-verify-go) && python3 tests/differential/differential.py --seed 1 --json-cases 2000 --bundle-cases 300 --rust "${CARGO_TARGET_DIR:-target}/debug/clyra" --go "${CARGO_TARGET_DIR:-target}/clyra-verify-go" --node node/bin/clyra-verify.js'
    bash .ci/stage genai-accuracy -- bash -c 'python3 -m venv tests/genai/.data/venv && tests/genai/.data/venv/bin/pip install -q --disable-pip-version-check pyyaml==6.0.3 && tests/genai/.data/venv/bin/python tests/genai/build_dataset.py && cargo test --locked -p clyra-core --test genai_accuracy -- --ignored --nocapture'
    bash .ci/stage genai-generalization -- bash -c 'python3 -m venv tests/genai/.data/venv && tests/genai/.data/venv/bin/pip install -q --disable-pip-version-check pyyaml==6.0.3 && tests/genai/.data/venv/bin/python tests/genai/build_dataset.py && tests/genai/.data/venv/bin/python tests/genai/report.py --check'
    bash .ci/stage sql-corpus -- bash -c 'python3 -m venv tests/corpus/sql/.data/venv && tests/corpus/sql/.data/venv/bin/python tests/corpus/sql/report.py --check'
    bash .ci/stage e2e-duckdb -- bash python/ci.sh e2e-duckdb
    bash .ci/stage e2e-postgres -- bash python/ci.sh e2e-postgres
    bash .ci/stage verify-bundle-action -- bash -c 'cargo build -q --locked -p clyra-cli && python3 .github/actions/verify-bundle/test_verify_bundles.py'
    bash .ci/stage oscal-trestle -- bash -c 'python3 -m venv tests/oscal/.venv && tests/oscal/.venv/bin/pip install -q --disable-pip-version-check -r tests/oscal/requirements.txt && cargo build -q --locked -p clyra-cli && tests/oscal/.venv/bin/python tests/oscal/check_oscal.py'
    bash .ci/stage signers -- bash scripts/signers.sh
    bash .ci/stage deny -- bash scripts/deny.sh
    bash .ci/stage release-dry -- bash .ci/just release-dry
    bash .ci/stage reports -- bash -c 'command -v pdftoppm >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils); cargo build -q --locked -p clyra-cli && python3 tests/reports/run.py'
    bash .ci/stage clippy -- cargo clippy --workspace --all-targets --locked -- -D warnings
    bash .ci/stage fmt -- cargo fmt --all --check

# The PKCS#11 signer on SoftHSM2 (apt-get install when missing), the signer command, key URIs and key rotation
signers:
    bash scripts/signers.sh

# Dependency licences, bans and sources with cargo-deny (pinned, cached in $CLYRA_TOOLS); advisories when the RustSec database can be fetched
deny:
    bash scripts/deny.sh

# A dry release: CLI, wheel and sdist, npm packages (dist profile, stripped), CycloneDX SBOMs, sealed with an ephemeral key and verified; prints sizes
release-dry:
    bash scripts/release.sh --dry-run --out "${CARGO_TARGET_DIR:-target}/release-dry"
    bash scripts/release-publish.sh "${CARGO_TARGET_DIR:-target}/release-dry" --list >/dev/null

# Exactly what `.ci/run` (and so GitHub CI) runs: the full test suite
ci: test

# Regenerate the golden vectors of vectors/ (tests/vectorgen; keys in vectors/keys are read, never remade)
vectors:
    cargo run --locked -p clyra-vectorgen -- --out vectors

# Copy spec/schemas (the source) into the generated mirrors core/schemas and verifier/go/schemas (drift-tested by cargo test and go test)
sync-schemas:
    rm -f core/schemas/*.schema.json
    cp spec/schemas/*.schema.json core/schemas/
    rm -f verifier/go/schemas/*.schema.json
    cp spec/schemas/*.schema.json verifier/go/schemas/

# Overhead of `clyra dbt build` over plain `dbt build` (sample and 1,000-model projects) and Python vs Rust verify (never run by CI)
bench-dbt:
    bash python/ci.sh package
    python/.venv/bin/python benches/dbt_overhead.py

# Cost of the dbt gate (`clyra dbt plan`, core plan and gate) beside dbt's own `compile` on the 1,000-model project (never run by CI)
bench-gate:
    bash python/ci.sh package
    python/.venv/bin/python benches/dbt_gate.py

# Added latency of clyra-gateway at 2,000 req/s (open loop, latency-corrected) beside the same traffic sent straight to the upstream, memory store and Redis, with CPU per 1,000 requests (never run by CI)
bench-gateway:
    command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server)
    cargo build --release --locked -p clyra-gateway --bin clyra-gateway --example bench
    "${CARGO_TARGET_DIR:-target}/release/examples/bench" --rate 2000 --seconds 10
    "${CARGO_TARGET_DIR:-target}/release/examples/bench" --rate 2000 --seconds 10 --seal-every 10000

# Run the criterion benches against their named peers, then print the ratio report (never run by CI)
bench:
    cargo bench --locked -p clyra-benches
    python3 benches/report.py
    bash benches/bundle_scale.sh
    bash benches/report_scale.sh

# Fuzz each target in core/fuzz for SECONDS seconds (default 60); installs cargo-fuzz if missing
fuzz SECONDS="60":
    [ -d core/fuzz ] || { echo "error: core/fuzz not found: no fuzz targets yet" >&2; exit 4; }
    command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
    for target in {{fuzz_targets}}; do \
        RUSTC_BOOTSTRAP=1 bash .ci/stage "fuzz-$target" -- cargo fuzz run --fuzz-dir core/fuzz "$target" -- -max_total_time={{SECONDS}}; \
    done

# Fuzz the Go verifier's targets (jcs FuzzParse, dsse FuzzDecodeEnvelope, container FuzzRead, verify FuzzBundle over the vectors) for SECONDS seconds each
fuzz-go SECONDS="30":
    cd verifier/go && go test -run='^$' -fuzz=FuzzParse -fuzztime={{SECONDS}}s ./jcs && go test -run='^$' -fuzz=FuzzDecodeEnvelope -fuzztime={{SECONDS}}s ./dsse && go test -run='^$' -fuzz=FuzzRead -fuzztime={{SECONDS}}s ./container && go test -run='^$' -fuzz=FuzzBundle -fuzztime={{SECONDS}}s ./verify

# Long differential campaign, Rust vs Go (tests/differential): random JSON and bundle mutations from SEED; reproducers in tests/differential/out/
differential-long SEED="1" JSON="100000" BUNDLES="10000":
    cargo build -q --locked --release -p clyra-cli
    cd verifier/go && go build -o "${CARGO_TARGET_DIR:-../../target}/clyra-verify-go" ./cmd/clyra-verify-go
    python3 tests/differential/differential.py --seed {{SEED}} --json-cases {{JSON}} --bundle-cases {{BUNDLES}} --rust "${CARGO_TARGET_DIR:-target}/release/clyra" --go "${CARGO_TARGET_DIR:-target}/clyra-verify-go"
