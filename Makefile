# Shortcuts; the README does not depend on make (a fresh Debian may lack it).
.PHONY: run test build

run:
	go run . --demo

test:
	./scripts/test.sh

build:
	go build -o keyuan .
