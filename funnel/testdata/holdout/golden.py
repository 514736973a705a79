# Writes golden.csv: Holdout's draw for a few salts and profiles, computed here from the
# definitions (FNV-1a 64 of the salt; SplitMix64's finaliser of key + profile * golden
# gamma; top 53 bits over 2^53), independently of the Go code. Run: python3 golden.py
M = (1 << 64) - 1

def fnv1a64(b):
    h = 0xcbf29ce484222325
    for c in b:
        h ^= c
        h = (h * 0x100000001b3) & M
    return h

def draw(salt, profile):
    z = (fnv1a64(salt.encode()) + profile * 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    z ^= z >> 31
    return repr((z >> 11) / float(1 << 53))

with open("golden.csv", "w") as f:
    f.write("# salt,profile,draw (golden.py)\nsalt,profile,draw\n")
    for salt in ["", "spring-sale", "holdout 2026-12"]:
        for p in [0, 1, 2, 1000, 65535, 4294967295]:
            f.write("%s,%d,%s\n" % (salt, p, draw(salt, p)))
