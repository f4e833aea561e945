"""Writes extra_cases.json: texts that exercise corners of OpenAI CLIP's text cleaning which
tokenizer.json does not reach (Python lower() and strip(), html.unescape, ftfy's HTML, width,
ligature, control-character and mojibake fixes, the regex module's IGNORECASE folding).

Usage: python3 make_extra_cases.py PATH/TO/simple_tokenizer.py PATH/TO/bpe_simple_vocab_16e6.txt.gz
with OpenAI CLIP's clip/simple_tokenizer.py (needs ftfy 6.3.1 and regex installed).
"""
import importlib.util
import json
import sys

spec = importlib.util.spec_from_file_location("simple_tokenizer", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
tokenizer = module.SimpleTokenizer(sys.argv[2])

CASES = [
    ("final sigma", "ΟΔΟΣ ΟΔΟΣ. Σ ΑΣ'Σ ΑΣ\u0301 ΣΑ"),
    ("dotted capital I", "İSTANBUL İ"),
    ("kelvin sign and capital sharp s", "\u212aelvin \u1e9e"),
    ("ypogegrammeni is dropped", "a\u0345b \u0345 \u1fb3"),
    ("long s folds to s", "'\u017fx '\u017ft <|\u017ftartoftext|>a"),
    ("contractions in capitals", "'S 'RE 'Ll 'D 'M 'VE 'T"),
    ("special tokens", "<|endoftext|><|startoftext|> a<|endoftext|>b .<|endoftext|>"),
    ("legacy html entities", "&copyx &notit; &amp &AMP &ltimes; &LTIMES; &amp;amp;"),
    ("numeric references", "n&#0;m &#x80; &#59; &#xffffffff; &#13; &#1; &#x1F431; &#65"),
    ("ftfy capital entities", "EURO &EURO; V&SCARON;ICHNI BUNDESSTRA&SZLIG;E &nTILDE;"),
    ("html off after a line with <", "&amp;\n<html>\n&amp; &lt;"),
    ("terminal escapes", "\x1b[31mred\x1b[0m \x1b[1;2mbold\x1b[m x\x1b[9"),
    ("half-width katakana and symbols", "ﾊﾛｰ ﾜｰﾙﾄﾞ ｶﾞ ￣ ￦ ＡＢＣ１２３！"),
    ("ligatures and digraphs", "ǅemal ŉ ﬅ ﬃ Ĳssel"),
    ("quotes", "‘’‚‛“”„‟ʼ don‛t"),
    ("line breaks", "a\u2028b\u2029c\x85d\r\ne\rf"),
    ("control characters", "\ufeffbom \ufffc\ufff9 \u206a x\x00y\x7fz \x1c\x1d"),
    ("c1 controls", "\x80\x81\x8d\x9d\x9f price"),
    ("latin-1 read as cp1252", "caf\xe9 \x93quoted\x94"),
    ("utf-8 as windows-1252", "The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows."),
    ("restore byte a0", "Ã la mode, voilÃ le travail"),
    ("utf-8 as windows-1251", "ÐŸÑ€Ð¸Ð²ÐµÑ‚ Ð¼Ð¸Ñ€ рџ™‚"),
    ("inconsistent utf-8", "Ãºnico and real ú, â€œquotedâ€\x9d"),
    ("lossy sequence", "â€œ like this â€�"),
    ("cesu-8 emoji", "\xed\xa0\xbd\xed\xb8\x80".encode("latin-1").decode("latin-1")),
    ("whitespace kinds", "a\u2003b\u3000c\xa0d\u200be\u202ff \x1cg"),
    ("combining marks", "e\u0301\u0301 \u1e9b\u0323 a\u0308\u0304"),
    ("emoji sequences", "👩‍🔬 🏳️‍🌈 #️⃣ 🫠"),
    ("scripts", "ελληνικά Ελλάδα ქართული հայերեն ᏣᎳᎩ ꦗꦮ"),
    ("numbers", "٣٤ ௰ 〇 ⅯⅯⅩⅩⅣ ¹²³ ①②"),
]

out = []
for label, text in CASES:
    ids = tokenizer.encode(text)
    cleaned = module.whitespace_clean(module.basic_clean(text)).lower()
    out.append({"label": label, "utf8_hex": text.encode("utf-8").hex(), "cleaned": cleaned, "ids": ids})
with open("extra_cases.json", "w", encoding="utf-8") as f:
    json.dump({"generator": "make_extra_cases.py", "cases": out}, f, ensure_ascii=False, indent=1)
print(len(out), "cases")
