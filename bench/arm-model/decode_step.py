#!/usr/bin/env python3
"""Per-token instructions of a whole decode step from two bbcount.c profiles (see README.md).

  decode_step.py count --engine lutra|llama --label NAME --exe BIN --long A.bb A.log
                       --short B.bb B.log --steps 8 --json OUT.json
      A is the run that generated steps more tokens than B. Each .log is the guest's stderr
      with LD_DEBUG=files (the load base of every shared library); BIN is non-PIE. Every
      translation block is attributed to the function that holds its first instruction, and
      (A - B) / steps is the count per decoded token: loading and prefill are in both runs.
  decode_step.py table OUT.json...
      Markdown tables: per model, instructions per token by family, lutra against llama.cpp.
"""
import argparse
import bisect
import collections
import json
import os
import re
import subprocess
import sys

NM = os.environ.get("NM", "aarch64-linux-gnu-nm")

# First match wins; tested against the demangled name (C++ signatures cut off).
LUTRA_FAMILIES = [
    (r"lutra::kernels::softmax\w*::", "softmax"),
    (r"lutra::kernels::f16::", "vec"),  # f16 <-> f32 conversion, f16 dot/axpy
    (r"lutra::kernels::(\w+)::", None),  # the family is the namespace: lutgemm, ternary2 ...
    (r"pthreadpool|ThreadPool|thread_pool|lutra::engine::.*[Pp]arallel", "threadpool"),
    (r"^xnn_|XNNPACK", "xnnpack"),
    (r"^(__)?(mem|str)\w*|^__libc|^_int_|^malloc|^free$|^cfree|^__GI_", "libc"),
    (r"lutra::engine::", "engine"),
]
LLAMA_FAMILIES = [
    (r"^ggml_vec_dot_f16|^ggml_vec_dot_f32|^ggml_vec_mad_f16|^ggml_vec_mad_f32", "vec_dot_f16/f32 (attn)"),
    (r"^ggml_vec_dot_", "ggml_vec_dot_*"),
    (r"ggml_gemv_|ggml_gemm_|::aarch64::|aarch64", "gemv/gemm repack"),
    (r"quantize_row|quantize_mat|from_float", "quantize_row_*"),
    (r"llamafile|tinyBLAS|sgemm", "llamafile sgemm"),
    (r"soft_max", "softmax"),
    (r"rope", "rope"),
    (r"norm", "norm"),
    (r"^ggml_compute_forward_mul_mat", "mul_mat driver"),
    (r"^ggml_vec_|^ggml_compute_forward_(add|mul|silu|swiglu|glu|unary|get_rows|cpy|dup|scale|cont)",
     "elementwise"),
    (r"ggml_graph_compute|ggml_barrier|thread|ggml_compute_forward$|ggml_compute_forward\b",
     "threadpool/graph"),
    (r"^(__)?(mem|str)\w*|^__libc|^_int_|^malloc|^free$|^cfree|^__GI_", "libc"),
]


# Coarse categories that both engines share, for a side-by-side ratio: (engine, regex on
# "family|function") -> category; first match wins, the rest is "other".
CATEGORIES = [
    ("lutra", r"^lutbuild\||::Quantize|::quantize", "activation prep (LUT build, quantize)"),
    ("lutra", r"^(lutgemm|ternary\d|q4rows|kquant|q8block)\||lutra::engine::linear::",
     "weight matmul"),
    ("lutra", r"^(attn|softmax)\||lutra::engine::attention::", "attention"),
    ("lutra", r"^(rmsnorm|vec|rope)\|", "norm, rope, elementwise"),
    ("llama", r"^quantize_row_", "activation prep (LUT build, quantize)"),
    ("llama", r"^(ggml_vec_dot_\*|gemv/gemm repack|mul_mat driver|llamafile sgemm)\|",
     "weight matmul"),
    ("llama", r"^(vec_dot_f16/f32 \(attn\)|softmax)\||fp32_to_fp16|forward_cpy|forward_dup",
     "attention"),
    ("llama", r"^(norm|rope|elementwise)\|", "norm, rope, elementwise"),
]


def category(engine, fam, name):
    for e, pattern, cat in CATEGORIES:
        if e == engine and re.search(pattern, f"{fam}|{name}"):
            return cat
    return "other (graph, sampler, libc)"


def short_name(name):
    name = name.split("@")[0].replace("(anonymous namespace)", "{anon}")
    depth = 0
    for i, c in enumerate(name):  # cut the parameter list at template depth 0
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif c == "(" and depth <= 0 and i > 0:
            return name[:i]
    return name


def family(engine, name, image):
    rules = LUTRA_FAMILIES if engine == "lutra" else LLAMA_FAMILIES
    for pattern, fam in rules:
        m = re.search(pattern, name)
        if m:
            return fam or m.group(1)
    if "XNNPACK" in image:
        return "xnnpack"
    if re.search(r"lib(c|m|stdc\+\+|gcc_s|pthread)\.so|ld-linux", image):
        return "libc"
    return "other"


class Image:
    """One ELF file loaded at `base`: its function symbols, sorted."""

    def __init__(self, path, base):
        self.path, self.base = path, base
        syms = self._nm([]) or self._nm(["-D"])
        syms.sort()
        self.starts = [s[0] for s in syms]
        self.syms = syms
        self.end = max((s[0] + max(s[1], 1) for s in syms), default=0)

    def _nm(self, extra):
        out = subprocess.run([NM, "-S", "-C", "--defined-only"] + extra + [self.path],
                             capture_output=True, text=True).stdout
        syms = []
        for line in out.splitlines():
            m = re.match(r"^([0-9a-f]+) (?:([0-9a-f]+) )?([TtWwi]) (.*)$", line)
            if m:
                syms.append((int(m.group(1), 16), int(m.group(2) or "0", 16),
                             short_name(m.group(4))))
        return syms

    def lookup(self, offset):
        i = bisect.bisect_right(self.starts, offset) - 1
        if i < 0:
            return None
        start, size, name = self.syms[i]
        # Sizeless symbols (assembly) hold everything up to the next symbol.
        if size and offset >= start + size:
            return None
        return name


def load_map(exe, log):
    """Images of one run: the non-PIE executable at 0, shared libraries from LD_DEBUG=files."""
    paths, bases = {}, []
    pending = None
    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r"calling init: (\S+)", line)
            if m:
                paths[os.path.basename(m.group(1))] = m.group(1)
            m = re.search(r"file=(\S+) \[0\];\s+generating link map", line)
            if m:
                pending = m.group(1)
                continue
            m = re.search(r"base: 0x([0-9a-f]+)\s+size: 0x([0-9a-f]+)", line)
            if m and pending:
                bases.append((pending, int(m.group(1), 16), int(m.group(2), 16)))
                pending = None
    main = Image(exe, 0)
    images = [(main.starts[0] if main.starts else 0, main.end, main)]
    for soname, base, size in bases:
        path = paths.get(soname)
        if path and os.path.exists(path):
            images.append((base, base + size, Image(path, base)))
    # A shared library lies above the executable: the last range that holds an address wins.
    images.sort(key=lambda t: t[0])
    return images


def profile(engine, exe, bb, log, cache):
    """Instructions per (family, function) of one run, and the run's total."""
    images = load_map(exe, log)
    starts = [im[0] for im in images]
    funcs = collections.Counter()
    total = 0
    with open(bb) as f:
        for line in f:
            vaddr, n, execs = line.split()
            vaddr, insns = int(vaddr, 16), int(n) * int(execs)
            total += insns
            key = cache.get(vaddr)
            if key is None:
                key = ("other", "?unmapped")
                i = bisect.bisect_right(starts, vaddr) - 1
                while i >= 0:
                    lo, hi, im = images[i]
                    if lo <= vaddr < hi:
                        name = im.lookup(vaddr - im.base)
                        base = os.path.basename(im.path)
                        key = (family(engine, name, base), name) if name else \
                            (family(engine, "", base), "?" + base)
                        break
                    i -= 1
                cache[vaddr] = key
            funcs[key] += insns
    return funcs, total


def cmd_count(a):
    long_f, long_t = profile(a.engine, a.exe, a.long[0], a.long[1], {})
    short_f, short_t = profile(a.engine, a.exe, a.short[0], a.short[1], {})
    per_func = {}
    for key in set(long_f) | set(short_f):
        d = (long_f[key] - short_f[key]) / a.steps
        if d:
            per_func[key] = d
    fams, cats = collections.Counter(), collections.Counter()
    for (fam, name), d in per_func.items():
        fams[fam] += d
        cats[category(a.engine, fam, name)] += d
    top = sorted(per_func.items(), key=lambda kv: -kv[1])[: a.top]
    res = {
        "engine": a.engine, "label": a.label, "model": a.model or a.label, "cpu": a.cpu,
        "steps": a.steps, "total_long": long_t, "total_short": short_t,
        "per_token": (long_t - short_t) / a.steps,
        "families": dict(fams.most_common()),
        "categories": dict(cats),
        "top": [[fam, name, d] for (fam, name), d in top],
    }
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)
    print(f"{a.engine} {a.label} [{a.cpu}]: {res['per_token'] / 1e6:.2f} M instructions/token "
          f"(runs {long_t / 1e9:.3f} G and {short_t / 1e9:.3f} G)")
    for fam, d in fams.most_common():
        print(f"  {fam:<24} {d / 1e6:9.2f} M  {100 * d / res['per_token']:5.1f} %")
    print("  top functions:")
    for (fam, name), d in top:
        print(f"    {d / 1e6:9.3f} M  {fam:<16} {name[:110]}")


def fmt(x):
    return f"{x / 1e6:.2f}" if x else "–"


def cmd_table(a):
    runs = []
    for p in a.json:
        with open(p) as f:
            runs.append(json.load(f))
    models = []
    for r in runs:
        if r["model"] not in models:
            models.append(r["model"])
    print("Instructions per decoded token, millions (qemu-aarch64 TCG, 1 thread; "
          "(count(N long) - count(N short)) / steps).\n")
    print("| model | qemu cpu | lutra | llama.cpp | lutra / llama.cpp |")
    print("|---|---|---:|---:|---:|")
    for m in models:
        lu = {r["cpu"]: r for r in runs if r["model"] == m and r["engine"] == "lutra"}
        ll = {r["cpu"]: r for r in runs if r["model"] == m and r["engine"] == "llama"}
        for cpu in list(lu) + [c for c in ll if c not in lu]:
            x = lu.get(cpu)
            # A lutra run is compared with llama.cpp on the same CPU, else on its first one.
            y = ll.get(cpu) or (next(iter(ll.values())) if ll and x else None)
            cpus = cpu if not y or y["cpu"] == cpu else f"{cpu} / {y['cpu']}"
            ratio = f"{x['per_token'] / y['per_token']:.3f}" if x and y else "–"
            print(f"| {m} | {cpus} | {fmt(x['per_token']) if x else '–'} | "
                  f"{fmt(y['per_token']) if y else '–'} | {ratio} |")
    cat_names = []
    for _, _, c in CATEGORIES + [(0, 0, "other (graph, sampler, libc)")]:
        if c not in cat_names:
            cat_names.append(c)
    print("\nBy category (M instructions per token; lutra / llama.cpp):\n")
    print("| model [cpu] | " + " | ".join(cat_names) + " |")
    print("|---|" + "---:|" * len(cat_names))
    for m in models:
        lu = {r["cpu"]: r for r in runs if r["model"] == m and r["engine"] == "lutra"}
        ll = {r["cpu"]: r for r in runs if r["model"] == m and r["engine"] == "llama"}
        for cpu, x in lu.items():
            y = ll.get(cpu) or next(iter(ll.values()), None)
            if not y:
                continue
            cells = []
            for c in cat_names:
                u, v = x.get("categories", {}).get(c, 0), y.get("categories", {}).get(c, 0)
                cells.append(f"{u / 1e6:.2f} / {v / 1e6:.2f}" + (f" ({u / v:.2f}×)" if v else ""))
            print(f"| {m} [{cpu}] | " + " | ".join(cells) + " |")
    for m in models:
        print(f"\n**{m}** (M instructions per token, share of the engine's total)\n")
        sel = [r for r in runs if r["model"] == m]
        print("| engine [cpu] | family | M/token | share |")
        print("|---|---|---:|---:|")
        for r in sel:
            name = f"{'lutra' if r['engine'] == 'lutra' else 'llama.cpp'} [{r['cpu']}]"
            for fam, d in sorted(r["families"].items(), key=lambda kv: -kv[1]):
                if abs(d) < 0.0005 * r["per_token"]:
                    continue
                print(f"| {name} | {fam} | {d / 1e6:.2f} | {100 * d / r['per_token']:.1f} % |")
            print(f"| {name} | **total** | **{r['per_token'] / 1e6:.2f}** | |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("count")
    c.add_argument("--engine", choices=["lutra", "llama"], required=True)
    c.add_argument("--label", required=True)
    c.add_argument("--model", default="")
    c.add_argument("--cpu", default="max")
    c.add_argument("--exe", required=True)
    c.add_argument("--long", nargs=2, required=True, metavar=("BB", "LOG"))
    c.add_argument("--short", nargs=2, required=True, metavar=("BB", "LOG"))
    c.add_argument("--steps", type=int, default=8)
    c.add_argument("--top", type=int, default=15)
    c.add_argument("--json", required=True)
    t = sub.add_parser("table")
    t.add_argument("json", nargs="+")
    a = p.parse_args()
    cmd_count(a) if a.cmd == "count" else cmd_table(a)


if __name__ == "__main__":
    sys.exit(main())
