#!/usr/bin/env bash
# Checks that the bundled examples answer as the README and docs say:
# examples/spam, and BUILD.example dropped into a copy of it as //example.
# Not a test of sel (tests/ is); a guard against the docs going stale.
#
#   examples/check.sh                 uses `cargo run`
#   SEL=target/debug/sel examples/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${SEL:-}" ]]; then
    sel() { "$SEL" --color never "$@"; }
else
    cargo build --quiet
    sel() { target/debug/sel --color never "$@"; }
fi

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
has() { grep -qxF -- "$2" <<<"$1" || fail "$3: expected $2"; }
lacks() { ! grep -qxF -- "$2" <<<"$1" || fail "$3: did not expect $2"; }

# --- examples/spam ----------------------------------------------------------
spam="-C examples/spam"

out=$(sel $spam cquery 'deps(//spam)' --select cuda=12)
has "$out" //spam:spam-cu12 "cquery cuda=12"
lacks "$out" //spam:spam-cpu "cquery cuda=12"
lacks "$out" //third_party/fftw:fftw "cquery cuda=12"

out=$(sel $spam query 'deps(//spam)')
for v in spam-cpu spam-cu11 spam-cu12 spam-cu12-avx2; do
    has "$out" "//spam:$v" "query"
done
has "$out" //third_party/fftw:fftw "query"

# Specialization: cuda=12 with x86-64-v3 takes the two-flag key.
out=$(sel $spam cquery 'deps(//spam)' --select cuda=12 --select cpu=x86-64-v3)
has "$out" //spam:spam-cu12-avx2 "specialization"
lacks "$out" //spam:spam-cu12 "specialization"
out=$(sel $spam cquery 'deps(//spam)' --platform //platforms:linux-gpu)
has "$out" //spam:spam-cu12-avx2 "--platform linux-gpu"

# The copyleft package only when license=copyleft.
out=$(sel $spam cquery 'deps(//spam)')
lacks "$out" //third_party/fftw:fftw "defaults"
has "$out" //spam:spam-cpu "defaults"
out=$(sel $spam cquery 'deps(//spam)' --select license=copyleft)
has "$out" //third_party/fftw:fftw "license=copyleft"
lacks "$out" //third_party/kissfft:kissfft "license=copyleft"

# Naming an incompatible variant directly is an error; patterns skip it.
if sel $spam cquery //spam:spam-cu11 >/dev/null 2>&1; then
    fail "cquery //spam:spam-cu11 should fail (incompatible)"
fi
out=$(sel $spam cquery //spam:all --select cuda=12)
lacks "$out" //spam:spam-cu11 "cquery //spam:all"

# The license policy of sel.toml: clean by default, FFTW flagged with its
# condition over all configurations (docs/licenses.md).
sel $spam licenses 'deps(//spam)' --check >/dev/null || fail "licenses --check: defaults should pass"
status=0
out=$(sel $spam licenses 'deps(//spam)' --check --all-configs 2>/dev/null) || status=$?
[[ $status == 1 ]] || fail "licenses --check --all-configs: exit status $status, expected 1"
has "$out" "  when: license = copyleft" "licenses --check --all-configs"
sel $spam licenses 'deps(//spam)' --check --all-configs --select license=permissive >/dev/null \
    || fail "licenses --check --all-configs --select license=permissive should pass"
out=$(sel $spam sbom 'deps(//spam)' --select license=copyleft)
grep -qF '"purl": "pkg:generic/fftw@3.3.10' <<<"$out" || fail "sbom license=copyleft: FFTW missing"

# Capabilities (docs/capabilities.md): one image per CUDA version and one
# without; //apps:notebook's CUDA 11 slip is a clash where cuda=12.
out=$(sel $spam images 'deps(//spam)')
has "$out" "image 1: cuda = none" "images"
has "$out" "image 2: cuda = 11" "images"
has "$out" "image 3: cuda = 12" "images"
has "$out" "3 images (the fewest; separating selectors: cuda)" "images"
sel $spam check 'deps(//spam)' >/dev/null || fail "check deps(//spam) should pass"
status=0
out=$(sel $spam check 'deps(//apps:notebook)' 2>/dev/null) || status=$?
[[ $status == 1 ]] || fail "check deps(//apps:notebook): exit status $status, expected 1"
has "$out" "  when: cuda = 12" "check deps(//apps:notebook)"
if sel $spam cquery 'deps(//apps:notebook)' --select cuda=12 >/dev/null 2>&1; then
    fail "cquery deps(//apps:notebook) --select cuda=12 should fail (sel::clash)"
fi
sel $spam cquery 'deps(//apps:notebook)' --select cuda=11 >/dev/null || fail "notebook cuda=11 should pass"

# --- BUILD.example ------------------------------------------------------------
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
cp -r examples/spam/. "$ws"
mkdir "$ws/example"
cp BUILD.example "$ws/example/BUILD"
ex="-C $ws"

out=$(sel $ex query 'deps(//example:ham)')
for t in openssl rustls libuv winsock-shim ham-core tomli certifi; do
    has "$out" "//example:$t" "BUILD.example query"
done
has "$out" //spam:spam "BUILD.example query"

out=$(sel $ex cquery 'deps(//example:ham)')
has "$out" //example:openssl "BUILD.example cquery"
has "$out" //example:libuv "BUILD.example cquery"
lacks "$out" //example:rustls "BUILD.example cquery"
lacks "$out" //example:winsock-shim "BUILD.example cquery"

out=$(sel $ex cquery 'deps(//example:ham)' --select os=windows --select tls=rustls)
has "$out" //example:winsock-shim "BUILD.example windows"
has "$out" //example:rustls "BUILD.example windows"
lacks "$out" //example:libuv "BUILD.example windows"

# Constraints: a constraint value as a key, a config_setting on two that
# implies it, a platform with a parent, target_compatible_with.
out=$(sel $ex cquery 'deps(//example:ham-gpu)' --platform //example:linux-cuda)
has "$out" //example:cudart "BUILD.example linux-cuda"
lacks "$out" //example:opencl "BUILD.example linux-cuda"
out=$(sel $ex cquery 'deps(//example:ham-gpu)' --platform //example:linux-x86_64)
has "$out" //example:opencl "BUILD.example linux-x86_64"
sel $ex cquery 'deps(//example:ham-gpu)' >/dev/null 2>&1 \
    && fail "BUILD.example: ham-gpu should be incompatible without a CPU"

# Ordered selector: tomli only before Python 3.11.
out=$(sel $ex cquery 'deps(//example:ham)')
lacks "$out" //example:tomli "BUILD.example python default"
has "$out" //example:certifi "BUILD.example certifi"
out=$(sel $ex cquery 'deps(//example:ham)' --select python=3.10)
has "$out" //example:tomli "BUILD.example python=3.10"

out=$(sel $ex cquery 'deps(//example:ham-simd)' --platform //example:linux-arm64)
has "$out" //example:simd-neon "BUILD.example specialization"
lacks "$out" //example:simd-sse "BUILD.example specialization"

out=$(sel $ex cquery 'deps(//example:ham)' --platform //example:mac-arm64 --output=json)
grep -qF '(Apple silicon build)' <<<"$out" || fail "BUILD.example: mac_arm64 description"

status=0
err=$(sel $ex cquery 'deps(//example:ham)' --select tls=none 2>&1) || status=$?
[[ $status == 1 ]] || fail "tls=none: exit status $status, expected 1"
grep -qF 'ham needs TLS' <<<"$err" || fail "tls=none: no_match_error not shown"

out=$(sel $ex query 'kind(alias, //example:all)')
[[ $out == $'//example:posix\n//example:target_arch\n//example:tls-impl' ]] || fail "kind(alias): got $out"

# Aliases of a condition (:posix) and of a selector (:target_arch), None.
out=$(sel $ex cquery 'deps(//example:ham)' --select os=macos)
has "$out" //example:libuv "BUILD.example libuv through :posix"
out=$(sel $ex cquery 'deps(//example:ham-simd)' --select arch=aarch64)
has "$out" //example:simd-neon "BUILD.example aarch64 through :target_arch"
out=$(sel $ex cquery 'labels(deps, //example:ham-core)')
lacks "$out" //example:tomli "BUILD.example None is []"

# Typed selectors: a list holds several CPU features at once; a bool; an int.
out=$(sel $ex cquery 'deps(//example:ham-kernels)')
has "$out" //example:kernels-generic "BUILD.example default cpu_features"
has "$out" //example:threadpool "BUILD.example jobs=8"
lacks "$out" //example:ham-asserts "BUILD.example debug=false"
out=$(sel $ex cquery 'deps(//example:ham-kernels)' --select cpu_features=fma,avx2 --select debug=true --select jobs=1)
has "$out" //example:kernels-haswell "BUILD.example cpu_features=fma,avx2"
has "$out" //example:ham-asserts "BUILD.example debug=true"
lacks "$out" //example:threadpool "BUILD.example jobs=1"
out=$(sel $ex cquery 'deps(//example:ham-kernels)' --all-configs)
has "$out" "//example:kernels-haswell  cpu_features has all of {avx2, fma}" "BUILD.example --all-configs"

if (( failures > 0 )); then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "examples: all checks passed"
