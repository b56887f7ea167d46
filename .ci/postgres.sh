# Sourced by .ci/run (bash, set -euo pipefail, as root on Debian 12) before `make test`.
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the storage tests and exports
#   UPBIT_TEST_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:PORT/upbit_test
#   UPBIT_REQUIRE_PG=1   (the PostgreSQL cases fail instead of skipping)
# Safe to source again: an installed server is not reinstalled, a running one is reused.
# Overrides: UPBIT_PG_PORT (default 54329), UPBIT_PG_DIR (default /tmp/upbit-backbone-pg).

_upbit_pg_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 0
}

# Run a server binary as the postgres user when we are root (initdb refuses root).
_upbit_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_upbit_pg_init() {
    local bindir="$1" datadir="$2"
    rm -rf "$datadir"
    mkdir -p "$datadir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$datadir"
    fi
    chmod 700 "$datadir"
    _upbit_pg_as_owner "$bindir/initdb" -D "$datadir" -U postgres -A trust \
        --encoding=UTF8 --no-sync >/dev/null
}

# A test server: no fsync, sockets and logs inside its own directory.
_upbit_pg_launch() {
    local bindir="$1" datadir="$2" port="$3"
    _upbit_pg_as_owner "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$datadir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >/dev/null
}

_upbit_pg_start() {
    local bindir port datadir url
    bindir="$(_upbit_pg_bindir)"
    if [ -z "$bindir" ]; then
        echo "postgres.sh: installing PostgreSQL server packages"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bindir="$(_upbit_pg_bindir)"
    fi
    if [ -z "$bindir" ]; then
        echo "postgres.sh: PostgreSQL server binaries not found after install" >&2
        return 1
    fi
    port="${UPBIT_PG_PORT:-54329}"
    datadir="${UPBIT_PG_DIR:-/tmp/upbit-backbone-pg}"

    if ! "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        if [ ! -f "$datadir/PG_VERSION" ]; then
            _upbit_pg_init "$bindir" "$datadir"
        fi
        if ! _upbit_pg_launch "$bindir" "$datadir" "$port"; then
            # A cluster left behind by a killed session can refuse to start (stale lock
            # files, half-written state); it holds nothing worth keeping, so start afresh.
            echo "postgres.sh: the existing test cluster did not start; recreating it" >&2
            _upbit_pg_init "$bindir" "$datadir"
            _upbit_pg_launch "$bindir" "$datadir" "$port"
        fi
    fi

    if [ "$("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = 'upbit_test'")" != "1" ]; then
        "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE upbit_test" >/dev/null
    fi
    url="postgresql+asyncpg://postgres@127.0.0.1:$port/upbit_test"
    export UPBIT_TEST_PG_URL="$url"
    export UPBIT_REQUIRE_PG=1
    echo "postgres.sh: PostgreSQL ready at 127.0.0.1:$port (database upbit_test)"
}

_upbit_pg_start
unset -f _upbit_pg_bindir _upbit_pg_as_owner _upbit_pg_init _upbit_pg_launch _upbit_pg_start
