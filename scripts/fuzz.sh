#!/usr/bin/env bash
# Runs every fuzz target of the module, one after the other, each for a set
# time:
#
#   ./scripts/fuzz.sh [seconds] [name-regexp]
#
# seconds defaults to 20, what CI runs (.ci/run). The longer run, before a
# release or after touching a decoder, is `./scripts/fuzz.sh 300` (5 minutes
# a target). name-regexp, when given, keeps only the targets whose name
# matches it (grep -E).
#
# A target is any `func FuzzXxx(f *testing.F)` in a *_test.go file; it runs
# as `go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime <seconds>s ./<its dir>`.
# The script goes on past a failing target and prints one summary line per
# target: result, seconds, executions and their rate, and how many new
# inputs widened coverage (those stay in the Go build cache). When a target
# fails, go writes the failing input to <dir>/testdata/fuzz/FuzzXxx/; the
# script lists each such new file: fix the bug, and commit the file as a
# regression case (`go test` runs it as a seed from then on). The exit
# status is non-zero if any target failed.
#
# Go 1.26's fuzzing coordinator sometimes fails a run at the end of
# -fuzztime with a bare "context deadline exceeded" and no failing input
# (golang/go#75804, fixed in Go 1.27). A run that failed that way, and
# only that way, with no new file under testdata/fuzz, is reported as
# "flaky" and does not fail the script.
#
# FUZZ_PARALLEL (default 2) is go test's -parallel: the fuzzing workers.
set -euo pipefail
export LC_ALL=C # sort and comm agree on order
cd "$(dirname "$0")/.."

secs="${1:-20}"
only="${2:-}"
parallel="${FUZZ_PARALLEL:-2}"
case "$secs" in
'' | *[!0-9]* | 0*)
  echo "usage: $0 [seconds] [name-regexp]" >&2
  exit 2
  ;;
esac

# targets: "dir name" lines, sorted.
targets=()
while IFS= read -r line; do
  targets+=("$line")
done < <(
  find . -name '*_test.go' -not -path '*/testdata/*' -not -path './.git/*' -print |
    while IFS= read -r file; do
      dir="$(dirname "$file")"
      sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*/\1/p' "$file" |
        while IFS= read -r name; do
          echo "$dir $name"
        done
    done | sort
)
if [ -n "$only" ] && [ "${#targets[@]}" -gt 0 ]; then
  kept=()
  for t in "${targets[@]}"; do
    if echo "${t#* }" | grep -Eq -- "$only"; then
      kept+=("$t")
    fi
  done
  targets=("${kept[@]+"${kept[@]}"}")
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "no fuzz targets found" >&2
  exit 2
fi

logs="$(mktemp -d "${TMPDIR:-/tmp}/actr-fuzz.XXXXXX")"
echo "fuzzing ${#targets[@]} targets, ${secs}s each, -parallel ${parallel}; logs in ${logs}"

# corpus_files lists the committed-corpus files of a target, one a line.
corpus_files() {
  local d="$1/testdata/fuzz/$2"
  if [ -d "$d" ]; then
    (cd "$d" && find . -type f -print | sed 's|^\./||' | sort)
  fi
}

# seconds converts go's elapsed time (20s, 5m0s, 1h0m0s) to seconds; 0 if
# there is none.
seconds() {
  if [[ "$1" =~ ^(([0-9]+)h)?(([0-9]+)m)?([0-9]+)s$ ]]; then
    echo $((${BASH_REMATCH[2]:-0} * 3600 + ${BASH_REMATCH[4]:-0} * 60 + BASH_REMATCH[5]))
  else
    echo 0
  fi
}

# coordinator_race reports whether log is the failure of golang/go#75804:
# the target's only failure, and its only message, "context deadline
# exceeded".
coordinator_race() {
  local log="$1" name="$2"
  [ "$(grep -c -- '--- FAIL' "$log")" -eq 1 ] &&
    grep -A1 -- "^--- FAIL: ${name} (" "$log" | tail -n 1 | grep -qx '    context deadline exceeded' &&
    ! grep -q 'Failing input written' "$log"
}

failed=0
flaky=0
summary=()
crashers=()
for t in "${targets[@]}"; do
  dir="${t%% *}"
  name="${t#* }"
  log="${logs}/${name}.log"
  before="$(corpus_files "$dir" "$name")"
  echo "== ${name} (${dir})"
  start=$SECONDS
  result=ok
  # The timeout leaves room for the build and for minimizing a crasher.
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" -parallel "$parallel" \
    -timeout "$((secs + 600))s" "$dir" >"$log" 2>&1; then
    result=FAIL
  fi
  took=$((SECONDS - start))
  after="$(corpus_files "$dir" "$name")"
  new="$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d' || true)"
  if [ "$result" = FAIL ] && [ -z "$new" ] && coordinator_race "$log" "$name"; then
    result=flaky
    flaky=$((flaky + 1))
    echo "-- ${name}: go's fuzzing coordinator ended the run with \"context deadline exceeded\" and no failing input (golang/go#75804); not counted as a failure"
  elif [ "$result" = FAIL ]; then
    failed=$((failed + 1))
  fi

  # The last progress line: "fuzz: elapsed: 20s, execs: 1234 (61/sec), new interesting: 3 (total: 40)".
  progress="$(grep '^fuzz: elapsed:' "$log" | tail -n 1 || true)"
  execs="$(echo "$progress" | sed -n 's/.*execs: \([0-9]*\).*/\1/p')"
  fresh="$(echo "$progress" | sed -n 's/.*new interesting: \([0-9]*\).*/\1/p')"
  fuzzed="$(seconds "$(echo "$progress" | sed -n 's/^fuzz: elapsed: \([0-9hms]*\),.*/\1/p')")"
  rate=-
  if [ -n "$execs" ] && [ "$fuzzed" -gt 0 ]; then
    rate=$((execs / fuzzed))
  fi
  summary+=("$(printf '%-24s %-5s %6s %12s %9s %6s  %s' \
    "$name" "$result" "${took}s" "${execs:--}" "$rate" "${fresh:--}" "$dir")")

  if [ -n "$new" ]; then
    while IFS= read -r f; do
      crashers+=("${dir#./}/testdata/fuzz/${name}/${f}")
    done <<<"$new"
  fi
  if [ "$result" = FAIL ]; then
    echo "-- ${name} failed; the end of ${log}:"
    grep -v '^fuzz: elapsed:' "$log" | tail -n 40 || true
  fi
done

echo
echo "== summary (${secs}s of fuzzing a target; wall time includes the build)"
printf '%-24s %-5s %6s %12s %9s %6s  %s\n' target res wall execs execs/s new dir
printf '%s\n' "${summary[@]}"
if [ "${#crashers[@]}" -gt 0 ]; then
  echo
  echo "new failing inputs (fix the bug, then commit these as regression cases):"
  printf '  %s\n' "${crashers[@]}"
fi
if [ "$failed" -gt 0 ]; then
  echo
  echo "${failed} of ${#targets[@]} fuzz targets failed (logs in ${logs})"
  exit 1
fi
rm -rf "$logs"
if [ "$flaky" -gt 0 ]; then
  echo "all ${#targets[@]} fuzz targets passed (${flaky} ended by golang/go#75804, no failing input)"
else
  echo "all ${#targets[@]} fuzz targets passed"
fi
