# Everyday commands. `make test` is the README's test command.
.PHONY: check test run bench fmt
check:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
test:
	cargo test --workspace
run:
	cargo run --release -p qianglian -- serve --demo
bench:
	cargo build --release -p qianglian
	python3 bench/enterprise_list.py
fmt:
	cargo fmt --all
