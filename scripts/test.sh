#!/usr/bin/env bash
# Runs every check of Keyuan CRM: gofmt, go vet and all tests, including the
# real-browser tests. On a fresh Debian machine it first installs what the
# browser tests need: Debian's chromium, and CJK fonts so that Chinese shows
# in screenshots (this needs root or sudo).
#
#   ./scripts/test.sh                      everything
#   ./scripts/test.sh -run Browser -v      extra flags go to `go test`
#
# Works from any directory. With CI=true nothing asks questions. The last
# lines printed are those of `go test`; the exit status is non-zero when
# anything fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
export CGO_ENABLED=1 # mattn/go-sqlite3 needs cgo, and so gcc

step() { printf '\n==> %s\n' "$*"; }
die() {
	echo "scripts/test.sh: $*" >&2
	exit 1
}

command -v go >/dev/null || die "go is not on PATH"

# --- what the browser tests need --------------------------------------------
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'; then
	need+=(fonts-noto-cjk)
fi
if [ ${#need[@]} -gt 0 ]; then
	step "installing ${need[*]}"
	command -v apt-get >/dev/null ||
		die "apt-get not found: install ${need[*]} by hand (the browser tests run /usr/bin/chromium)"
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "run as root, or install sudo, to install ${need[*]}"
		sudo=(sudo)
		# In CI a password prompt would hang the job: fail at once instead.
		if [ "${CI:-}" = "true" ]; then sudo=(sudo -n); fi
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

# --- the packages and files of the repository -------------------------------
# Folders that git ignores (someone's local scratch work) are not part of the
# product, so they are neither checked nor tested.
in_git=false
if command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	in_git=true
fi
listing=$(go list -f '{{.Dir}} {{.ImportPath}}' ./...)
pkgs=()
while read -r dir path; do
	if $in_git && git check-ignore -q -- "$dir"; then
		continue
	fi
	pkgs+=("$path")
done <<<"$listing"
[ ${#pkgs[@]} -gt 0 ] || die "no Go packages found"

if $in_git; then
	files=$(git ls-files --cached --others --exclude-standard -- '*.go')
else
	files=$(find . -name '*.go' -not -path './.git/*')
fi
gofiles=()
while read -r f; do
	if [ -n "$f" ] && [ -f "$f" ]; then gofiles+=("$f"); fi
done <<<"$files"

step "gofmt"
unformatted=$(gofmt -l "${gofiles[@]}")
if [ -n "$unformatted" ]; then
	echo "these files are not gofmt-formatted (fix with gofmt -w FILE):" >&2
	echo "$unformatted" >&2
	exit 1
fi

step "go vet"
go vet "${pkgs[@]}"

step "go test"
go test -count=1 -timeout 15m "$@" "${pkgs[@]}"
