#!/usr/bin/env bash
# Load benchmark of issue 2 ("Speed"): with 16 concurrent clients, the
# customer list (a category filter, a sort, 50 rows, logged in) must serve at
# least 1/40 of the requests per second of a trivial handler (the embedded
# /static/logo.svg) measured in the same run.
#
#   scripts/bench-load.sh [customers]        default 100000
#
# It builds the binary, generates the customers into a temporary data
# directory, serves them on a free loopback port, logs in with curl, runs
# wrk (Debian package wrk) on both URLs one after the other, prints both
# rates and their ratio, and stops the server. Nothing leaves 127.0.0.1.
# DURATION (default 10s), THREADS (2) and CONNECTIONS (16) tune wrk.
set -euo pipefail
cd "$(dirname "$0")/.."

customers=${1:-100000}
duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-16}
for tool in wrk curl go; do
	command -v "$tool" >/dev/null || { echo "bench-load: $tool is missing (apt-get install wrk curl)" >&2; exit 1; }
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

export KEYUAN_ADMIN_PASSWORD="bench-$RANDOM-$RANDOM-$RANDOM"
echo "== generate $customers customers"
"$work/keyuan" gen --data "$work/data" --customers "$customers"

# A free port: one nothing answers on. The server checks for us too: if the
# port is taken after all, it exits and the health check below fails.
port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "bench-load: no free port found" >&2; exit 1; }
base="http://127.0.0.1:$port"

echo "== serve on $base"
"$work/keyuan" serve --data "$work/data" --listen "127.0.0.1:$port" --log-level warn &
server=$!
for _ in $(seq 100); do
	curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
	kill -0 "$server" 2>/dev/null || { echo "bench-load: the server exited" >&2; exit 1; }
	sleep 0.1
done
curl -fsS -o /dev/null "$base/healthz"

# Log in as admin; the session cookie is the jar line named keyuan_session.
status=$(curl -sS -o /dev/null -w '%{http_code}' -c "$work/cookies" \
	--data-urlencode username=admin --data-urlencode "password=$KEYUAN_ADMIN_PASSWORD" "$base/login")
[ "$status" = 303 ] || { echo "bench-load: login answered $status, not 303" >&2; exit 1; }
cookie=$(awk '$6 == "keyuan_session" { print $6 "=" $7 }' "$work/cookies")
[ -n "$cookie" ] || { echo "bench-load: no session cookie after login" >&2; exit 1; }

# The first industry of the filter list, read from the page itself.
curl -fsS -o "$work/list.html" -H "Cookie: $cookie" "$base/customers"
industry=$(awk '/<select name="industry"/ { on = 1 } on && match($0, /<option value="[0-9]+"/) { print substr($0, RSTART + 15, RLENGTH - 16); exit }' "$work/list.html")
[ -n "$industry" ] || { echo "bench-load: no industry in the filter list" >&2; exit 1; }
list="$base/customers?industry=$industry&sort=name"
trivial="$base/static/logo.svg"

curl -fsS -o "$work/list.html" -H "Cookie: $cookie" "$list"
rows=$(grep -c 'name="id"' "$work/list.html" || true)
[ "$rows" = 50 ] || { echo "bench-load: $list shows $rows rows, not 50 (not logged in?)" >&2; exit 1; }

# wrk counts 3xx as success; a lost session would redirect to /login and look
# fast. The script counts every answer that is not 200 and fails on any.
cat >"$work/count.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
	local total = 0
	for _, t in ipairs(threads) do total = total + t:get("bad") end
	io.write(string.format("non-200 answers: %d\n", total))
end
LUA

run() { # name url → prints wrk's report, leaves the rate in $rate
	echo "== wrk -t$threads -c$connections -d$duration $1: $2"
	wrk -t"$threads" -c"$connections" -d"$duration" -H "Cookie: $cookie" -s "$work/count.lua" "$2" | tee "$work/wrk.out"
	grep -q '^non-200 answers: 0$' "$work/wrk.out" || { echo "bench-load: $1 had answers other than 200" >&2; exit 1; }
	rate=$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk.out")
}

run trivial "$trivial"
trivial_rate=$rate
run list "$list"
list_rate=$rate

echo
echo "== result ($(nproc) CPUs, $customers customers)"
awk -v l="$list_rate" -v t="$trivial_rate" 'BEGIN {
	printf "trivial handler: %.0f req/s\nlist page:       %.0f req/s\nratio:           1/%.1f (target: at least 1/40) %s\n",
		t, l, t / l, (l * 40 >= t ? "PASS" : "FAIL")
}'
