r"""Reading a critic's verdict: the index of the earliest wrong paragraph, -1, or an abstention.

A critique is read for its *final stated verdict*, the way a careful person reads it:

1. Candidates are collected with their positions: ``\boxed{…}`` values, verdict sentences
   ("the earliest/first error occurs in / is found in / is in paragraph N", "**Earliest
   error:** Paragraph 3", "the index of the earliest wrong paragraph is 3", "the mistake
   occurs in paragraph 2", "paragraph_1 contains the earliest error", "the fourth paragraph
   is where the first mistake is made", "the answer is -1") and no-error sentences ("the
   solution is correct", "I found no errors", "all steps are correct", "no paragraph
   contains an error"). Local judgements ("Paragraph 3 is incorrect", "Step 3 is
   incorrect") are weaker: they decide only where no verdict sentence or box does.
2. What is not the critic's own verdict is dropped: a box that quotes the solution (in a
   ``>`` quote or quotation marks, preceded by the solution's own words, or followed by
   more of the sentence, as in "the final answer \boxed{4} is wrong"), a sentence that is a
   question, a guess ("at first I thought", "might", "seems"), or a negation.
3. The verdict is the last candidate; the candidates of its block of text (and of the block
   just before it, where a box follows its sentence) must agree, else the reader abstains
   ("conflicting verdicts"). Deliberation further up ("I first suspected paragraph 1 …")
   does not count.
4. Numbering. The prompt tags paragraphs ``<paragraph_i>`` from 0, so ``paragraph_3``, a
   box and a bare index are 0-based. A critique that numbers its own way is read only where
   its numbering is certain: a walkthrough that mentions paragraph 0 is 0-based; one whose
   "Paragraph k" sections quote or restate paragraph k-1 (or that runs 1..n over n
   paragraphs) is 1-based; "the third paragraph" is the third one (index 2); "Step k" is
   read through the solution's own "Step k" names, the critique's own "Step k: … paragraph_j"
   headers, or a "Step 1..n" walkthrough of all n paragraphs. Anything else that depends on
   an unknown numbering abstains, naming why.

Every abstention keeps its reason: "no verdict", "conflicting verdicts [...]", "boxed
verdict is not an index", "verdict N out of range", "paragraph numbering uncertain", "step
numbering uncertain".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

MAX_VERDICT_CHARS = 20_000


@dataclass(frozen=True)
class Verdict:
    index: int | None  # earliest wrong paragraph, -1 for none, None when abstaining
    reason: str  # how it was read, or why it abstains


# ------------------------------------------------------------------ vocabulary

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "last": -99,
}
_ORD = r"(?:" + "|".join(_ORDINALS) + r"|\d+(?:st|nd|rd|th))"
# A reference to one paragraph of the solution, in any of the numberings critics use.
_REF = (
    r"(?:<?paragraph_(?P<tag>\d+)>?"
    r"|(?:the\s+)?(?:solution'?s\s+)?(?P<ord>" + _ORD + r")\s+(?:paragraph|step)\b"
    r"(?!\s+(?:of|in|within)\s+(?:the\s+)?(?:<?paragraph|step))"  # "the second step of paragraph 3" is inside it
    r"|\bparagraph\s*(?:number\s*|no\.?\s*|#\s*)?(?P<para>-?\d+)\b"
    r"|\bparagraph\s+(?P<pword>zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
    r"|\bstep\s*(?:number\s*|#\s*)?(?P<step>\d+)\b"
    r"|\bindex\s+(?P<ix>-?\d+)\b)"
)
_ERR = r"(?:error|mistake|issue|flaw|problem|inaccuracy|incorrect\s+(?:step|paragraph|statement|calculation)|wrong\s+(?:step|paragraph))s?"
_VERB = (r"(?:(?:first\s+)?(?:occurs?|occurred|appears?|appeared|arises?|lies|happens?|is\s+made|was\s+made|begins?|starts?|"
         r"is\s+(?:found|located|present|introduced)|was\s+(?:found|introduced)|can\s+be\s+found|is|was)\s+)?")
_GAP = r"(?:[ \t:,(\"']|-(?!\d)){0,6}"  # punctuation and spaces between a phrase and its reference, within a line

# Verdict sentences: (pattern, what they name). Each pattern has the _REF groups or a bare index.
_STRONG = [
    # "the earliest error occurs in paragraph 3", "**Earliest error:** Paragraph 3", "the first mistake is in the third paragraph"
    re.compile(r"\b(?:earliest|first|initial)\s+(?:\w+\s+){0,2}?" + _ERR + r"\s*(?:\w+\s+){0,3}?" + _VERB
               + r"(?:in|at|within|with|:|is)?" + _GAP + _REF, re.I),
    # "the earliest paragraph with an error is paragraph 3", "the first incorrect paragraph is paragraph 0"
    re.compile(r"\b(?:earliest|first)\s+(?:incorrect|wrong|erroneous|flawed)?\s*(?:paragraph|step)\s+"
               r"(?:with|containing|that\s+(?:contains|has|is))?\s*(?:an?\s+)?(?:error|mistake|incorrect|wrong)?\s*"
               r"(?:is|:)" + _GAP + _REF, re.I),
    # a heading, then the reference on the next line: "### Earliest error:\nParagraph 3"
    re.compile(r"\b(?:earliest|first)\s+(?:error|mistake|incorrect\s+paragraph|wrong\s+paragraph)\s*:?[ \t#]*\n[ \t>#\-]*" + _REF, re.I),
    # "the index of the earliest wrong paragraph is 3", "the index of the paragraph where the earliest error occurs is 3"
    re.compile(r"\bindex\s+(?:of\s+the\s+)?(?:[\w'-]+\s+){0,9}?(?:is|=|:)" + _GAP + r"(?P<idx>-?\d+)\b", re.I),
    # "paragraph_1 contains the earliest error", "the fourth paragraph is where the first mistake is made"
    re.compile(_REF + r"[\s,)]*(?:\([^)]{0,30}\)\s*)?(?:,\s*[\w_ ]{0,20},\s*)?(?:contains|has|is\s+where|is)\s+"
               r"(?:the\s+)?(?:earliest|first)\s+(?:\w+\s+){0,3}?(?:error|mistake|wrong|incorrect|erroneous)", re.I),
    # "the mistake occurs in paragraph 2", "an error is found in paragraph 3", "the error first appears in the first paragraph"
    re.compile(r"\b(?:the\s+|an?\s+)?(?:error|mistake|flaw)\s+(?:first\s+)?(?:occurs?|appears?|arises?|lies|is\s+found|"
               r"can\s+be\s+found|is\s+located|is\s+made|was\s+made|is)\s+(?:in|at|within)"
               r"(?:\s+the\s+(?:\w+\s+){1,3}?(?:in|of|at))?" + _GAP + _REF, re.I),
    # "**Error:** Paragraph 2", "Error found: paragraph_2", "the incorrect paragraph is paragraph 2"
    re.compile(r"(?:^|\n)[ \t>#\-]*(?:first\s+)?(?:error|mistake)s?(?:\s+(?:found|located))?\s*:" + _GAP + _REF, re.I),
    re.compile(r"\bthe\s+(?:incorrect|wrong|erroneous)\s+(?:paragraph|step)\s+is" + _GAP + _REF, re.I),
    # "paragraph 3 is where the error occurs"
    re.compile(_REF + r"\s+is\s+where\s+(?:the|an?)\s+(?:error|mistake)", re.I),
    # "the final answer is: 3", "the answer is -1", "Answer: 2", "return -1"
    re.compile(r"\b(?:final\s+answer|answer|verdict|result)\s*(?:is|=|:)\s*:?\s*(?P<idx>-?\d+)\s*(?=$|[.!\n*)]|\s*$)", re.I),
    re.compile(r"\breturn(?:s|ing)?\s+(?:the\s+index\s+)?(?P<idx>-1)\b(?=\s*(?:$|[.!\n*)]))", re.I),
]
_WEAK = [
    # "Paragraph 3 is incorrect", "Step 3 is incorrect", "paragraph_0 contains an error"
    re.compile(_REF + r"(?:\s*\([^)]{0,30}\))?\s*(?:is|was)\s+(?:also\s+)?(?:incorrect|wrong|erroneous|flawed|invalid)\b", re.I),
    re.compile(_REF + r"(?:\s*\([^)]{0,30}\))?\s*(?:contains|has|introduces|makes)\s+(?:an?|the)\s+(?:\w+\s+)?(?:error|mistake)", re.I),
]
_NONE = [
    re.compile(r"\b(?:all|every|each)\s+(?:of\s+the\s+)?(?:\w+\s+)?(?:paragraphs?|steps?)\s+(?:\w+\s+)?(?:are|is)\s+"
               r"(?:all\s+)?(?:\w+\s+(?:and\s+)?){0,3}?(?:correct|right|valid|accurate|error[- ]free)", re.I),
    re.compile(r"\b(?:the\s+)?(?:entire\s+|whole\s+|given\s+)?solution\s+(?:is|appears\s+to\s+be|seems\s+to\s+be)\s+"
               r"(?:entirely\s+|completely\s+|fully\s+|totally\s+|perfectly\s+)?(?:correct|right|valid|error[- ]free)"
               r"(?!\s+(?:up\s+to|until|till|through|except|but|only|before|in\s+paragraph|for\s+paragraph))", re.I),
    re.compile(r"\b(?:found|find|see|detect|detected|identified|spot)\s+no\s+(?:\w+\s+)?(?:errors?|mistakes?|issues?)", re.I),
    re.compile(r"\bno\s+(?:\w+\s+)?(?:errors?|mistakes?)\s+(?:were\s+|was\s+|are\s+|is\s+)?(?:found|detected|identified|present)", re.I),
    re.compile(r"\bthere\s+(?:is|are|were)\s+no\s+(?:\w+\s+)?(?:errors?|mistakes?)(?=\s*(?:in\s+(?:the|this|any)\s+(?:solution|paragraphs?|steps?)|[.!,;]|$))", re.I),
    re.compile(r"\b(?:solution|it)\s+(?:contains|has)\s+no\s+(?:\w+\s+)?(?:errors?|mistakes?)", re.I),
    re.compile(r"\bno\s+(?:paragraph|step)\s+(?:contains|has|is\s+(?:incorrect|wrong))\s*(?:an?\s+)?(?:errors?|mistakes?)?", re.I),
    re.compile(r"\bnone\s+of\s+the\s+(?:paragraphs|steps)\s+(?:contains?|has|have|is|are)\s+(?:an?\s+|any\s+)?"
               r"(?:errors?|mistakes?|incorrect|wrong)", re.I),
    re.compile(r"\b(?:solution|it)\s+(?:does\s+not|doesn't)\s+(?:contain|have)\s+any\s+(?:\w+\s+)?(?:errors?|mistakes?)", re.I),
    re.compile(r"\b(?:is|are)\s+(?:entirely\s+|completely\s+)?(?:free\s+of|without)\s+(?:any\s+)?(?:errors?|mistakes?)", re.I),
    re.compile(r"\bno\s+(?:incorrect|wrong|erroneous)\s+(?:paragraphs?|steps?)\b", re.I),
    re.compile(r"\b(?:every|each)\s+(?:paragraph|step)\s+(?:checks\s+out|holds\s+up)", re.I),
    re.compile(r"\beverything\s+(?:is\s+(?:correct|right)|checks\s+out)", re.I),
    re.compile(r"\bno\s+(?:errors?|mistakes?)\s+(?:were|was)\s+made\b", re.I),
]
_LOCAL = re.compile(r"^\s*(?:here|so\s+far|(?:in|for)\s+(?:(?:this|that)\s+(?:paragraph|step|part|calculation)|paragraph|step|"
                    r"<?paragraph_|the\s+(?:" + _ORD + r")\s+(?:paragraph|step))|up\s+to|until|before|yet|"
                    r",?\s*(?:except|but|apart\s+from|other\s+than|save\s+for|besides))", re.I)
_HEDGE = re.compile(r"\b(?:if|whether|might|may|could|seems?|seemed|perhaps|maybe|possibly|suspect(?:ed)?|"
                    r"thought|initially|at\s+first|assume|suppose|let'?s\s+(?:check|see|verify)|need\s+to|should\s+check|"
                    r"to\s+determine|to\s+check|to\s+verify|to\s+find|to\s+identify|unless|not\s+sure|unsure)\b", re.I)
# Conditions that restate the task ("output -1 when every paragraph is correct"): no-error claims only.
_CONDITION = re.compile(r"\b(?:when|whenever|otherwise|in\s+case)\b", re.I)
_RETRACT = re.compile(r"\b(?:no,?\s+wait|wait|actually|on\s+second\s+thought|correction|scratch\s+that|"
                      r"let\s+me\s+re-?(?:check|consider|examine|evaluate)|upon\s+(?:re-?examination|reflection|closer\s+inspection)|"
                      r"on\s+closer\s+inspection|on\s+re-?examination|i\s+made\s+a\s+mistake|i\s+was\s+wrong|i\s+misread)\b", re.I)
_NEG = re.compile(r"\b(?:no|not|never|without|isn'?t|doesn'?t|don'?t|wasn'?t|nor)\s*$", re.I)
_BOX = re.compile(r"\\boxed\s*\{")
_SECTION = re.compile(r"^[ \t>*#_\-•]*(?:\d+[.)]\s*)?[*_ ]*(?:(?P<unit>paragraph|step)[ _]*(?P<num>\d+)|<?paragraph_(?P<tag>\d+)>?)\b",
                      re.I | re.M)
_STEP_NAME = re.compile(r"^[\s#*_>]*step\s*(\d+)\s*[:.)\-*]", re.I)
_FRAGMENT = re.compile(r"[\w.%$()]+(?:\s*[=×*+\-−/÷]\s*[\w.%$()]+){2,}")


@dataclass
class _Candidate:
    pos: int
    end: int
    kind: str  # boxed | stated | none | weak
    value: int | None  # 0-based index or -1, when known
    problem: str | None = None  # why the value is unknown (numbering, not an index)
    unit: str = "index"
    raw: int | None = None  # the number as written (paragraph references and boxes)


@dataclass
class _Numbering:
    paragraph: int | None = 0  # critique number = index + offset; None: uncertain
    paragraph_why: str = ""
    step: int | None = None
    step_why: str = "step numbering uncertain: the critique and the solution do not say what 'Step k' counts"
    step_headers: dict[int, int] = field(default_factory=dict)  # critique's own "Step k: … paragraph_j"


def _plain(text: str) -> str:
    """Markdown emphasis and LaTeX inline delimiters out; Unicode quotes and dashes made plain.
    Keeps the length where it matters little: positions are only compared within this text."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", " - ")
    text = re.sub(r"\*\*|__|(?<![\w*])\*(?!\s)|(?<!\s)\*(?![\w*])|`", "", text)
    text = text.replace("\\(", " ").replace("\\)", " ").replace("\\[", " ").replace("\\]", " ")
    return text


def _norm(s: str) -> str:
    s = _plain(s).lower().replace("$", "")
    s = re.sub(r"\\text\{([^}]*)\}", r"\1", s)
    return re.sub(r"\s+", " ", s).strip(" .,:;\"'")


# ------------------------------------------------------------------ numbering


def _numbering(text: str, num_steps: int, paragraphs: list[str] | None) -> _Numbering:
    nb = _Numbering()
    sections = list(_SECTION.finditer(text))
    para_nums = {int(m.group("num")) for m in sections if m.group("unit") and m.group("unit").lower() == "paragraph"}
    step_nums = [int(m.group("num")) for m in sections if m.group("unit") and m.group("unit").lower() == "step"]
    mentions = {int(x) for x in re.findall(r"\bparagraph[ _]*(\d+)\b", text, re.I)}
    tags = {int(x) for x in re.findall(r"paragraph_(\d+)", text, re.I)}

    # Content alignment: which solution paragraph each "Paragraph k" / "Step k" section quotes.
    offsets: dict[str, list[int]] = {"paragraph": [], "step": []}
    if paragraphs:
        normed = [_norm(p) for p in paragraphs]
        bounds = [m.start() for m in sections] + [len(text)]
        for m, end in zip(sections, bounds[1:]):
            if not m.group("unit"):
                continue
            unit, k = m.group("unit").lower(), int(m.group("num"))
            body = text[m.end():end]
            snippets = re.findall(r'"([^"\n]{12,})"', body) + re.findall(r"^\s*>\s*(.{12,})$", body, re.M)
            snippets += [f for f in _FRAGMENT.findall(body) if len(f) >= 7]
            hits = set()
            for snip in snippets:
                s = _norm(snip)
                where = [i for i, p in enumerate(normed) if s and s in p]
                if len(where) == 1:
                    hits.add(where[0])
            if len(hits) == 1:
                offsets[unit].append(k - hits.pop())
    # Stated mappings: "Paragraph 2 (paragraph_1)", "Step 3 (index 2)", "Step 3, which is paragraph_2".
    stated: dict[str, set[int]] = {"paragraph": set(), "step": set()}
    for m in re.finditer(r"\b(paragraph|step)\s*(\d+)(?:\s+of\s+the\s+solution)?\s*(?:[(\[]\s*|,\s*(?:which|that)\s+is\s+|,\s*i\.e\.,?\s*)"
                         r"(?:<?(?:index|paragraph_)\s*(\d+)>?|paragraph\s+(\d+))", text, re.I):
        unit, k = m.group(1).lower(), int(m.group(2))
        if m.group(3) is not None:
            stated[unit].add(k - int(m.group(3)))
        elif unit == "step":
            stated[unit].add(k - int(m.group(4)))  # "Step 3, which is paragraph 2": paragraphs as the prompt numbers them
    # "the first paragraph (Paragraph 1)", "Paragraph 1 (the first paragraph)": ordinals count from one
    for m in re.finditer(r"\b(?:the\s+)?(" + _ORD + r")\s+paragraph\s*[(\[,]\s*paragraph\s+(\d+)"
                         r"|\bparagraph\s+(\d+)\s*[(\[,]\s*(?:i\.e\.,?\s*)?(?:the\s+)?(" + _ORD + r")\s+paragraph", text, re.I):
        word, k = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        n = _ORDINALS.get(word.lower()) or int(re.match(r"\d+", word).group())
        if n > 0:
            stated["paragraph"].add(int(k) - (n - 1))

    # Paragraph numbers: the prompt's tags are 0-based; a critique may count its own way.
    votes = Counter(offsets["paragraph"])
    top = votes.most_common(1)[0] if votes else None
    if len(stated["paragraph"]) == 1:
        nb.paragraph = stated["paragraph"].pop()
        nb.paragraph_why = f"the critique maps its paragraph numbers (offset {nb.paragraph})"
    elif len(stated["paragraph"]) > 1:
        nb.paragraph, nb.paragraph_why = None, "paragraph numbering uncertain: the critique maps it inconsistently"
    elif 0 in mentions:
        nb.paragraph = 0  # "paragraph 0" exists only in the prompt's numbering
    elif top and top[1] * 2 > len(offsets["paragraph"]):
        nb.paragraph = top[0]
        nb.paragraph_why = f"paragraph sections quote the solution (offset {nb.paragraph})"
    elif votes:
        nb.paragraph, nb.paragraph_why = None, "paragraph numbering uncertain: sections quote inconsistently"
    elif tags:
        nb.paragraph = 0
    elif para_nums and min(para_nums) == 1 and num_steps in para_nums and max(para_nums) == num_steps:
        nb.paragraph, nb.paragraph_why = 1, f"paragraph sections run 1..{num_steps}"
    elif para_nums and min(para_nums) == 1 and 2 in para_nums:
        nb.paragraph, nb.paragraph_why = None, ("paragraph numbering uncertain: sections start at paragraph 1 "
                                                "and nothing shows whether 1 is paragraph_0 or paragraph_1")

    # Step numbers: the solution's own names first, then the critique's own headers.
    if paragraphs:
        named = [_STEP_NAME.match(p) for p in paragraphs]
        ks = [int(m.group(1)) - i for i, m in enumerate(named) if m]
        if len(ks) >= max(2, len(paragraphs) // 2) and len(set(ks)) == 1:
            nb.step, nb.step_why = ks[0], "the solution names its paragraphs 'Step k'"
    for m in sections:
        if m.group("unit") and m.group("unit").lower() == "step":
            line_end = text.find("\n", m.end())
            header = text[m.end(): len(text) if line_end < 0 else line_end]
            named = {int(x) for x in re.findall(r"paragraph[_ ]?(\d+)", header, re.I)}
            if len(named) == 1 and nb.paragraph is not None:
                nb.step_headers[int(m.group("num"))] = named.pop() - (nb.paragraph if not re.search(r"paragraph_", header) else 0)
    step_votes = Counter(offsets["step"])
    step_top = step_votes.most_common(1)[0] if step_votes else None
    if len(stated["step"]) == 1:
        nb.step, nb.step_why = stated["step"].pop(), "the critique maps its step numbers to paragraphs"
    elif nb.step is not None:
        pass  # the solution's own "Step k" names
    elif step_top and step_top[1] * 2 > len(offsets["step"]):
        nb.step, nb.step_why = step_top[0], "step sections quote the solution"
    elif not nb.step_headers and step_nums and sorted(set(step_nums)) == list(range(1, num_steps + 1)):
        nb.step, nb.step_why = 1, f"the critique walks through the solution as Steps 1..{num_steps}"
    elif not nb.step_headers and step_nums and sorted(set(step_nums)) == list(range(num_steps)):
        nb.step, nb.step_why = 0, f"the critique walks through the solution as Steps 0..{num_steps - 1}"
    return nb


_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def _raw(m: re.Match) -> int | None:
    g = m.groupdict()
    if g.get("pword") is not None:
        return _WORDS.index(g["pword"].lower())
    return int(g["para"]) if g.get("para") is not None else None


def _resolve(m: re.Match, nb: _Numbering, num_steps: int) -> tuple[int | None, str | None, str]:
    """(0-based index, problem, unit) of a reference match."""
    groups = m.groupdict()
    for name in ("idx", "ix"):
        if groups.get(name) is not None:
            return int(groups[name]), None, "index"
    if groups.get("tag") is not None:
        return int(groups["tag"]), None, "tag"
    if groups.get("ord") is not None:
        word = groups["ord"].lower()
        n = _ORDINALS.get(word) or int(re.match(r"\d+", word).group())
        return (num_steps - 1 if n == -99 else n - 1), None, "ordinal"
    if groups.get("para") is not None or groups.get("pword") is not None:
        n = int(groups["para"]) if groups.get("para") is not None else _WORDS.index(groups["pword"].lower())
        if n == -1:
            return -1, None, "index"
        if nb.paragraph is None:
            return None, nb.paragraph_why, "paragraph"
        return n - nb.paragraph, None, "paragraph"
    if groups.get("step") is not None:
        n = int(groups["step"])
        if nb.step is not None and n in nb.step_headers and nb.step_headers[n] != n - nb.step:
            return None, (f"step numbering uncertain: the solution's Step {n} is paragraph {n - nb.step}, "
                          f"the critique's own Step {n} checks paragraph {nb.step_headers[n]}"), "step"
        if nb.step is not None:
            return n - nb.step, None, "step"
        if n in nb.step_headers:
            return nb.step_headers[n], None, "step"
        return None, nb.step_why, "step"
    return None, "no reference", "index"


# ------------------------------------------------------------------ context tests


def _sentence(text: str, pos: int, end: int) -> tuple[str, str]:
    """The sentence before ``pos`` and the rest of it from ``end`` (to . ! ? or a line end)."""
    start = max(text.rfind(c, 0, pos) for c in ".!?\n")
    before = text[start + 1: pos]
    stop = len(text)
    for c in "!?\n":
        i = text.find(c, end)
        if i >= 0:
            stop = min(stop, i)
    for mm in re.finditer(r"\.(?:\s|$)", text[end:]):
        stop = min(stop, end + mm.start())
        break
    return before, text[end: stop + 1]


def _discounted(text: str, pos: int, end: int) -> bool:
    """A question, a guess or a negation: not something the critic asserts."""
    before, after = _sentence(text, pos, end)
    if after.endswith("?"):
        return True
    if _HEDGE.search(before):
        return True
    return bool(_NEG.search(before[-25:]))


def _quoted(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    line = text[line_start:pos]
    if line.lstrip().startswith(">"):
        return True
    return line.count('"') % 2 == 1


def _boxes(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _BOX.finditer(text):
        depth, i = 1, m.end()
        stop = min(len(text), m.end() + 200)  # a verdict box is short; an unclosed one ends the search
        while i < stop and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            out.append((m.start(), i, text[m.end(): i - 1]))
    return out


def _box_quotes_solution(text: str, pos: int, end: int, content: str, paragraphs: list[str] | None) -> bool:
    """A box the critique copies from the solution rather than its own verdict."""
    if _quoted(text, pos):
        return True
    _, after = _sentence(text, pos, end)
    tail = re.sub(r"[\s$.,:;!)\\\]*_]|\\\)|\\\]", "", after)
    goes_on = bool(tail) and not re.fullmatch(r"[✔✓✅]*", tail)  # "… \boxed{4} is wrong"
    if paragraphs is None:
        return goes_on
    own = [b for p in paragraphs for b in _boxes(p)]
    if any(_norm(c) == _norm(content) for *_, c in own):  # the solution has this very box
        if goes_on:
            return True
        value, _ = _box_value(content, _Numbering(), len(paragraphs))
        if value is None or not (value == -1 or 0 <= value < len(paragraphs)):
            return True  # the solution's answer, and no index
        if pos < _blocks(text)[-2 if len(_blocks(text)) > 1 else -1]:
            return True  # the solution's own answer, repeated in the walkthrough
        before = _norm(text[max(0, pos - 40): pos].split("\n")[-1])
        words = before.split(" ")[-3:]
        lead = " ".join(words)
        if re.search(r"[\d=+×*/-]", lead) and any(lead in _norm(p) for p in paragraphs):
            return True  # "… 44 − 40 = \boxed{4}": the solution's own math around the box
        if re.search(r"\b(?:solution|its|their|concludes?|states?|stated|gives?|gets?|obtains?|arrives?)\b", before):
            return True
    return False


def _box_value(content: str, nb: _Numbering, num_steps: int) -> tuple[int | None, str | None]:
    inner = re.sub(r"\\(?:text|mathrm|textbf|mathbf)\s*\{([^}]*)\}", r"\1", content)
    inner = inner.replace("\\", "").replace("{", "").replace("}", "").strip().strip("$ .")
    if re.fullmatch(r"-?\s*\d+", inner):
        return int(inner.replace(" ", "")), None
    ref = re.fullmatch(_REF, inner, re.I)
    if ref:
        value, problem, _ = _resolve(ref, nb, num_steps)
        return value, problem
    if re.fullmatch(r"(?:none|no\s+errors?|n/?a)", inner, re.I):
        return -1, None
    return None, f"boxed verdict is not an index: {content[:40]!r}"


# ------------------------------------------------------------------ reading


def _candidates(text: str, num_steps: int, paragraphs: list[str] | None, nb: _Numbering) -> list[_Candidate]:
    found: list[_Candidate] = []
    boxes = _boxes(text)
    box_spans = [(a, b) for a, b, _ in boxes]
    for a, b, content in boxes:
        if _box_quotes_solution(text, a, b, content, paragraphs) or _discounted(text, a, b):
            continue
        value, problem = _box_value(content, nb, num_steps)
        raw = value if re.fullmatch(r"\s*-?\d+\s*", content) else None
        found.append(_Candidate(a, b, "boxed", value, problem, raw=raw))

    def inside_box(pos: int) -> bool:
        return any(a <= pos < b for a, b in box_spans)

    def add(m: re.Match, kind: str, value: int | None, problem: str | None, unit: str) -> None:
        if inside_box(m.start()) or _quoted(text, m.start()) or _discounted(text, m.start(), m.end()):
            return
        if kind != "none" and re.search(r"\b(?:not|never|no)\b|n't\b", m.group(0), re.I):
            return  # "the first error is not in paragraph 1"
        if value == -1 and _CONDITION.search(_sentence(text, m.start(), m.end())[0]):
            return
        found.append(_Candidate(m.start(), m.end(), kind, value, problem, unit, _raw(m)))

    for pattern in _STRONG:
        for m in pattern.finditer(text):
            value, problem, unit = _resolve(m, nb, num_steps)
            if "idx" in m.groupdict() and value is not None and not (value == -1 or 0 <= value < num_steps):
                continue  # "the final answer is 33": the solution's answer, not an index
            add(m, "stated", value, problem, unit)
    for pattern in _NONE:
        for m in pattern.finditer(text):
            if _LOCAL.match(text[m.end():]):
                continue  # "no error here", "correct up to paragraph 2"
            add(m, "none", -1, None, "index")
    if not any(c.kind in ("stated", "none") for c in found):
        for pattern in _WEAK:
            for m in pattern.finditer(text):
                value, problem, unit = _resolve(m, nb, num_steps)
                add(m, "weak", value, problem, unit)
    if not found:
        found += _walkthrough(text, nb, num_steps)
    # One candidate per place: overlapping matches of several patterns are the same sentence.
    found.sort(key=lambda c: (c.pos, -c.end))
    out: list[_Candidate] = []
    for c in found:
        if out and c.pos < out[-1].end and (c.value == out[-1].value or c.kind == out[-1].kind):
            continue
        out.append(c)
    return out


_MARKED_WRONG = re.compile(r"\b(?:incorrect|wrong|erroneous|not\s+correct|contains\s+an?\s+(?:\w+\s+)?(?:error|mistake)|"
                           r"(?:calculation|arithmetic|sign|logical)\s+(?:error|mistake))\b|[❌✗✘]", re.I)


def _walkthrough(text: str, nb: _Numbering, num_steps: int) -> list[_Candidate]:
    """A walkthrough with no verdict sentence ("**Paragraph 1:** … Incorrect."): the first
    section the critic marks wrong, since it checks in order and stops at the first error."""
    sections = [m for m in _SECTION.finditer(text)]
    bounds = [m.start() for m in sections] + [len(text)]
    for m, end in zip(sections, bounds[1:]):
        body = text[m.end(): end]
        for w in _MARKED_WRONG.finditer(body):
            at = m.end() + w.start()
            if _discounted(text, at, m.end() + w.end()) or _quoted(text, at):
                continue
            ref = re.match(_REF, (f"paragraph_{m.group('tag')}" if m.group("tag") is not None
                                  else f"{m.group('unit')} {m.group('num')}"), re.I)
            value, problem, unit = _resolve(ref, nb, num_steps)
            return [_Candidate(m.start(), m.end(), "walkthrough", value, problem, unit, _raw(ref))]
    return []


def _blocks(text: str) -> list[int]:
    """Start offsets of blank-line separated blocks."""
    return [0] + [m.end() for m in re.finditer(r"\n\s*\n", text)]


def parse_verdict(text: str, num_steps: int, paragraphs: list[str] | tuple[str, ...] | None = None) -> Verdict:
    """The critique's final verdict (0-based, -1 for none), or an abstention with its reason.
    ``paragraphs`` (the solution shown to the critic) lets the reader tell quotes of the
    solution from verdicts and the critique's numbering from the prompt's."""
    text = _plain(text[-MAX_VERDICT_CHARS:])
    paragraphs = list(paragraphs) if paragraphs is not None else None
    nb = _numbering(text, num_steps, paragraphs)
    cands = _candidates(text, num_steps, paragraphs, nb)
    if not cands:
        return Verdict(None, "no verdict")
    strong = [c for c in cands if c.kind != "weak"]
    pool = strong or cands
    last = pool[-1]
    starts = _blocks(text)

    def block(pos: int) -> int:
        return max(i for i, s in enumerate(starts) if s <= pos)

    b = block(last.pos)
    zone = [c for c in pool if block(c.pos) == b]
    before = [c for c in pool if block(c.pos) < b]
    closing = text[starts[b]: starts[b + 1] if b + 1 < len(starts) else len(text)].strip()
    if before and (last.kind == "boxed" or last.unit == "index") and len(closing) - (last.end - last.pos) <= 30:  # a closing line that only restates: "\boxed{1}", "Answer: 1"
        prev = block(before[-1].pos)
        if prev >= b - 2:  # the sentence just before a closing box or a one-line verdict
            zone = [c for c in before if block(c.pos) == prev] + zone
    if not strong and len({c.value for c in cands if c.value is not None}) > 1:
        zone = cands  # only local judgements, and they differ
    if nb.paragraph != 0:
        # A box that repeats the number of the critique's own "paragraph k" verdict is in the
        # critique's numbering, not the prompt's.
        for c in zone:
            if c.kind == "boxed" and c.raw is not None and c.raw != -1:
                twin = next((d for d in zone if d.unit == "paragraph" and d.raw == c.raw), None)
                if twin is not None:
                    c.value, c.problem = twin.value, twin.problem
    if strong and len({c.value for c in zone}) > 1:
        # The critic takes an earlier verdict back ("No wait, …", "Actually, …"): what follows counts.
        # (Not for local judgements: "Paragraph 1 is wrong. Actually paragraph 2 is wrong too" adds one.)
        last_pos = zone[-1].pos
        marks = [m.start() for m in _RETRACT.finditer(text, zone[0].end, last_pos)]
        if marks:
            zone = [c for c in zone if c.pos > marks[-1]]
    known = [c for c in zone if c.value is not None]
    if not known:
        reasons = [c.problem for c in zone if c.problem]
        return Verdict(None, reasons[-1] if reasons else "no verdict")
    values = sorted({c.value for c in known})
    if len(values) > 1:
        return Verdict(None, f"conflicting verdicts {values}")
    index = values[0]
    if not (index == -1 or 0 <= index < num_steps):
        return Verdict(None, f"verdict {index} out of range (solution has {num_steps} paragraphs)")
    how = ("boxed" if any(c.kind == "boxed" for c in known)
           else "walkthrough" if all(c.kind == "walkthrough" for c in known) else "stated")
    units = sorted({c.unit for c in known if c.unit not in ("index", "tag")})
    detail = []
    if index == -1 and any(c.kind == "none" for c in known):
        detail.append("no error")
    if "paragraph" in units and nb.paragraph:
        detail.append(nb.paragraph_why)
    if "step" in units:
        detail.append(nb.step_why if nb.step is not None else "the critique's own step headers")
    if "ordinal" in units:
        detail.append("ordinal")
    return Verdict(index, how + (": " + "; ".join(detail) if detail else ""))
