# Run by Debian's python3 in the judge image's dynamic group: os,
# subprocess, threading, json, hashlib and tempfile. Prints
# "python-script ok" when every check holds.
import hashlib
import json
import os
import subprocess
import tempfile
import threading

assert os.getpid() > 0 and os.path.isdir(os.getcwd())
out = subprocess.run(["echo", "from a child"], capture_output=True, text=True, check=True)
assert out.stdout == "from a child\n", out.stdout

total = []
lock = threading.Lock()


def work(n):
    with lock:
        total.append(n * n)


threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert sorted(total) == [i * i for i in range(8)]

doc = json.loads(json.dumps({"a": [1, 2, 3], "b": {"c": None}}))
assert doc["a"][2] == 3 and doc["b"]["c"] is None
assert hashlib.sha256(b"ferrite").hexdigest().startswith(hashlib.sha256(b"ferrite").hexdigest()[:8])
assert hashlib.md5(b"hello\n").hexdigest() == "b1946ac92492d2347c6235b4d2611184"

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "f.txt")
    with open(path, "w") as f:
        f.write("tempfile\n")
    with open(path) as f:
        assert f.read() == "tempfile\n"
print("python-script ok")
