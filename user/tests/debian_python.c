/*
 * Debian's python3 (dynamically linked, its standard library from the
 * disk): `python3 -c` with a script that uses os, subprocess, threading,
 * json, hashlib and tempfile; the output checked. Also `python3 -c pass`.
 * See debian_common.h.
 */
#include "debian_common.h"

static const char script[] =
	"import os, subprocess, threading, json, hashlib, tempfile, shutil, sys\n"
	"d = tempfile.mkdtemp()\n"
	"p = os.path.join(d, 'x.json')\n"
	"with open(p, 'w') as f:\n"
	"    json.dump({'a': [1, 2, 3], 'b': 'h\\u00e9llo'}, f)\n"
	"with open(p) as f:\n"
	"    v = json.load(f)\n"
	"print('json', v['a'], v['b'], os.path.getsize(p))\n"
	"print('sha256', hashlib.sha256(b'ferrite').hexdigest()[:16])\n"
	"print('md5', hashlib.md5(b'ferrite').hexdigest())\n"
	"r = subprocess.run(['echo', 'from-child'], capture_output=True, text=True)\n"
	"print('subprocess', r.stdout.strip(), r.returncode)\n"
	"r = subprocess.run(['sh', '-c', 'exit 3'])\n"
	"print('exit', r.returncode)\n"
	"out = subprocess.check_output('seq 3 | tac', shell=True).decode().split()\n"
	"print('pipeline', out)\n"
	"res = []\n"
	"lock = threading.Lock()\n"
	"def work(i):\n"
	"    with lock:\n"
	"        res.append(i * i)\n"
	"ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
	"for t in ts: t.start()\n"
	"for t in ts: t.join()\n"
	"print('threads', sorted(res), threading.active_count())\n"
	"with tempfile.NamedTemporaryFile('w+', dir=d) as t:\n"
	"    t.write('abc'); t.flush(); t.seek(0)\n"
	"    print('tempfile', t.read(), os.path.dirname(t.name) == d)\n"
	"print('os', os.getpid() > 1, os.getcwd(), sorted(os.listdir(d)))\n"
	"shutil.rmtree(d)\n"
	"print('removed', not os.path.exists(d))\n"
	"print('version', sys.version_info[0])\n";

static const char want[] =
	"json [1, 2, 3] h\xc3\xa9llo 35\n"
	"sha256 fe1df1cfd83d4407\n"
	"md5 c750f7176e2b6cff8e57b88c53b35a35\n"
	"subprocess from-child 0\n"
	"exit 3\n"
	"pipeline ['3', '2', '1']\n"
	"threads [0, 1, 4, 9, 16, 25, 36, 49] 1\n"
	"tempfile abc True\n"
	"os True /root ['x.json']\n"
	"removed True\n"
	"version 3\n";

int main(void)
{
	int r = debian_setup();
	if (r)
		return r;
	debian_expect((char *const[]){ "/usr/bin/python3", "-c", "pass", NULL }, "");
	debian_expect((char *const[]){ "/usr/bin/python3", "-c", (char *)script, NULL }, want);
	debian_teardown();
	puts("debian_python: ok");
	return 0;
}
