#!/usr/bin/env bash
# Homeward benchmark matrix: for each size and database, generate a fresh
# database, serve it, load-test it on loopback, time the raw queries, and
# append the figures to bench/RESULTS.md.
#
#   bench/run.sh                          # 100k and 1M cases, SQLite and PostgreSQL
#   SIZES=100000 DBS=sqlite bench/run.sh  # one cell
#
# Settings (environment): SIZES, DBS, DURATION (s per scenario, default 20),
# CONCURRENCY (8), MAX_REQUESTS (20000), PORT (18080), DATA_DIR (sqlite files,
# /tmp/homeward-bench), PG_URL (postgres://postgres@127.0.0.1:5432), KEEP_DB=1
# to keep the databases, REUSE_DB=1 to load-test a kept database again instead of
# generating a new one (it is migrated first; the migration time is reported),
# LABEL (a note for the section heading), SKIP_BUILD=1, BIN (directory of the
# homeward and bench-* binaries, default target/release; implies SKIP_BUILD),
# COMMIT (what the binaries were built from, for the heading).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"100000 1000000"}
DBS=${DBS:-"sqlite postgres"}
DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-8}
MAX_REQUESTS=${MAX_REQUESTS:-20000}
PORT=${PORT:-18080}
DATA_DIR=${DATA_DIR:-/tmp/homeward-bench}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
KEEP_DB=${KEEP_DB:-0}
REUSE_DB=${REUSE_DB:-0}
LABEL=${LABEL:-}
RESULTS=${RESULTS:-bench/RESULTS.md}
BIN=${BIN:-target/release}
mkdir -p "$DATA_DIR"

if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$BIN" = target/release ]; then
  cargo build --release -p homeward -p homeward-bench
fi

# The "# note" lines and the table of a tool's output, as markdown.
md() { awk '/^# /{sub(/^# /, ""); print; print ""} /^\|/{print}' <<<"$1"; }

pg_admin() { psql "$PG_URL/postgres" -v ON_ERROR_STOP=1 -qAt -c "$1"; }

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -INT "$SERVER_PID"
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_server EXIT

[ -f "$RESULTS" ] || printf '# Homeward benchmark results\n\nWritten by `bench/run.sh`; see bench/README.md.\n' > "$RESULTS"

SUMMARY=$(mktemp)
commit=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}

for N in $SIZES; do
  for DB in $DBS; do
    reuse=0
    case $DB in
      sqlite)
        file="$DATA_DIR/bench_$N.db"
        URL="sqlite://$file"
        if [ "$REUSE_DB" = 1 ] && [ -f "$file" ]; then reuse=1; else rm -f "$file" "$file-wal" "$file-shm"; fi ;;
      postgres)
        name="homeward_bench_$N"
        URL="$PG_URL/$name"
        if [ "$REUSE_DB" = 1 ] && [ "$(pg_admin "SELECT 1 FROM pg_database WHERE datname = '$name'")" = 1 ]; then
          reuse=1
        else
          pg_admin "DROP DATABASE IF EXISTS $name"
        fi ;;
      *) echo "unknown database $DB" >&2; exit 2 ;;
    esac
    echo "== $DB, $N cases"
    if [ "$reuse" = 1 ]; then
      t0=$(date +%s.%N)
      "$BIN/homeward" migrate --database-url "$URL" >/dev/null
      mig=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
      gen_secs="reused"
      gen_line="reused the database generated earlier (homeward migrate took $mig s)"
    else
      gen=$("$BIN/bench-gen" --database-url "$URL" --cases "$N" | tee -a /dev/stderr)
      gen_secs=$(sed -n 's/^GEN .*secs=\([0-9.]*\) .*/\1/p' <<<"$gen")
      gen_line=$(grep '^generated' <<<"$gen")
    fi
    if [ "$DB" = sqlite ]; then
      size=$(du -m "$file" | cut -f1)
    else
      size=$(( $(pg_admin "SELECT pg_database_size('$name')") / 1048576 ))
    fi
    token=$("$BIN/homeward" token create --email supervisor@homeward.test --database-url "$URL" | tail -1)

    log="$DATA_DIR/server-$DB-$N.log"
    # The demo users have no authenticator: with two-factor sign-in required
    # (the default) the load test's sessions would stop at the code page.
    HOMEWARD_REQUIRE_TWO_FACTOR=false "$BIN/homeward" serve --database-url "$URL" --bind "127.0.0.1:$PORT" >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
      curl -fs -o /dev/null "http://127.0.0.1:$PORT/login" && break
      kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; echo "the server did not start" >&2; exit 1; }
      sleep 0.2
    done
    loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
    load=$("$BIN/bench-load" --base-url "http://127.0.0.1:$PORT" --token "$token" \
      --concurrency "$CONCURRENCY" --duration-secs "$DURATION" --max-requests "$MAX_REQUESTS" \
      --scenario all --server-pid "$SERVER_PID" | tee -a /dev/stderr)
    counsellor=$("$BIN/bench-load" --base-url "http://127.0.0.1:$PORT" --email counsellor@homeward.test \
      --concurrency "$CONCURRENCY" --duration-secs 10 --max-requests "$MAX_REQUESTS" \
      --scenario list --name-suffix=-counsellor --server-pid "$SERVER_PID" | tee -a /dev/stderr)
    # Free-text search last: its slow queries could outlast the client's timeout.
    search=$("$BIN/bench-load" --base-url "http://127.0.0.1:$PORT" --token "$token" \
      --concurrency "$CONCURRENCY" --duration-secs 10 --max-requests "$MAX_REQUESTS" \
      --scenario search --server-pid "$SERVER_PID" | tee -a /dev/stderr)
    stop_server
    sqlrep=$("$BIN/bench-sql" --database-url "$URL" | tee -a /dev/stderr)

    # The brief's example list query (status=departed, country=HU, page 3),
    # timed by the database's own client: the plain form, and (when migration
    # 0002 is in) the form the store now sends. Each runs twice; the second counts.
    scope="(c.counsellor_id IS NULL OR c.counsellor_id IN (SELECT u2.id FROM users u2 WHERE u2.team = 'toronto')) AND c.status = 'departed' AND c.country_of_return = 'HU'"
    sel="SELECT c.id, c.case_number, p.display_name, u.name FROM cases c JOIN persons p ON p.id = c.principal_person_id JOIN programmes g ON g.id = c.programme_id LEFT JOIN users u ON u.id = c.counsellor_id"
    names=("COUNT(*)" "page")
    queries=("SELECT COUNT(*) FROM cases c WHERE $scope"
             "$sel WHERE $scope ORDER BY c.updated_at DESC, c.id DESC LIMIT 25 OFFSET 50")
    if [ "$DB" = sqlite ]; then
      has_counts=$(sqlite3 "$file" "SELECT COUNT(*) FROM sqlite_master WHERE name = 'case_counts'")
    else
      has_counts=$(psql "$URL" -qAt -c "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'case_counts'")
    fi
    if [ "$has_counts" = 1 ]; then
      names+=("SUM over case_counts" "deferred-join page")
      queries+=("SELECT SUM(c.n) FROM case_counts c WHERE $scope"
                "$sel WHERE c.id IN (SELECT c.id FROM cases c WHERE $scope ORDER BY c.updated_at DESC, c.id DESC LIMIT 25 OFFSET 50) ORDER BY c.updated_at DESC, c.id DESC")
    fi
    cli=""
    for k in "${!queries[@]}"; do
      q="${queries[$k]}"
      if [ "$DB" = sqlite ]; then
        t=$(printf '.timer on\n.output /dev/null\n%s;\n%s;\n' "$q" "$q" | sqlite3 "$file" 2>&1 \
          | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | tail -1 | awk '{printf "%.1f ms", $1 * 1000}')
      else
        t=$(printf '\\timing on\n\\o /dev/null\n%s;\n%s;\n' "$q" "$q" | psql "$URL" -qAt 2>&1 \
          | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 | awk '{printf "%.1f ms", $1}')
      fi
      cli="$cli${cli:+; }${names[$k]} $t"
    done
    if [ "$DB" = sqlite ]; then cli="sqlite3 CLI $(sqlite3 --version | cut -d' ' -f1): $cli"; else cli="psql: $cli"; fi

    peak_kb=$(sed -n 's/^PEAK_RSS_KB=//p' <<<"$search" | tail -1)
    peak_mib=$(awk -v k="$peak_kb" 'BEGIN{printf "%.0f", k/1024}')
    {
      printf '\n## %s, %s cases — %s (commit %s)%s\n\n' "$DB" "$N" "$(date -u +%Y-%m-%dT%H:%MZ)" "$commit" "${LABEL:+ — $LABEL}"
      printf -- '- machine: %s cores, %s; load generator on the same machine\n' "$(nproc)" "$(awk '/MemTotal/{printf "%.0f GB RAM", $2/1048576}' /proc/meminfo)"
      printf -- '- generation: %s\n' "$gen_line"
      printf -- '- database size: %s MiB\n' "$size"
      printf -- '- server peak RSS (VmHWM): %s MiB\n' "$peak_mib"
      printf -- '- load average before the load test: %s (other work on the machine shows here)\n\n' "$loadavg_before"
      md "$load"
      grep -E '^\| search' <<<"$search"
      grep -E '^\| list-counsellor' <<<"$counsellor"
      printf '\nFloor (one query at a time, no HTTP; `bench-sql`):\n\n'
      md "$sqlrep"
      printf '\nThe example list query by hand (status=departed, country=HU, page 3), %s\n' "$cli"
    } >>"$RESULTS"

    row="| $DB | $N | $gen_secs |"
    for sc in list list-sort case api-list api-case search list-counsellor; do
      line=$(grep -h "^RESULT scenario=$sc " <<<"$load"$'\n'"$search"$'\n'"$counsellor" || true)
      rps=$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$line")
      p50=$(sed -n 's/.* p50=\([^ ]*\).*/\1/p' <<<"$line")
      p99=$(sed -n 's/.* p99=\([^ ]*\).*/\1/p' <<<"$line")
      err=$(sed -n 's/.* errors=\([^ ]*\).*/\1/p' <<<"$line")
      [ "${err:-0}" != 0 ] && p99="$p99 ($err err)"
      row="$row $rps / $p50 / $p99 |"
    done
    echo "$row $peak_mib |" >>"$SUMMARY"

    if [ "$KEEP_DB" != 1 ]; then
      if [ "$DB" = sqlite ]; then rm -f "$file" "$file-wal" "$file-shm"; else pg_admin "DROP DATABASE $name"; fi
    fi
  done
done

{
  printf '\n### Summary (%s, commit %s)%s — rps / p50 ms / p99 ms, %s users, %s s per scenario\n\n' \
    "$(date -u +%Y-%m-%d)" "$commit" "${LABEL:+ — $LABEL}" "$CONCURRENCY" "$DURATION"
  echo "| db | cases | generation s | list (HTML) | list-sort (HTML) | case (HTML) | api-list | api-case | search (HTML) | list as counsellor (HTML) | peak RSS MiB |"
  echo "|---|---:|---:|---|---|---|---|---|---|---|---:|"
  cat "$SUMMARY"
} >>"$RESULTS"
rm -f "$SUMMARY"
echo "results appended to $RESULTS"
