#!/bin/sh
# A throwaway PostgreSQL cluster for tests.
#   scripts/start-postgres.sh start DIR PORT   -> prints a SQLAlchemy URL on stdout
#   scripts/start-postgres.sh stop DIR
# DIR is created if missing and owned by the cluster (its parents must be
# searchable by that user); remove it after `stop`.
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# `postgres` system user (Debian's postgresql package creates it).
set -eu
action=${1:?usage: start-postgres.sh start DIR PORT | stop DIR}
dir=${2:?DIR required}
bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "$candidate/initdb" ] && bindir=$candidate
    done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "PostgreSQL server binaries not found; install them: apt-get install postgresql" >&2
    exit 2
fi
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
case "$action" in
    start)
        port=${3:?PORT required}
        mkdir -p "$dir"
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres: "$dir"
            if ! runuser -u postgres -- test -w "$dir"; then
                echo "the postgres user cannot reach $dir: make its parent folders world-searchable (chmod o+x)" >&2
                exit 2
            fi
        fi
        chmod 700 "$dir"
        if [ ! -f "$dir/data/PG_VERSION" ]; then
            as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
                || { cat "$dir/initdb.log" >&2; exit 1; }
        fi
        as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null \
            || { cat "$dir/server.log" >&2; exit 1; }
        echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
        ;;
    stop)
        if [ -f "$dir/data/postmaster.pid" ]; then
            as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
        fi
        ;;
    *)
        echo "usage: start-postgres.sh start DIR PORT | stop DIR" >&2
        exit 2
        ;;
esac
