#!/usr/bin/env python3
"""ARM cycle model: exact dynamic instruction counts per translation block (qemu-aarch64 +
bbcount plugin) x llvm-mca-19 scheduling models of ARM cores.

Input: lines "binary<TAB>name<TAB>features<TAB>unit<TAB>units<TAB>bytes_per_unit" (the drivers'
`list` output with the binary in front). Each case runs twice under qemu (REPS = 1 and 3); half
the per-block difference is one kernel call, so setup drops out without naming functions.
Fall-through neighbours with equal counts are merged back into one block (qemu splits long
straight-line code where its own buffers fill), each block's assembly goes through llvm-mca as
a loop body (200 iterations), cycles = sum(execs x block cycles). llvm-mca results are cached by
the block's text and core, so reruns after a kernel edit only model the blocks that changed.
Loads are modelled as L1 hits; the memory column is the other bound (streamed bytes at BW).
"""
import argparse, collections, hashlib, json, os, re, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

ap = argparse.ArgumentParser()
ap.add_argument("cases")
ap.add_argument("--work", required=True)
ap.add_argument("--plugin", required=True)
ap.add_argument("--cores", default="cortex-a55,neoverse-n1,cortex-a57,neoverse-v1")
ap.add_argument("--ghz", default="cortex-a55=1.8,neoverse-n1=2.4,cortex-a57=1.8,neoverse-v1=3.0")
ap.add_argument("--bw", type=float, default=8.0, help="GB/s for the memory bound")
ap.add_argument("--jobs", type=int, default=2)
ap.add_argument("--filter", default="", help="regex on case names")
ap.add_argument("--json", default="", help="also write the figures here")
a = ap.parse_args()

NICE = ["nice", "-n", "19"]
# Features each core model has (what a case needs must be a subset).
CORE_FEATURES = {
    "cortex-a53": {"neon"}, "cortex-a57": {"neon"}, "cortex-a72": {"neon"},
    "cortex-a55": {"neon", "fp16", "dotprod"}, "neoverse-n1": {"neon", "fp16", "dotprod"},
    "neoverse-v1": {"neon", "fp16", "dotprod", "i8mm", "sve"},
    "neoverse-n2": {"neon", "fp16", "dotprod", "i8mm", "sve"},
}
LABEL = {"cortex-a55": "A55", "neoverse-n1": "A76 (N1)", "cortex-a57": "A72 (A57 model)",
         "neoverse-v1": "X1 (V1)", "cortex-a53": "A53"}
FEATURE_WORDS = {"neon": "neon", "asimd": "neon", "fp16": "fp16", "neonfp16": "fp16",
                 "dotprod": "dotprod", "i8mm": "i8mm", "sve": "sve"}
cores = a.cores.split(",")
ghz = dict(kv.split("=") for kv in a.ghz.split(","))
os.makedirs(a.work, exist_ok=True)
cache_path = os.path.join(a.work, "mca-cache.json")
cache = json.load(open(cache_path)) if os.path.exists(cache_path) else {}

cases = []
for line in open(a.cases):
    p = line.rstrip("\n").split("\t")
    if len(p) == 6 and (not a.filter or re.search(a.filter, p[1])):
        feats = {FEATURE_WORDS[w] for w in p[2].lower().split() if w in FEATURE_WORDS}
        tag = os.path.basename(p[0])
        show = p[1] if tag == "lutra-arm-model" else f"{p[1]} ({tag})"
        cases.append(dict(binary=p[0], name=p[1], show=show, feats=feats, unit=p[3],
                          units=float(p[4]), bpu=float(p[5])))


def profile(binary, name, reps):
    out = os.path.join(a.work, f"{os.path.basename(binary)}.{name}.{reps}.bb")
    # -cpu max without SVE/SME: the cores modelled have none, and glibc would pick SVE string
    # functions; dotprod, i8mm and fp16 stay on.
    subprocess.run(NICE + ["qemu-aarch64", "-cpu", "max,sve=off,sme=off", "-plugin", f"{a.plugin},out={out}",
                           binary, "run", name, str(reps)], check=True, stdout=subprocess.DEVNULL)
    prof = collections.Counter()
    for line in open(out):
        va, n, ex = line.split()
        prof[(int(va, 16), int(n))] += int(ex)
    return prof


BR = re.compile(r"^(\s*\S+\s+.*?)(?<![#\w])(0x[0-9a-f]+)(\s*<[^>]*>)?\s*$")
_disasm = {}


def disassembly(binary):
    """address -> instruction text of the whole binary (one llvm-objdump run per binary)."""
    if binary not in _disasm:
        out = subprocess.run(NICE + ["llvm-objdump-19", "-d", "--no-show-raw-insn", binary],
                             capture_output=True, text=True, check=True).stdout
        insns = {}
        for l in out.splitlines():
            m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", l)
            if m:
                insns[int(m.group(1), 16)] = m.group(2).strip()
        _disasm[binary] = insns
    return _disasm[binary]


def block_asm(binary, va, n):
    insns = disassembly(binary)
    lines = []
    for i in range(n):
        l = insns.get(va + 4 * i, "nop")
        m = BR.match(l)
        if m:  # a branch / adrp / literal target: a local label (the target does not matter)
            l = m.group(1) + "Ltb"
        lines.append(l)
    return lines


def mca(blocks, core):
    """Cycles per execution of each block (a list of instruction lists) as a loop body: one
    llvm-mca run per core with a code region per block not already cached."""
    keys = [hashlib.sha1((core + "\n".join(b)).encode()).hexdigest() for b in blocks]
    todo = [(k, b) for k, b in zip(keys, blocks) if k not in cache]
    todo = list(dict(todo).items())
    if todo:
        src = []
        for i, (k, b) in enumerate(todo):
            src += [f"# LLVM-MCA-BEGIN r{i}", f"Ltb{i}:"] + [l.replace("Ltb", f"Ltb{i}") for l in b]
            src += ["# LLVM-MCA-END"]
        r = subprocess.run(NICE + ["llvm-mca-19", "-mtriple=aarch64", f"-mcpu={core}",
                                   "-mattr=+dotprod,+fullfp16,+i8mm,+sve", "-iterations=200",
                                   "-skip-unsupported-instructions=parse-failure"],
                           input="\n".join(src) + "\n", capture_output=True, text=True)
        found = re.findall(r"Total Cycles:\s+(\d+)", r.stdout)
        if len(found) != len(todo):
            sys.exit(f"llvm-mca: {len(found)} of {len(todo)} regions modelled\n{r.stderr[:2000]}")
        for (k, _), c in zip(todo, found):
            cache[k] = int(c) / 200
    return [cache[k] for k in keys]


def model(case):
    one, three = profile(case["binary"], case["name"], 1), profile(case["binary"], case["name"], 3)
    blocks = sorted((va, n, (three[(va, n)] - one.get((va, n), 0)) // 2)
                    for (va, n) in three if three[(va, n)] > one.get((va, n), 0))
    # qemu ends a translation block at a 4 KiB page boundary; a loop body that straddles one
    # becomes blocks whose counts differ on the two sides when the first iteration's first part
    # ran inside the preceding block (the loop's entry falls through into it). The blocks on
    # either side are one block for the executions they share; the rest of either stays on its
    # own. qemu splits the straight run from the page the same way on every path into it, so
    # the blocks after the page's first one with its count belong to the same paths (a body of
    # several blocks; likewise the run before the page when that side has the larger count).
    starts, ends = collections.defaultdict(list), collections.defaultdict(list)
    for b in blocks:
        starts[b[0]].append(b)
        ends[b[0] + 4 * b[1]].append(b)
    plan = {}  # block -> executions it shares with the other side of its page

    def walk(first, step, ex, common):
        cur = first
        while True:
            run = [w for w in step(cur) if w[2] == ex and w not in plan]
            if len(run) != 1:
                return
            cur = run[0]
            plan[cur] = common

    for b in blocks:
        va, n, ex = b
        end = va + 4 * n
        nxt = starts.get(end, []) if end % 4096 == 0 else []
        if b in plan or len(nxt) != 1 or nxt[0][2] == ex or nxt[0] in plan:
            continue
        u = nxt[0]
        common = min(ex, u[2])
        plan[b] = plan[u] = common
        if u[2] > ex:
            walk(u, lambda w: starts.get(w[0] + 4 * w[1], []), u[2], common)
        else:
            walk(b, lambda w: ends.get(w[0], []), ex, common)
    split = []
    for b in blocks:
        va, n, ex = b
        if b in plan:
            split += [(va, n, plan[b])] + ([(va, n, ex - plan[b])] if ex > plan[b] else [])
        else:
            split.append(b)
    # Splitting moves executions between blocks, never adds any (each block is split once).
    assert sum(n * ex for _, n, ex in split) == sum(n * ex for _, n, ex in blocks)
    blocks = sorted(split)
    # Merge fall-through neighbours with equal counts (one straight-line block split by qemu).
    starts = collections.defaultdict(list)
    for b in blocks:
        starts[b[0]].append(b)
    used, merged = set(), []
    for b in blocks:
        if b in used:
            continue
        used.add(b)
        va, n, ex = b
        while True:
            nxt = [u for u in starts.get(va + 4 * n, []) if u[2] == ex and u not in used]
            if not nxt:
                break
            used.add(nxt[0])
            n += nxt[0][1]
        merged.append((va, n, ex))
    insns = sum(n * ex for _, n, ex in merged)
    cyc = collections.Counter()
    hot = [(va, n, ex) for va, n, ex in merged if n * ex >= 0.0005 * insns]
    skipped = insns - sum(n * ex for _, n, ex in hot)  # the tail, spread at the mean rate
    asms = [block_asm(case["binary"], va, n) for va, n, _ in hot]
    for core in cores:
        if case["feats"] <= CORE_FEATURES[core]:
            for (va, n, ex), c in zip(hot, mca(asms, core)):
                cyc[core] += c * ex
    scale = insns / max(1, insns - skipped)
    per = 256 / case["units"]
    res = dict(case, feats=sorted(case["feats"]), insn=insns * per,
               cyc={c: cyc[c] * scale * per for c in cores if case["feats"] <= CORE_FEATURES[c]})
    print(f"  {case['show']}: {res['insn']:.1f} insn/256", file=sys.stderr, flush=True)
    return res


with ThreadPoolExecutor(a.jobs) as pool:
    results = list(pool.map(model, cases))
json.dump(cache, open(cache_path, "w"))
if a.json:
    json.dump(results, open(a.json, "w"), indent=1)

# One table per unit (weights, activations, ...): cycles per 256 units per core, and per core
# the cycles the streamed bytes take at BW GB/s on that core's clock.
units = []
for r in results:
    if r["unit"] not in units:
        units.append(r["unit"])
for unit in units:
    print(f"\n### per 256 {unit}s (cycles; in brackets: streaming the bytes at {a.bw:g} GB/s)\n")
    hdr = ["kernel", "needs", "insn"] + [f"{LABEL.get(c, c)} @{ghz.get(c, '?')}GHz" for c in cores]
    hdr.append(f"bytes/{unit}")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in results:
        if r["unit"] != unit:
            continue
        cells = [f"`{r['show']}`", " ".join(r["feats"]) or "-", f"{r['insn']:.1f}"]
        for c in cores:
            if c in r["cyc"]:
                mem = 256 * r["bpu"] / a.bw * float(ghz.get(c, 1))
                cells.append(f"{r['cyc'][c]:.1f} ({mem:.1f})")
            else:
                cells.append("—")
        cells.append(f"{r['bpu']:.4f}")
        print("| " + " | ".join(cells) + " |")
