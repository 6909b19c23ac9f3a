#!/bin/sh
# Counts how many rebuilt public roles load under harun and under ansible-playbook.
# Usage: scripts/public-roles.sh DIR
# DIR holds one <role>.yml playbook per role (hosts: all, roles: [<role>]) next to the roles it
# names (DIR/<role>/ or, for collection roles, DIR/ansible_collections/ns/coll/roles/<role>/ with
# collections_path in DIR/ansible.cfg) and an inventory DIR/hosts. Nothing is fetched and nothing
# connects: only --syntax-check and --list-tasks run.
# Prints one line per role: role, harun syntax-check, harun list-tasks, ansible-playbook
# syntax-check (ok or FAIL), then the first error line of each failure; then the counts.
set -u
dir=${1:?usage: scripts/public-roles.sh DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
harun=${HARUN:-"node $here/dist/src/cli/main.js"}
ansible=${ANSIBLE_PLAYBOOK:-/usr/bin/ansible-playbook}
cd "$dir" || exit 2
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# first line that says what went wrong (both tools print a banner or warnings first)
first_error() {
  grep -m1 -E 'ERROR|[Ee]rror|not found|expected|unknown|undefined|cannot|refused' "$1" || head -n1 "$1"
}

run() { # name, logfile, command...
  name=$1 out=$2
  shift 2
  if "$@" >"$out" 2>&1; then echo ok; else echo FAIL; fi
}

n=0 hs=0 hl=0 as=0
printf '%-18s %-12s %-12s %-12s\n' role harun-syntax harun-list ansible-syntax
for book in *.yml; do
  role=${book%.yml}
  n=$((n + 1))
  s=$(run "$role" "$log/$role.hs" $harun play -i hosts "$book" --syntax-check)
  l=$(run "$role" "$log/$role.hl" $harun play -i hosts "$book" --list-tasks)
  a=$(run "$role" "$log/$role.as" "$ansible" -i hosts "$book" --syntax-check)
  [ "$s" = ok ] && hs=$((hs + 1))
  [ "$l" = ok ] && hl=$((hl + 1))
  [ "$a" = ok ] && as=$((as + 1))
  printf '%-18s %-12s %-12s %-12s\n' "$role" "$s" "$l" "$a"
  [ "$s" = ok ] || echo "    harun syntax-check: $(first_error "$log/$role.hs")"
  [ "$l" = ok ] || [ "$s" != ok ] || echo "    harun list-tasks:   $(first_error "$log/$role.hl")"
  [ "$a" = ok ] || echo "    ansible-playbook:   $(first_error "$log/$role.as")"
done
echo "loaded of $n: harun --syntax-check $hs, harun --list-tasks $hl, ansible-playbook --syntax-check $as"
