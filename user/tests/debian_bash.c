/*
 * Debian's bash (dynamically linked, from the sysroot disk) runs a script
 * with functions, arrays, an associative array, subshells, pipelines,
 * command substitution, a here-string, a background job and traps (a
 * signal trap and the EXIT trap); its output is checked line by line.
 * See debian_common.h for where the programs come from.
 */
#include "debian_common.h"

static const char script[] =
	"set -u\n"
	"double() { local x=$1; echo \"double:$((x * 2))\"; }\n"
	"double 21\n"
	"fact() { if (( $1 <= 1 )); then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }\n"
	"echo \"fact:$(fact 10)\"\n"
	"arr=(one two three)\n"
	"arr+=(four)\n"
	"echo \"n=${#arr[@]} last=${arr[-1]} all=${arr[*]}\"\n"
	"declare -A m=([a]=1 [b]=2)\n"
	"echo \"assoc=${m[a]}${m[b]} keys=$(printf '%s\\n' \"${!m[@]}\" | sort | tr -d '\\n')\"\n"
	"x=outer\n"
	"(x=inner; echo \"subshell:$x\")\n"
	"echo \"after:$x\"\n"
	"echo \"subshell pid differs: $( [ \"$BASHPID\" != \"$$\" ] && echo yes)\"\n"
	"printf '%s\\n' cherry apple banana | sort | tr '\\n' ' '; echo\n"
	"echo \"pipe status: $(false | true; echo ${PIPESTATUS[0]}${PIPESTATUS[1]})\"\n"
	"read -r a b <<< \"hello world\"; echo \"$b $a\"\n"
	"s=0; for i in $(seq 1 10); do s=$((s + i)); done; echo \"sum:$s\"\n"
	"case ferrite in f*e) echo case-ok;; *) echo case-bad;; esac\n"
	"trap 'echo trapped USR1' USR1\n"
	"kill -USR1 $$\n"
	"sleep 0.1 & wait $!; echo \"background:$?\"\n"
	"(exit 7); echo \"status:$?\"\n"
	"trap 'echo exit-trap' EXIT\n"
	"echo \"$BASH_VERSION\" | grep -q '^5\\.' && echo version-ok\n"
	"exit 0\n";

static const char want[] =
	"double:42\n"
	"fact:3628800\n"
	"n=4 last=four all=one two three four\n"
	"assoc=12 keys=ab\n"
	"subshell:inner\n"
	"after:outer\n"
	"subshell pid differs: yes\n"
	"apple banana cherry \n"
	"pipe status: 10\n"
	"world hello\n"
	"sum:55\n"
	"case-ok\n"
	"trapped USR1\n"
	"background:0\n"
	"status:7\n"
	"version-ok\n"
	"exit-trap\n";

int main(void)
{
	int r = debian_setup();
	if (r)
		return r;
	debian_put("root/script.sh", script, 0755);
	debian_expect((char *const[]){ "/bin/bash", "/root/script.sh", NULL }, want);
	debian_expect((char *const[]){ "/bin/bash", "-c", "true", NULL }, "");
	debian_expect((char *const[]){ "/bin/bash", "-c", "echo $((6 * 7)) | cat", NULL }, "42\n");
	debian_teardown();
	puts("debian_bash: ok");
	return 0;
}
