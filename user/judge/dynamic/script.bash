# Run by bash in the judge image's dynamic group: functions, arrays,
# subshells, pipelines, arithmetic, traps. Prints "bash-script ok" when
# every check holds.
set -u
fail() { echo "bash-script: $*" >&2; exit 1; }
square() { local n=$1; echo $((n * n)); }
[ "$(square 12)" = 144 ] || fail function
arr=(alpha beta gamma)
arr+=(delta)
[ ${#arr[@]} -eq 4 ] && [ "${arr[2]}" = gamma ] || fail array
declare -A map=([one]=1 [two]=2)
[ $((map[one] + map[two])) -eq 3 ] || fail assoc
outer=1
(outer=2; [ $outer -eq 2 ] || exit 1) || fail subshell
[ $outer -eq 1 ] || fail "subshell leaked"
n=$(printf '%s\n' "${arr[@]}" | grep -c a)
[ "$n" -eq 4 ] || fail "pipeline $n"
got=""
trap 'got=usr1' USR1
kill -USR1 $$
[ "$got" = usr1 ] || fail trap
s="hello world"
[ "${s^^}" = "HELLO WORLD" ] && [ "${s/world/bash}" = "hello bash" ] || fail expansion
for ((i = 0, sum = 0; i < 10; i++)); do sum=$((sum + i)); done
[ $sum -eq 45 ] || fail loop
trap 'echo bash-script ok' EXIT
