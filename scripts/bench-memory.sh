#!/usr/bin/env bash
# Peak memory of the server under load (issue 19: "peak memory reaches 636 MB
# under load"). Serves a copy of a large data folder (default: the activity
# benchmark's, 100,000 customers and 1,000,000 activity records, see
# BENCHMARKS.md) on a free loopback port, logs in as a manager, and runs wrk
# with CONNECTIONS clients over a mix of the heavy pages (lists, calendar,
# start page, reports, search) while the search index is built in the
# background, as on a first start. It samples the server's resident memory
# every 0.2 s and prints the peak (VmHWM) with its anonymous (Go heap, SQLite
# caches) and file-backed (mapped files) parts.
#
#   scripts/bench-memory.sh [data-dir]   default /tmp/keyuan-bench-activities
#
# DURATION (default 30s), THREADS (2) and CONNECTIONS (16) tune wrk; extra
# server settings can be passed in the environment (GOGC, GOMEMLIMIT, …).
# LOGIN and PASSWORD name the user (default: bench-manager, the manager the
# activity benchmarks add to their data set; `keyuan gen` makes salespeople
# such as zhangwei with the password keyuan-demo).
set -euo pipefail
cd "$(dirname "$0")/.."

src=${1:-/tmp/keyuan-bench-activities}
duration=${DURATION:-30s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-16}
for tool in wrk curl go sqlite3; do
	command -v "$tool" >/dev/null || { echo "bench-memory: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
server=
cleanup() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build"
go build -o "$work/keyuan" .
echo "== copy $src/keyuan.db"
mkdir -p "$work/data"
sqlite3 "$src/keyuan.db" ".backup $work/data/keyuan.db"

port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "bench-memory: no free port found" >&2; exit 1; }
base="http://127.0.0.1:$port"

echo "== serve on $base"
KEYUAN_JOBS_OFF=${KEYUAN_JOBS_OFF:-} "$work/keyuan" serve --data "$work/data" --listen "127.0.0.1:$port" --log-level warn &
server=$!
for _ in $(seq 300); do
	curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
	kill -0 "$server" 2>/dev/null || { echo "bench-memory: the server exited" >&2; exit 1; }
	sleep 0.1
done

status=$(curl -sS -o /dev/null -w '%{http_code}' -c "$work/cookies" \
	--data-urlencode "username=${LOGIN:-bench-manager}" --data-urlencode "password=${PASSWORD:-keyuan-test-pw-2026}" "$base/login")
[ "$status" = 303 ] || { echo "bench-memory: login answered $status, not 303" >&2; exit 1; }
cookie=$(awk '$6 == "keyuan_session" { print $6 "=" $7 }' "$work/cookies")

cat >"$work/mix.lua" <<'EOF'
paths = {
  "/", "/customers", "/customers?sort=activity&dir=desc", "/customers?page=1000", "/prospects",
  "/activities", "/activities?from=2026-05-01&to=2026-05-31", "/plans", "/plans?status=planned",
  "/calendar?view=month&date=2026-05-13&who=team", "/calendar?view=week&date=2026-05-13&who=team",
  "/calendar?view=year&date=2026-05-13", "/opportunities", "/opportunities/board", "/issues",
  "/search?q=%E4%B8%8A%E6%B5%B7%E5%8D%8E%E4%BF%A1%E7%A7%91%E6%8A%80%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8",
  "/search?q=%E6%89%93%E5%8D%B0%E6%9C%BA", "/reports",
}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
EOF

peak_rss=0; peak_anon=0; peak_file=0
sample() {
	local rss anon file
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server/status")
	anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$server/status")
	file=$(awk '/^RssFile:/ { print $2 }' "/proc/$server/status")
	[ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
	[ "$anon" -gt "$peak_anon" ] && peak_anon=$anon
	[ "$file" -gt "$peak_file" ] && peak_file=$file
	return 0
}

echo "== wrk $connections clients, $duration, page mix"
wrk -t "$threads" -c "$connections" -d "$duration" -s "$work/mix.lua" -H "Cookie: $cookie" "$base" >"$work/wrk.txt" &
load=$!
while kill -0 "$load" 2>/dev/null; do
	sample
	sleep 0.2
done
wait "$load"
sample
grep -E 'Requests/sec|Non-2xx|Socket errors|Latency' "$work/wrk.txt" || true
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server/status")
echo "peak resident (VmHWM): $((hwm / 1024)) MB; sampled peaks: RSS $((peak_rss / 1024)) MB, anonymous $((peak_anon / 1024)) MB, file-backed $((peak_file / 1024)) MB"
