#!/bin/sh
# Install the Debian packages named on the command line that are not installed yet.
# Uses apt-get directly as root, through sudo otherwise; says clearly what to do when neither
# works.  With --optional, a failure is a warning, not an error.
optional=0
if [ "$1" = "--optional" ]; then optional=1; shift; fi
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "shiftcurv: installing missing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  SUDO=none
fi
if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then
  msg="shiftcurv: cannot install$missing: need apt-get as root or password-less sudo. Install them by hand (sudo apt-get install$missing) and rerun."
  if [ $optional = 1 ]; then echo "$msg (optional: continuing without them)" >&2; exit 0; fi
  echo "$msg" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing; } >/tmp/shiftcurv-apt.log 2>&1; then
  if [ $optional = 1 ]; then echo "shiftcurv: could not install$missing (optional, see /tmp/shiftcurv-apt.log); continuing" >&2; exit 0; fi
  echo "shiftcurv: apt-get failed to install$missing; see /tmp/shiftcurv-apt.log" >&2
  tail -5 /tmp/shiftcurv-apt.log >&2
  exit 1
fi
echo "shiftcurv: installed$missing"
