#!/usr/bin/env python3
"""Writes llama_cpp_ids.tsv: the token ids llama.cpp's tokenizer gives for the cases below on
the shared vocabularies, the expectations of tests/engine/tokenizer_llama_ids_test.cc.

Run once, by hand, with llama.cpp built (its llama-tokenize; the committed file was made with
llama.cpp c392e5094), and commit the output:
    tests/data/tokenizer/make_llama_cpp_ids.py LLAMA_TOKENIZE MODELS_DIR > llama_cpp_ids.tsv
Each case runs
    llama-tokenize -m MODELS_DIR/VOCAB -f CASE --ids --no-bos --no-escape --log-disable
                   [--no-parse-special]
The cases: user-defined added tokens (token_type 4) in plain text, with and without
parse_special; characters of every Unicode general category (N: Nd/Nl/No, L: Lu/Ll/Lt/Lm/Lo,
M: Mn/Mc/Me, P: Pc/Pd/Ps/Pe/Pi/Pf/Po, S: Sm/Sc/Sk/So, Z: Zs/Zl/Zp, and C: Cc/Cf) around ASCII
text, through every byte-level BPE pre-tokenizer.
"""
import os
import subprocess
import sys
import tempfile

BPE = ["vocab-gpt-2.gguf", "vocab-falcon.gguf", "vocab-starcoder.gguf",
       "vocab-deepseek-coder.gguf"]
UNICODE = [
    ("N: Nl No", "Ⅻ apples, ½ and x² ³3 ⅷ"),
    ("N: Nd other scripts", "٣٤٥ and ९८७ or ５６７8"),
    ("L: Lt Lm Lo", "ǅungla ʰello 中文字 あいう ǈx"),
    ("M: Mn Mc Me", "cafe\u0301 ne\u0301e \u0915\u093e\u0903x e\u20dd 1\u0301"),
    ("P: Pc Pd Ps Pe", "a‿b c–d e—f 「x」 (y) ⁅z⁆"),
    ("P: Pi Pf Po", "«y» “q” ‘r’ ¡z! ¿w? a·b §1 ※"),
    ("S: Sm Sc Sk So", "1±2 €5 £3 ^˜ ´x ©® ∑x ≤y °C"),
    ("Z: Zs Zl Zp", "a\u00a0b\u3000c\u2028d\u2029e\u2003f \u2009g"),
    ("C: Cc Cf", "x\u0085y\u200bz\ufeffw\u180ev\u00adu\u200d"),
    ("Z and C: other spaces", "a\x0bb\x0cc\x1cd\x1fe\u1680f\u2007g\u202fh\u205fi \u3000 j"),
    ("N: ASCII and other digits", "a 3 33 333 3333 12345 ½ ²3 4½ ٣3 x1"),
    ("emoji", "ok 👍🏽 🇫🇷 ❤️ 👨‍👩‍👧"),
    ("contractions", "I'VE 'Ll don’t it's WE'RE"),
    ("mixed", "déjà-vu: Ωmega=3.14; naïve ﬁx Ⅸ9"),
]
USER_DEFINED = [
    ("vocab-deepseek-coder.gguf", "user-defined in text", "a<|EOT|>b and <|User|>x"),
    ("vocab-deepseek-coder.gguf", "user-defined fim", "<｜fim▁begin｜>def f():<｜fim▁hole｜>"),
    ("vocab-deepseek-coder.gguf", "user-defined bytes", "x À y ÿ"),
    ("vocab-deepseek-coder.gguf", "user-defined overlap", "[PAD32022][PAD32023]<pad>"),
    ("vocab-deepseek-coder.gguf", "control stays text",
     "<｜begin▁of▁sentence｜>hi"),
    ("vocab-phi-3.gguf", "user-defined in text", "Hello</s>world"),
    ("vocab-phi-3.gguf", "user-defined spaces", "a </s> b</s>  c"),
    ("vocab-phi-3.gguf", "control stays text", "<|user|>\nHi<|end|>"),
]


def tokenize(exe, vocab, text, special):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        args = [exe, "-m", vocab, "-f", path, "--ids", "--no-bos", "--no-escape", "--log-disable"]
        if not special:
            args.append("--no-parse-special")
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(path)
    line = [l for l in out.splitlines() if l.startswith("[")][-1]
    return [int(x) for x in line.strip("[]").split(",") if x.strip()]


def main():
    exe, models = sys.argv[1], sys.argv[2]
    print("# Token ids from llama.cpp's llama-tokenize (see make_llama_cpp_ids.py for the command).")
    print("# vocab\tparse_special\ttext (UTF-8, hex)\tids\tcase")
    cases = [(v, label, text) for v in BPE for label, text in UNICODE] + USER_DEFINED
    for vocab, label, text in cases:
        for special in (0, 1) if label.startswith(("user-defined", "control")) else (0,):
            ids = tokenize(exe, os.path.join(models, vocab), text, special)
            print(f"{vocab}\t{special}\t{text.encode().hex()}\t{','.join(map(str, ids))}\t{label}")


main()
