#!/bin/sh
# Installs the Debian packages a target needs, only when they are missing,
# so that `make test` works on a fresh machine and costs nothing afterwards.
set -eu
want=""
need() { # need <package> <file that proves it is installed>
    [ -e "$2" ] || want="$want $1"
}
case "${1:-test}" in
    test)
        need chromium /usr/bin/chromium
        need postgresql /usr/lib/postgresql
        need npm /usr/bin/npm  # installs axe-core (tests/axe/) for the accessibility tests
        need fontconfig /usr/bin/fc-list  # what pdf: true asks which languages a font covers
        ;;
    bench)
        need postfix /usr/sbin/smtp-sink
        need postgresql /usr/lib/postgresql
        ;;
esac
[ -z "$want" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages:$want. Install them (as root): apt-get install$want" >&2
    exit 2
fi
echo "Installing Debian packages:$want"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $want >/dev/null
