r"""A corpus of critiques written the way instruction-tuned critics answer our judge prompt
(templates/judge_critique.txt: paragraphs tagged ``<paragraph_i>`` from 0, the earliest wrong
index in ``\boxed{}``, -1 when all are correct).

The styles imitate what Qwen2.5-72B-Instruct, GPT-4o and Llama-3.1-70B-Instruct write for
ProcessBench-style prompts: bold "Paragraph k:" walkthroughs, markdown headers with
"Analysis"/"Conclusion", "## Step k:" chains ending in "The final answer is: $\boxed{k}$",
quotes of the solution (its own ``\boxed{answer}`` included), second thoughts, and verdicts
with no box at all. Each has the verdict a careful reader would take from it (in the
prompt's 0-based paragraph indexing), or ``None`` where a careful reader could not tell.

The first 50 were written as a model would write them, before the reader that parses them;
the later groups (marked below) were written after it, each to try it on phrasings it was not
built from. Where a group found a miss (4 abstentions over the groups, none read wrong), the
reader was fixed and the critique kept here.
"""

from __future__ import annotations

from dataclasses import dataclass

PROBLEMS: dict[str, tuple[str, list[str]]] = {
    "apples": (
        "Tom has 3 boxes with 12 apples each. He gives away 7 apples and then buys 5 more. "
        "How many apples does he have now?",
        ["Tom starts with 3 boxes of 12 apples, so he has 3 × 12 = 36 apples.",
         "He gives away 7 apples, leaving 36 − 7 = 28 apples.",
         "He then buys 5 more, so he has 28 + 5 = 33 apples.",
         "The answer is \\boxed{33}."],
    ),
    "rectangle": (
        "A rectangle has a perimeter of 30 and a length of 9. What is its area?",
        ["The perimeter of a rectangle is 2(l + w) = 30, so l + w = 15.",
         "Since l = 9, the width is w = 15 − 9 = 6.",
         "The area is l × w = 9 × 6.",
         "9 × 6 = 54.",
         "So the area is \\boxed{54}."],
    ),
    "linear": (
        "Solve for x: 2(x + 3) − 4 = 3x − 5.",
        ["Expand the left side: 2(x + 3) − 4 = 2x + 6 − 4.",
         "Simplify: 2x + 6 − 4 = 2x + 2.",
         "So the equation is 2x + 2 = 3x − 5.",
         "Subtract 2x from both sides: 2 = x + 5.",
         "Subtract 5 from both sides: x = −3.",
         "The answer is \\boxed{-3}."],
    ),
    "hexagon": (
        "What is the sum of the interior angles of a hexagon, in degrees?",
        ["The sum of the interior angles of an n-gon is (n − 1) × 180°.",
         "A hexagon has 6 sides, so n = 6.",
         "The sum is (6 − 1) × 180° = 5 × 180°.",
         "5 × 180 = 900.",
         "The answer is \\boxed{900}."],
    ),
    "pencils": (
        "Pencils cost $0.25 each and notebooks cost $1.50 each. Maria buys 8 pencils and 3 notebooks. "
        "How much does she spend?",
        ["Step 1: Pencils cost $0.25 each and notebooks cost $1.50 each.",
         "Step 2: Maria buys 8 pencils, which cost 8 × 0.25 = $2.00.",
         "Step 3: She buys 3 notebooks, which cost 3 × 1.50 = $4.00.",
         "Step 4: In total she spends 2.00 + 4.00 = $6.00.",
         "Step 5: The answer is \\boxed{6}."],
    ),
    "pages": (
        "Sam reads 12 pages on Monday and twice as many on Tuesday. The book has 44 pages. "
        "How many pages are left?",
        ["On Monday Sam reads 12 pages.",
         "On Tuesday he reads twice as many: 2 × 12 = 28 pages.",
         "Together he has read 12 + 28 = 40 pages.",
         "Pages left: 44 − 40 = \\boxed{4}."],
    ),
    "remainder": (
        "What is the remainder when 17 is divided by 5?",
        ["17 = 3 × 5 + 2.",
         "The remainder is what is left after taking out three fives, which is 2.",
         "The answer is \\boxed{2}."],
    ),
    "shirts": (
        "A shop has 50 shirts. It sells 40% of them on Monday and 10 more on Tuesday, then receives "
        "a delivery of 15 shirts. How many shirts does it have now?",
        ["40% of 50 is 0.4 × 50 = 20 shirts.",
         "After Monday there are 50 − 20 = 30 shirts.",
         "On Tuesday it sells 10 more shirts.",
         "After Tuesday there are 30 − 10 = 20 shirts.",
         "Then it receives 15 shirts.",
         "Now there are 20 + 15 = 25 shirts.",
         "The answer is \\boxed{25}."],
    ),
    "ones": (
        "What is 7 − 6?",
        ["We subtract 6 from 7.", "7 − 6 = 2.", "The answer is \\boxed{2}."],
    ),
    "long": (
        "Compute 1 + 2 + 3 + 4 + 5 + 6.",
        ["1 + 2 = 3.", "3 + 3 = 6.", "6 + 4 = 10.", "10 + 5 = 14.", "14 + 6 = 20.", "The answer is \\boxed{4}."],
    ),
}


@dataclass(frozen=True)
class Critique:
    style: str  # qwen | gpt4o | llama
    problem: str  # key of PROBLEMS
    text: str
    verdict: int | None  # 0-based earliest wrong paragraph, -1 none, None: a careful reader cannot tell
    note: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return PROBLEMS[self.problem][1]


CRITIQUES: list[Critique] = [
    # ------------------------------------------------------------------ Qwen2.5-72B-Instruct
    Critique("qwen", "apples", r"""Let's verify each paragraph of the solution step by step.

**Paragraph 0:**
Tom has 3 boxes with 12 apples each. The calculation 3 × 12 = 36 is correct.

**Paragraph 1:**
Tom gives away 7 apples. The calculation should be 36 − 7 = 29, but the solution states 36 − 7 = 28. This is incorrect.

Since the error occurs in paragraph 1, we do not need to check the remaining paragraphs.

Therefore, the index of the earliest paragraph with an error is \(\boxed{1}\).""", 1),

    Critique("qwen", "rectangle", r"""Let's verify each paragraph of the solution.

**Paragraph 0:** The perimeter formula 2(l + w) = 30 is correctly applied, and dividing by 2 gives l + w = 15. This is correct.

**Paragraph 1:** Given l = 9, w = 15 − 9 = 6. This is correct.

**Paragraph 2:** The area formula l × w is correctly set up as 9 × 6. This is correct.

**Paragraph 3:** 9 × 6 = 54. This is correct.

**Paragraph 4:** The final answer is \boxed{54}, which matches the calculation. This is correct.

All paragraphs are correct. Therefore, the answer is \(\boxed{-1}\).""", -1, "quotes the solution's box, then its own"),

    Critique("qwen", "linear", r"""To verify the solution, let's go through each paragraph carefully.

**Paragraph 0:**
The left side is expanded: 2(x + 3) − 4 = 2x + 6 − 4. This is correct.

**Paragraph 1:**
Simplifying gives 2x + 2. This is correct.

**Paragraph 2:**
The equation becomes 2x + 2 = 3x − 5. This is correct.

**Paragraph 3:**
Subtracting 2x from both sides of 2x + 2 = 3x − 5 gives 2 = x − 5, not 2 = x + 5. The sign of 5 was changed incorrectly. This paragraph contains an error.

**Paragraph 4:**
Since paragraph 3 is wrong, the result x = −3 is also wrong. The correct solution is x = 7.

The earliest error occurs in paragraph 3.

\boxed{3}""", 3),

    Critique("qwen", "hexagon", r"""Let's analyze the solution paragraph by paragraph.

**Paragraph 0:** The formula for the sum of the interior angles of a polygon with n sides is (n − 2) × 180°, not (n − 1) × 180°. This paragraph is incorrect.

Since paragraph 0 already contains an error, the solution is flawed from the beginning. For reference, the correct sum for a hexagon is (6 − 2) × 180° = 720°.

The earliest error is in paragraph 0.""", 0, "no box"),

    Critique("qwen", "pages", r"""Let's verify each paragraph.

**Paragraph 0:** Sam reads 12 pages on Monday. Correct.

**Paragraph 1:** "twice as many" means 2 × 12 = 24 pages, but the paragraph states 2 × 12 = 28. This is a calculation error.

**Paragraph 2:** Uses the incorrect value 28, so 12 + 28 = 40 inherits the mistake.

**Paragraph 3:** The solution concludes with 44 − 40 = \boxed{4}. The correct answer should be 44 − 36 = 8.

The first error occurs in paragraph 1.""", 1, "the issue's example: a quoted box, then the stated verdict"),

    Critique("qwen", "remainder", r"""Let's check each paragraph.

**Paragraph 0:** 17 = 3 × 5 + 2 is correct since 3 × 5 = 15 and 15 + 2 = 17.

**Paragraph 1:** The remainder is 2. Correct.

**Paragraph 2:** The final answer \boxed{2} is correct.

I found no errors in the solution.""", -1, "quoted box equals an in-range index"),

    Critique("qwen", "shirts", r"""Let's verify the solution step by step.

Paragraph 0: 40% of 50 is 20. Correct.
Paragraph 1: 50 − 20 = 30. Correct.
Paragraph 2: Sells 10 more. Correct.
Paragraph 3: 30 − 10 = 20. Correct.
Paragraph 4: Receives 15 shirts. Correct.
Paragraph 5: 20 + 15 should be 35, not 25. Incorrect.

The earliest error is found in paragraph 5.

\boxed{5}""", 5),

    Critique("qwen", "apples", r"""Let's verify each paragraph.

**Paragraph 0:** 3 × 12 = 36. This is correct.

**Paragraph 1:** At first glance, 36 − 7 = 28 might look like a reasonable step, but let me double-check: 36 − 7 = 29. So paragraph 1 contains an error.

Wait, I should also double-check paragraph 0 to be sure the starting total is right: 3 boxes × 12 apples = 36. Yes, paragraph 0 is fine.

So the mistake occurs in paragraph 1.""", 1, "deliberation names paragraph 0 after the error"),

    Critique("qwen", "linear", r"""Let's go through the solution.

**Paragraph 0:** Expanding 2(x + 3) gives 2x + 6, so 2x + 6 − 4. Correct.

**Paragraph 1:** 2x + 6 − 4 = 2x + 2. Correct.

**Paragraph 2:** 2x + 2 = 3x − 5. Correct.

**Paragraph 3:** Subtracting 2x: 2x + 2 − 2x = 3x − 5 − 2x gives 2 = x − 5. The solution wrote 2 = x + 5, which is wrong.

**Paragraph 4:** x = −3 follows from the wrong equation.

**Paragraph 5:** The answer \boxed{-3} is therefore incorrect; the right answer is x = 7.

So the index of the earliest wrong paragraph is 3.""", 3, "no box; a quoted -3 box"),

    Critique("qwen", "rectangle", r"""Let's review the solution.

Paragraph 0 correctly derives l + w = 15 from the perimeter.
Paragraph 1 correctly finds w = 6.
Paragraph 2 correctly sets up the area as 9 × 6.
Paragraph 3 correctly computes 54.
Paragraph 4 correctly states the final answer.

The solution is correct.""", -1),

    Critique("qwen", "hexagon", r"""Let's verify each paragraph.

**Paragraph 0:** The formula stated is (n − 1) × 180°. The correct formula is (n − 2) × 180°. This is incorrect.

**Paragraph 1:** n = 6 for a hexagon. Correct.

**Paragraph 2:** Uses the wrong formula from paragraph 0.

Therefore, the earliest error is in paragraph 0.

\boxed{0}""", 0),

    Critique("qwen", "shirts", r"""Let's verify each paragraph.

**Paragraph 0:** 0.4 × 50 = 20. Correct.

**Paragraph 1:** 50 − 20 = 30. Correct.

**Paragraph 2:** Correct restatement.

**Paragraph 3:** 30 − 10 = 20. Correct.

**Paragraph 4:** Correct restatement.

**Paragraph 5:** 20 + 15 = 35, but the solution says 25. This paragraph is incorrect.

**Paragraph 6:** The final answer \boxed{25} is wrong because of paragraph 5.

The earliest error occurs in paragraph 5, so the answer is:

\[
\boxed{5}
\]""", 5),

    Critique("qwen", "pencils", r"""Let's verify each paragraph.

**Paragraph 0:** Restates the prices. Correct.

**Paragraph 1:** 8 × 0.25 = 2.00. Correct.

**Paragraph 2:** 3 × 1.50 = 4.50, not 4.00. This is incorrect.

The first error is in paragraph 2.

\boxed{2}""", 2, "solution paragraphs carry their own 'Step k' names"),

    Critique("qwen", "remainder", r"""Let's verify.

Paragraph 0: 3 × 5 + 2 = 17. Correct.
Paragraph 1: The remainder is 2. Correct.
Paragraph 2: States the answer \boxed{2}. Correct.

Since every paragraph is correct, there is no error. The index is -1.""", -1),

    # ------------------------------------------------------------------ GPT-4o
    Critique("gpt4o", "apples", r"""Let's review the solution paragraph by paragraph:

### Paragraph 0
- **Content**: "Tom starts with 3 boxes of 12 apples, so he has 3 × 12 = 36 apples."
- **Analysis**: This is correct. 3 × 12 = 36.

### Paragraph 1
- **Content**: "He gives away 7 apples, leaving 36 − 7 = 28 apples."
- **Analysis**: This is incorrect. 36 − 7 = 29, not 28.

### Conclusion
The earliest error occurs in **Paragraph 1**, where the subtraction is carried out incorrectly.

\(\boxed{1}\)""", 1),

    Critique("gpt4o", "rectangle", r"""To determine whether the solution is correct, let's examine each paragraph:

1. **Paragraph 0**: The perimeter is 2(l + w) = 30, which gives l + w = 15. ✔️
2. **Paragraph 1**: With l = 9, w = 15 − 9 = 6. ✔️
3. **Paragraph 2**: The area is l × w = 9 × 6. ✔️
4. **Paragraph 3**: 9 × 6 = 54. ✔️
5. **Paragraph 4**: The final answer is stated as \(\boxed{54}\). ✔️

Every paragraph is logically and arithmetically correct.

**Final Answer:** \(\boxed{-1}\)""", -1, "numbered list 1..5 over paragraphs 0..4"),

    Critique("gpt4o", "linear", r"""Let's carefully review each paragraph of the solution.

### Paragraph 0
Expanding 2(x + 3) − 4 gives 2x + 6 − 4. **Correct.**

### Paragraph 1
2x + 6 − 4 simplifies to 2x + 2. **Correct.**

### Paragraph 2
The equation 2x + 2 = 3x − 5 is correct.

### Paragraph 3
Subtracting 2x from both sides:
\[
2x + 2 - 2x = 3x - 5 - 2x \implies 2 = x - 5
\]
The solution wrote \(2 = x + 5\). **Incorrect.**

### Conclusion
**Earliest error:** Paragraph 3""", 3, "bold label, no box"),

    Critique("gpt4o", "hexagon", r"""Let's go through the solution step by step.

1. **First paragraph**: It claims the interior angle sum of an n-gon is \((n - 1) \times 180^\circ\). This is wrong; the correct formula is \((n - 2) \times 180^\circ\).

2. **Second paragraph**: A hexagon has 6 sides. This is correct, but it does not fix the earlier mistake.

3. **Third paragraph**: Applies the wrong formula, giving \(5 \times 180^\circ\).

The error first appears in the first paragraph, since the formula itself is incorrect. The correct sum is 720°.

\(\boxed{0}\)""", 0, "ordinals agree with the box"),

    Critique("gpt4o", "pages", r"""Let's evaluate the solution:

### Paragraph 0
"On Monday Sam reads 12 pages." — Correct.

### Paragraph 1
"On Tuesday he reads twice as many: 2 × 12 = 28 pages." — Incorrect. Twice 12 is 24.

### Paragraph 2
"Together he has read 12 + 28 = 40 pages." — The addition is right, but it uses the wrong value from Paragraph 1.

### Paragraph 3
"Pages left: 44 − 40 = \boxed{4}." — Follows from the earlier mistake; the correct answer is 44 − 36 = 8.

The mistake occurs in paragraph 1.""", 1, "quoted box last in the analysis"),

    Critique("gpt4o", "shirts", r"""Let's check each paragraph in order.

- **Paragraph 0**: 0.4 × 50 = 20. Correct.
- **Paragraph 1**: 50 − 20 = 30. Correct.
- **Paragraph 2**: Restates the Tuesday sale. Correct.
- **Paragraph 3**: 30 − 10 = 20. Correct.
- **Paragraph 4**: Restates the delivery. Correct.
- **Paragraph 5**: 20 + 15 is 35, not 25. **Incorrect.**

The first error appears in the sixth paragraph (Paragraph 5), where the addition is wrong.

\(\boxed{5}\)""", 5),

    Critique("gpt4o", "rectangle", r"""Let's analyze the solution:

- **Paragraph 0**: Correctly derives l + w = 15.
- **Paragraph 1**: Correctly finds w = 6.
- **Paragraph 2**: Correctly sets up 9 × 6.
- **Paragraph 3**: Correctly computes 54.
- **Paragraph 4**: Correctly concludes with 54.

**Conclusion:** All steps are correct, and the solution contains no errors.

The answer is \(\boxed{-1}\).""", -1),

    Critique("gpt4o", "linear", r"""To review the solution, I'll check each paragraph:

**Paragraph 0**: Distributing the 2 gives 2x + 6, so the left side is 2x + 6 − 4. ✅

**Paragraph 1**: 2x + 6 − 4 = 2x + 2. ✅

**Paragraph 2**: The equation is 2x + 2 = 3x − 5. ✅

**Paragraph 3**: Subtracting 2x from both sides should give 2 = x − 5. The solution instead has 2 = x + 5. ❌

Thus, the earliest paragraph with an error is **Paragraph 3**.

\[
\boxed{3}
\]""", 3),

    Critique("gpt4o", "remainder", r"""### Review

- **Paragraph 0**: \(17 = 3 \times 5 + 2\) — correct.
- **Paragraph 1**: The remainder is 2 — correct.
- **Paragraph 2**: The final answer is \(\boxed{2}\) — correct.

### Conclusion

The solution is entirely correct; no paragraph contains an error.

\(\boxed{-1}\)""", -1),

    Critique("gpt4o", "apples", r"""Let's go through the solution:

1. The first paragraph computes 3 × 12 = 36. That's correct.
2. The second paragraph subtracts 7 from 36 and gets 28. However, 36 − 7 = 29, so this is incorrect.
3. The third paragraph adds 5 to 28. The addition itself is fine, but it carries the previous mistake.

The earliest error is in the second paragraph.""", 1, "ordinals only"),

    Critique("gpt4o", "hexagon", r"""### Step-by-step review

**Paragraph 0:** States the formula \((n-1) \times 180^\circ\). The correct formula is \((n-2) \times 180^\circ\). ❌

**Paragraph 1:** \(n = 6\). ✅

**Paragraph 2:** \((6-1) \times 180^\circ\) uses the incorrect formula. ❌

**Paragraph 3:** \(5 \times 180 = 900\) is arithmetically correct. ✅

**Paragraph 4:** The final answer of 900 is incorrect; it should be 720.

### Conclusion

The first incorrect paragraph is Paragraph 0.

\(\boxed{0}\)""", 0, "several wrong paragraphs listed; the stated first one"),

    Critique("gpt4o", "shirts", r"""Let me check the solution carefully.

**Paragraph 0**: 40% of 50 = 20. ✔
**Paragraph 1**: 50 − 20 = 30. ✔
**Paragraph 2**: ✔
**Paragraph 3**: 30 − 10 = 20. ✔

Hmm, is paragraph 3 right? The shop had 30 after Monday and sold 10 more, so 20 is correct.

**Paragraph 4**: ✔
**Paragraph 5**: 20 + 15 = 35, not 25. ✘

The earliest error is in paragraph 5.

\(\boxed{5}\)""", 5, "a doubt about paragraph 3 before the verdict"),

    # ------------------------------------------------------------------ Llama-3.1-70B-Instruct
    Critique("llama", "apples", r"""## Step 1: Review paragraph_0
The solution calculates the initial number of apples as 3 × 12 = 36, which is correct.

## Step 2: Review paragraph_1
The solution subtracts 7 from 36 and gets 28. However, 36 − 7 = 29, so this paragraph is incorrect.

## Step 3: Identify the earliest error
Since paragraph_1 contains the first error, we stop here.

The final answer is: $\boxed{1}$""", 1, "Llama's own 'Step k' headers"),

    Critique("llama", "rectangle", r"""## Step 1: Check the perimeter equation in paragraph_0
The perimeter of a rectangle is 2(l + w). Setting this equal to 30 gives l + w = 15. This is correct.

## Step 2: Check the width in paragraph_1
With l = 9, w = 15 − 9 = 6. This is correct.

## Step 3: Check the area setup in paragraph_2
The area is l × w = 9 × 6. This is correct.

## Step 4: Check the multiplication in paragraph_3
9 × 6 = 54. This is correct.

## Step 5: Check the final answer in paragraph_4
The final answer of 54 is correct.

## Step 6: Conclusion
Since all paragraphs are correct, there is no error in the solution.

The final answer is: $\boxed{-1}$""", -1),

    Critique("llama", "linear", r"""## Step 1: Analyze the expansion in paragraph_0
2(x + 3) − 4 = 2x + 6 − 4 is correct.

## Step 2: Analyze the simplification in paragraph_1
2x + 6 − 4 = 2x + 2 is correct.

## Step 3: Analyze the equation in paragraph_2
2x + 2 = 3x − 5 is correct.

## Step 4: Analyze the subtraction in paragraph_3
Subtracting 2x from both sides of 2x + 2 = 3x − 5 gives 2 = x − 5, but the solution states 2 = x + 5. This step is incorrect.

## Step 5: Determine the index of the earliest error
The earliest error is in paragraph_3.

The final answer is: $\boxed{3}$""", 3, "'This step is incorrect' inside Llama's Step 4"),

    Critique("llama", "pencils", r"""## Step 1: Check Step 1 of the solution
Step 1 restates the prices of pencils and notebooks. This is correct.

## Step 2: Check Step 2 of the solution
8 pencils at $0.25 each cost 8 × 0.25 = $2.00. This is correct.

## Step 3: Check Step 3 of the solution
3 notebooks at $1.50 each cost 3 × 1.50 = $4.50, not $4.00. Step 3 is incorrect.

## Step 4: Conclusion
The first error in the solution is in Step 3.""", 2, "'Step 3' is the solution's own name for paragraph 2"),

    Critique("llama", "hexagon", r"""## Step 1: Understand the problem
We need to check the solution for the sum of the interior angles of a hexagon.

## Step 2: Check the formula in paragraph_0
The formula used is (n − 1) × 180°. The correct formula is (n − 2) × 180°. Therefore, paragraph_0 is incorrect.

## Step 3: Conclusion
The earliest error occurs in paragraph_0.

The final answer is: $\boxed{0}$""", 0),

    Critique("llama", "pages", r"""## Step 1: Verify paragraph_0
Sam reads 12 pages on Monday. This is correct.

## Step 2: Verify paragraph_1
Twice as many as 12 is 24, but the solution says 2 × 12 = 28. This is incorrect.

## Step 3: Verify the final answer
The solution's final answer is $\boxed{4}$, but the correct number of pages left is 44 − 36 = 8.

## Step 4: Identify the first error
The first error occurs in paragraph_1.""", 1, "a quoted box in Llama's form, the verdict after it"),

    Critique("llama", "remainder", r"""## Step 1: Verify the division in paragraph_0
17 = 3 × 5 + 2 is correct.

## Step 2: Verify the remainder in paragraph_1
The remainder is 2, which is correct.

## Step 3: Verify the answer in paragraph_2
The answer $\boxed{2}$ is correct.

## Step 4: Conclusion
All paragraphs are correct, so the answer is -1.

The final answer is: $\boxed{-1}$""", -1),

    Critique("llama", "shirts", r"""## Step 1: Check paragraph_0
40% of 50 is 20. Correct.

## Step 2: Check paragraph_1
50 − 20 = 30. Correct.

## Step 3: Check paragraphs 2 through 4
Selling 10 more leaves 30 − 10 = 20, and a delivery of 15 shirts arrives. Correct.

## Step 4: Check paragraph_5
20 + 15 = 35, but the solution says 25. This is incorrect.

The final answer is: $\boxed{5}$""", 5),

    Critique("llama", "apples", r"""## Step 1: Analyze the problem
Tom has 3 boxes with 12 apples each, gives away 7, then buys 5.

## Step 2: Check the solution
The first step computes 36 apples correctly. The second step says 36 − 7 = 28, which is wrong because 36 − 7 = 29.

## Step 3: Identify the index
The solution's second paragraph, paragraph_1, contains the earliest error.

The final answer is: $\boxed{1}$""", 1),

    Critique("llama", "linear", r"""## Step 1: Check the solution
The expansion and simplification in the first three paragraphs are correct. In the fourth paragraph, subtracting 2x should give 2 = x − 5 instead of 2 = x + 5.

## Step 2: Conclusion
The fourth paragraph is where the first mistake is made.""", 3, "ordinal verdict, no box"),

    # ------------------------------------------------------------------ tricky and undecidable
    Critique("qwen", "apples", r"""Let's verify each paragraph.

**Paragraph 0:** 3 × 12 = 36. Correct.

**Paragraph 1:** 36 − 7 = 28? 36 − 7 = 29. Incorrect.

Therefore the earliest error is in paragraph 1.

\boxed{2}""", None, "stated 1, boxed 2: contradictory"),

    Critique("gpt4o", "linear", r"""I need to carefully check whether paragraph 2 or paragraph 3 is the first one that is wrong. Paragraph 2 writes the equation correctly as 2x + 2 = 3x − 5. Paragraph 3 then moves terms""", None, "cut off before a verdict"),

    Critique("llama", "pencils", r"""## Step 1: Check the multiplication
The multiplication of the notebooks is wrong.

## Step 2: Conclusion
Step 3 is incorrect.""", 2, "'Step 3' is the solution's own name for paragraph 2"),

    Critique("gpt4o", "apples", r"""Let's check the steps:

Step 1: 3 × 12 = 36. Correct.
Step 2: 36 − 7 = 28. Incorrect; it should be 29.
Step 3: 28 + 5 = 33 uses the wrong value.
Step 4: The answer 33 is wrong.

Step 2 is incorrect.""", 1, "the critique counts the four paragraphs as Steps 1-4"),

    Critique("qwen", "shirts", r"""Paragraph 3 is where I would look first, but it is fine: 30 − 10 = 20. The problem is in the final addition.

Step 6 is incorrect.""", None, "'Step 6' with no numbering the critique pins down"),

    Critique("gpt4o", "rectangle", r"""The solution is correct up to paragraph 2, but in paragraph 3 the product 9 × 6 is computed as 54, which is actually correct as well.

Hmm, so is everything correct? Let me think again about paragraph 1.""", None, "trails off undecided"),

    Critique("qwen", "remainder", r"""**Paragraph 0:** Correct.

**Paragraph 1:** Correct.

**Paragraph 2:** Correct.

There are no errors in the solution. The final answer is \(\boxed{-1}\).""", -1),

    Critique("llama", "hexagon", r"""## Step 1: Examine the formula
The formula (n − 1) × 180° in the first paragraph is incorrect.

## Step 2: Determine the answer
The index of the earliest wrong paragraph is 0.

The final answer is: $\boxed{0}$""", 0),

    Critique("gpt4o", "pages", r"""- Paragraph 0 is correct.
- Paragraph 1 is incorrect: 2 × 12 = 24.

Therefore, the answer is \(\boxed{\text{Paragraph 1}}\).""", 1, "a boxed 'Paragraph 1'"),

    Critique("qwen", "linear", r"""Let's verify.

**Paragraph 0:** Correct.
**Paragraph 1:** Correct.
**Paragraph 2:** Correct.
**Paragraph 3:** Incorrect. It should be 2 = x − 5.

The earliest error occurs in paragraph 3. However, paragraph 2 might also be considered wrong if we think the equation should have been rearranged differently. No, paragraph 2 is correct.

\boxed{3}""", 3, "second thoughts between the verdict and the box"),
]

CRITIQUES += [
    Critique("gpt4o", "apples", r"""Let's go through the solution one paragraph at a time.

### Paragraph 1
> "Tom starts with 3 boxes of 12 apples, so he has 3 × 12 = 36 apples."

This is correct.

### Paragraph 2
> "He gives away 7 apples, leaving 36 − 7 = 28 apples."

This is incorrect: 36 − 7 = 29.

### Paragraph 3
> "He then buys 5 more, so he has 28 + 5 = 33 apples."

The addition is right but builds on the wrong total.

### Paragraph 4
> "The answer is \boxed{33}."

The final answer is wrong as a result.

**Conclusion:** The earliest error occurs in Paragraph 2.""",
             1, "numbers paragraphs from 1 and quotes each: the numbering is certain"),

    Critique("gpt4o", "linear", r"""**Paragraph 1:** Correct expansion.

**Paragraph 2:** Correct simplification.

**Paragraph 3:** The equation is set up correctly.

**Paragraph 4:** Subtracting 2x gives 2 = x − 5, not 2 = x + 5. Incorrect.

The earliest error is in Paragraph 4.""", 3, "numbers from 1 up to 4, and paragraph 4 is not the last"),

    Critique("qwen", "shirts", r"""**Paragraph 1:** 40% of 50 is 20. Correct.

**Paragraph 2:** 50 − 20 = 30. Correct.

**Paragraph 3:** Incorrect.

The earliest error occurs in paragraph 3.

\boxed{3}""", 2, "numbers from 1; its paragraph 2 quotes paragraph_1's 50 − 20 = 30"),

    Critique("qwen", "shirts", r"""**Paragraph 1:** Correct.

**Paragraph 2:** Correct.

**Paragraph 3:** Incorrect.

The earliest error occurs in paragraph 3.

\boxed{3}""", None, "numbers from 1 with nothing to pin the numbering: 2 or 3"),
]


# Written after the reader's first version, to check it on critiques it was not built from.
CRITIQUES += [

 Critique("llama", "apples", r"""To find the earliest error, I will go through the solution.

Paragraph 0 multiplies 3 by 12 to get 36, which is right.

Paragraph 1 subtracts 7 from 36. 36 - 7 is 29, not 28, so the solution goes wrong here.

Final Answer: The final answer is 1. I hope it is correct.""", 1),
 Critique("gpt4o", "linear", r"""**Step-by-step verification:**

- Paragraph 0 ✓
- Paragraph 1 ✓
- Paragraph 2 ✓
- Paragraph 3 ✗ — the sign is flipped: 3x − 5 − 2x = x − 5.

**Verdict:** Paragraph 3 contains the earliest error.

$\boxed{3}$""", 3),
 Critique("qwen", "hexagon", r"""Let's verify each paragraph.

**Paragraph 0**: The formula is wrong. It should be (n-2) × 180°.

Hence, the solution goes wrong at paragraph 0, and everything after builds on it.

**Answer:** \boxed{0}""", 0),
 Critique("gpt4o", "rectangle", r"""I reviewed every paragraph:

- The perimeter relation gives l + w = 15. Correct.
- w = 6. Correct.
- Area 9 × 6 = 54. Correct.

Everything checks out. I don't see any mistakes in the solution.

\(\boxed{-1}\)""", -1),
 Critique("llama", "remainder", r"""## Step 1: Verify the division
17 divided by 5 is 3 with a remainder of 2, as paragraph_0 states.

## Step 2: Verify the remainder
paragraph_1 correctly says the remainder is 2.

## Step 3: Conclusion
No errors were detected in any paragraph.

The final answer is: $\boxed{-1}$""", -1),
 Critique("qwen", "shirts", r"""Let's verify each paragraph.

**Paragraph 0:** Correct.
**Paragraph 1:** Correct.
**Paragraph 2:** Correct.
**Paragraph 3:** Correct.
**Paragraph 4:** Correct.
**Paragraph 5:** 20 + 15 = 35, so "Now there are 20 + 15 = 25 shirts." is wrong.

The first paragraph that contains an error is paragraph 5.

\boxed{5}""", 5),
 Critique("gpt4o", "pages", r"""Reviewing the solution:

1. Paragraph 0 is fine.
2. Paragraph 1 says 2 × 12 = 28, which is incorrect (2 × 12 = 24).
3. Paragraph 2 and paragraph 3 inherit the error, ending with the answer \(\boxed{4}\) instead of 8.

The earliest error is at index 1.""", 1),
 Critique("qwen", "linear", r"""Let me check the paragraphs one at a time.

Paragraph 0: 2(x + 3) − 4 = 2x + 6 − 4. Right.
Paragraph 1: 2x + 2. Right.
Paragraph 2: I was worried at first that paragraph 2 had moved the terms incorrectly, but 2x + 2 = 3x − 5 is just the equation restated. Right.
Paragraph 3: 2 = x + 5 is wrong; it should be 2 = x − 5.

The earliest error is found in paragraph 3.""", 3),
 Critique("llama", "shirts", r"""## Step 1: Compute the Monday sales
40% of 50 = 20, as in the first paragraph. Correct.

## Step 2: Check the remaining paragraphs
The second through fifth paragraphs are correct. The sixth paragraph computes 20 + 15 = 25, which is wrong.

## Step 3: Identify the earliest error
The earliest error is in the sixth paragraph.

The final answer is: $\boxed{5}$""", 5),
 Critique("gpt4o", "hexagon", r"""### Analysis

The solution uses \((n-1) \times 180^\circ\) in the first paragraph, but the correct formula is \((n-2) \times 180^\circ\). Everything that follows depends on this.

### Answer

The earliest incorrect paragraph is paragraph 0.

\[
\boxed{0}
\]""", 0),
 Critique("qwen", "apples", r"""Let's verify each paragraph:

**Paragraph 0:** Correct.

**Paragraph 1:** Incorrect. 36 − 7 = 29.

**Paragraph 2:** Also incorrect as it uses 28.

**Paragraph 3:** Incorrect final answer.

The earliest error is in paragraph 1, so the answer is \(\boxed{1}\).""", 1),
 Critique("gpt4o", "remainder", r"""Let's check:

- "17 = 3 × 5 + 2." This is correct.
- "The remainder is what is left after taking out three fives, which is 2." Correct.
- "The answer is \boxed{2}." Correct.

The solution is correct, and every paragraph is valid.""", -1),
 Critique("llama", "linear", r"""## Step 1: Review the expansion
2(x + 3) − 4 = 2x + 6 − 4 is correct.

## Step 2: Review the simplification
2x + 6 − 4 = 2x + 2 is correct.

## Step 3: Review the equation
2x + 2 = 3x − 5 is correct.

## Step 4: Review the subtraction
2 = x + 5 is incorrect; subtracting 2x gives 2 = x − 5.

## Step 5: Conclusion
The error is in the subtraction step, which is paragraph_3.

The final answer is: $\boxed{3}$""", 3),
 Critique("qwen", "rectangle", r"""Let's verify each paragraph.

Paragraph 0: correct.
Paragraph 1: correct.
Paragraph 2: correct.
Paragraph 3: correct.
Paragraph 4: correct.

Since all paragraphs are correct, the index is \boxed{-1}.""", -1),
 Critique("gpt4o", "shirts", r"""After reviewing the solution, the first five paragraphs are correct. However, in the sixth paragraph, the solution adds 20 + 15 and gets 25, which should be 35.

Thus, the earliest error occurs in the sixth paragraph, which corresponds to index 5.

\(\boxed{5}\)""", 5),
 Critique("qwen", "pages", r"""Paragraph 0 is correct. In paragraph 1 the solution computes 2 × 12 = 28 instead of 24, so paragraph 1 is incorrect. The rest of the solution, including the final \boxed{4}, follows from this mistake.

\boxed{1}""", 1),
 Critique("llama", "pencils", r"""## Step 1: Analyze the problem
Maria buys 8 pencils at $0.25 and 3 notebooks at $1.50.

## Step 2: Check the calculations in the solution
Step 1 of the solution is correct. Step 2 is correct: 8 × 0.25 = 2.00. Step 3 is incorrect: 3 × 1.50 = 4.50.

## Step 3: Determine the earliest error
The first error occurs in Step 3 of the solution, which is paragraph_2.

The final answer is: $\boxed{2}$""", 2),
 Critique("gpt4o", "apples", r"""Let's review:

**Paragraph 0** — 3 × 12 = 36 ✔️
**Paragraph 1** — 36 − 7 = 28 ❌ (should be 29)

The error first appears in Paragraph 1.""", 1),
 Critique("qwen", "hexagon", r"""The solution uses the wrong formula for the sum of interior angles. The correct formula is (n − 2) × 180°, so the correct sum is 720°, not 900°.

The error is in paragraph 0.""", 0),
 Critique("gpt4o", "linear", r"""Paragraph 0: ✅ Paragraph 1: ✅ Paragraph 2: ✅ Paragraph 3: ❌ — should be 2 = x − 5.

So the solution is correct up to paragraph 2, and paragraph 3 is where it goes wrong.

\(\boxed{3}\)""", 3),
 Critique("llama", "rectangle", r"""The solution is correct. The perimeter gives l + w = 15, the width is 6 and the area is 54.

The final answer is: $\boxed{-1}$""", -1),
 Critique("qwen", "apples", r"""Let's verify each paragraph.

**Paragraph 0:** 3 × 12 = 36. Correct.

**Paragraph 1:** 36 − 7 = 28. Let me recompute: 36 − 7 = 29. So this paragraph is incorrect.

Hmm, but wait—maybe the error is in paragraph 0 after all? No: 3 boxes of 12 apples is 36.

Therefore, the earliest error occurs in paragraph 1.

\boxed{1}""", 1),

 Critique("gpt4o", "apples", r"""**Answer: 1**

Explanation: Paragraph 0 correctly computes 36. Paragraph 1 incorrectly computes 36 − 7 as 28; it is 29. Paragraphs 2 and 3 carry this error forward.""", 1),
 Critique("qwen", "linear", r"""Let's verify each paragraph.

**Paragraph 2:** At first I thought paragraph 2 was incorrect because the right side is 3x − 5, but that is just the original right side. Paragraph 2 is correct.

**Paragraph 3:** Subtracting 2x from 3x − 5 gives x − 5, so "2 = x + 5" is incorrect.

Actually, paragraph 2 is correct; the error is in paragraph 3.

\boxed{3}""", 3),
 Critique("gpt4o", "rectangle", r"""The solution correctly finds l + w = 15, w = 6, and an area of 54. None of the paragraphs contain errors.

Final answer: \(\boxed{-1}\)""", -1),
 Critique("llama", "apples", r"""## Step 1: Evaluate paragraph_0
3 × 12 = 36 is correct.

## Step 2: Evaluate paragraph_1
36 − 7 = 28 is incorrect, since 36 − 7 = 29.

## Step 3: Conclusion
The error occurs in Step 2.

The final answer is: $\boxed{1}$""", 1),
 Critique("qwen", "shirts", r"""Let's verify.

Paragraphs 0 through 4 are all correct. In paragraph 5, 20 + 15 is computed as 25, but it should be 35.

Therefore, the index of the paragraph where the earliest error occurs is \(\boxed{5}\).""", 5),
 Critique("gpt4o", "remainder", r"""The solution does not contain any errors: 17 = 3 × 5 + 2, so the remainder is 2.

\(\boxed{-1}\)""", -1),
 Critique("llama", "hexagon", r"""The first paragraph uses the formula (n-1) × 180°, which is incorrect. The correct formula is (n-2) × 180°.

Therefore, the earliest error is in the 1st paragraph.

The final answer is: $\boxed{0}$""", 0),
 Critique("qwen", "pages", r"""Let's verify each paragraph.

**Paragraph 0:** Correct.

**Paragraph 1:** 2 × 12 = 24, not 28. Incorrect.

**Paragraph 2:** Uses 28. Incorrect.

**Paragraph 3:** The final answer 44 − 40 = \boxed{4} is incorrect.""", 1, "no closing verdict: the first paragraph the walkthrough marks incorrect"),
 Critique("gpt4o", "linear", r"""Let me carefully go through each step:

1. **Expansion**: 2(x + 3) − 4 = 2x + 6 − 4 ✓
2. **Simplification**: 2x + 2 ✓
3. **Equation**: 2x + 2 = 3x − 5 ✓
4. **Subtracting 2x**: 2 = x + 5 ✗ (should be 2 = x − 5)

The first mistake is in the fourth paragraph.

**Final Answer:** \(\boxed{3}\)""", 3),
 Critique("qwen", "rectangle", r"""All the calculations are correct and the reasoning is sound. Therefore, there is no error in the solution, and the answer is -1.""", -1),
 Critique("llama", "pages", r"""## Step 1: Identify the calculation on Tuesday
The solution says Sam reads 2 × 12 = 28 pages on Tuesday.

## Step 2: Check the calculation
2 × 12 = 24, not 28. This is the first error.

## Step 3: Find the paragraph
This calculation appears in paragraph_1.

The final answer is: $\boxed{1}$""", 1),
 Critique("gpt4o", "shirts", r"""### Reviewing each paragraph

| Paragraph | Check | Result |
|---|---|---|
| 0 | 0.4 × 50 = 20 | ✔ |
| 1 | 50 − 20 = 30 | ✔ |
| 2 | sells 10 | ✔ |
| 3 | 30 − 10 = 20 | ✔ |
| 4 | receives 15 | ✔ |
| 5 | 20 + 15 = 25 | ✘ (should be 35) |

The earliest error is in paragraph 5.

\(\boxed{5}\)""", 5),
 Critique("qwen", "apples", r"""The solution is incorrect. The mistake is in paragraph 1: 36 − 7 should be 29, not 28.

\boxed{1}""", 1),
 Critique("gpt4o", "hexagon", r"""The solution is wrong from the very first paragraph: the interior angle sum of an n-gon is (n − 2) × 180°, not (n − 1) × 180°.

\(\boxed{0}\)""", 0),
 Critique("qwen", "remainder", r"""Let's verify each paragraph.

**Paragraph 0:** 3 × 5 + 2 = 17. Correct.

**Paragraph 1:** The remainder is 2. Correct.

**Paragraph 2:** The answer is \boxed{2}. Correct.

No errors found.

\boxed{-1}""", -1),
 Critique("llama", "linear", r"""## Step 1: Review the equation setup
The equation 2x + 2 = 3x − 5 in paragraph_2 is correct.

## Step 2: Review the subtraction
In paragraph_3, subtracting 2x gives 2 = x − 5, not 2 = x + 5. Thus paragraph_3 is incorrect.

## Step 3: Review the solution for x
paragraph_4 solves x = −3, which is incorrect as well because of the earlier error.

The final answer is: $\boxed{3}$""", 3),
 Critique("gpt4o", "pencils", r"""Let's check each step:

- **Step 1**: Restates the prices. ✅
- **Step 2**: 8 × 0.25 = 2.00 ✅
- **Step 3**: 3 × 1.50 = 4.50, not 4.00 ❌

The earliest error is in Step 3, which is paragraph 2.

\(\boxed{2}\)""", 2),
 Critique("qwen", "shirts", r"""Let's verify each paragraph.

**Paragraph 0:** Correct. **Paragraph 1:** Correct. **Paragraph 2:** Correct. **Paragraph 3:** Correct. **Paragraph 4:** Correct.

**Paragraph 5:** Wrong addition.

**Paragraph 6:** Wrong final answer \boxed{25}.

The earliest error occurs in paragraph 5.""", 5),
]


# A third round: verdicts that coincide with the solution's own boxed answer, headings, stated mappings.
CRITIQUES += [

 # quoted box of the solution equal to an in-range index, stated verdict after it
 Critique("qwen", "shirts", r"""Let's verify each paragraph of the solution.

**Paragraph 0:** 40% of 50 is 0.4 × 50 = 20. Correct.

**Paragraph 1:** 50 − 20 = 30. Correct.

**Paragraph 2:** Correct.

**Paragraph 3:** 30 − 10 = 20. Correct.

**Paragraph 4:** Correct.

**Paragraph 5:** 20 + 15 = 35. The paragraph says 25, which is wrong.

So the solution ends up with \boxed{25} while the answer should be 35. Note also that the total before the delivery, 20, would give \boxed{5}5 if misread... no, that is not relevant.

The earliest error is in paragraph 5.""", 5),
 Critique("gpt4o", "linear", r"""## Review

1. **Paragraph 0** expands the left-hand side correctly.
2. **Paragraph 1** simplifies correctly to \(2x + 2\).
3. **Paragraph 2** writes the equation correctly.
4. **Paragraph 3** claims \(2 = x + 5\) after subtracting \(2x\). Since \(3x - 5 - 2x = x - 5\), this is wrong.
5. **Paragraph 4** and **Paragraph 5** follow from the wrong equation, giving \(\boxed{-3}\) instead of \(7\).

### Earliest Error
Paragraph 3""", 3),
 Critique("llama", "rectangle", r"""## Step 1: Understand the problem
The problem asks for the area of a rectangle with perimeter 30 and length 9.

## Step 2: Verify the width
From 2(l + w) = 30 we get l + w = 15, and w = 15 - 9 = 6. This matches the solution.

## Step 3: Verify the area
9 × 6 = 54, which matches the solution's final answer of 54.

## Step 4: Conclusion
I found no errors in any of the paragraphs.

The final answer is: $\boxed{-1}$""", -1),
 Critique("qwen", "pages", r"""Let's verify each paragraph.

**Paragraph 0:** Correct.

**Paragraph 1:** "Twice as many" as 12 is 24. The solution computes 2 × 12 = 28, which is incorrect.

Hmm, but maybe paragraph 2 is also wrong? Paragraph 2 adds 12 + 28 = 40, which is arithmetically right but uses the wrong value. Since we want the earliest error, paragraph 1 is the answer.

\boxed{1}""", 1),
 Critique("gpt4o", "apples", r"""Let's analyze the solution step by step:

- **Step 1 (paragraph_0)**: 3 × 12 = 36. ✅
- **Step 2 (paragraph_1)**: 36 − 7 = 28. ❌ This should be 29.

**Conclusion:** Step 2 is incorrect, so the earliest error is in paragraph_1.

\(\boxed{1}\)""", 1),
 Critique("llama", "shirts", r"""## Step 1: Check the first calculation
The solution computes 40% of 50 as 20, which is correct.

## Step 2: Check the subtractions
50 - 20 = 30 and 30 - 10 = 20 are both correct.

## Step 3: Check the addition
20 + 15 = 35, but the solution states 25. This is the first error, and it is found in paragraph 5.

The final answer is: $\boxed{5}$""", 5),
 Critique("qwen", "hexagon", r"""To verify the solution, we go through each paragraph.

**Paragraph 0:** The solution states that the sum of the interior angles of an n-gon is (n − 1) × 180°. This is incorrect: the correct formula is (n − 2) × 180°.

**Paragraph 1:** n = 6 is correct.

**Paragraph 2:** Since the formula from paragraph 0 is wrong, (6 − 1) × 180° is wrong too.

The first error occurs in paragraph 0. Therefore, the answer is:

\[
\boxed{0}
\]""", 0),
 Critique("gpt4o", "remainder", r"""I'll examine each paragraph:

**Paragraph 0**: \(17 = 3 \times 5 + 2\). This is correct since \(15 + 2 = 17\).

**Paragraph 1**: The remainder is 2. This is correct.

**Paragraph 2**: The answer \(\boxed{2}\) is correct.

All paragraphs are correct, so there is no error in the solution.""", -1),
 Critique("llama", "linear", r"""## Step 1: Check paragraph_0 and paragraph_1
The expansion and simplification are correct.

## Step 2: Check paragraph_2
The equation 2x + 2 = 3x - 5 is correct.

## Step 3: Check paragraph_3
Subtracting 2x from both sides gives 2 = x - 5, not 2 = x + 5. The mistake occurs here.

## Step 4: Conclusion
The earliest paragraph with a mistake is paragraph_3.

The final answer is: $\boxed{3}$""", 3),
 Critique("qwen", "apples", r"""We check each paragraph in turn.

In paragraph 0, 3 × 12 = 36 is correct.

In paragraph 1, 36 − 7 = 28 is incorrect; the correct value is 29.

Thus the earliest error is found in paragraph 1, and the index is 1.

\boxed{1}""", 1),
 Critique("gpt4o", "pencils", r"""### Verification

- **Step 1:** Prices restated. Correct.
- **Step 2:** \(8 \times 0.25 = 2.00\). Correct.
- **Step 3:** \(3 \times 1.50 = 4.50\), not \(4.00\). Incorrect.
- **Step 4:** Uses the wrong subtotal.
- **Step 5:** Wrong final answer.

The earliest error is in **Step 3**.""", 2),
 Critique("llama", "pages", r"""## Step 1: Analyze the solution
The solution says 2 × 12 = 28 in the second paragraph, which is incorrect since 2 × 12 = 24.

## Step 2: Determine the earliest error
The second paragraph contains the earliest error. Its index is 1.

The final answer is: $\boxed{1}$""", 1),
 Critique("qwen", "remainder", r"""Let's verify each paragraph.

**Paragraph 0:** 17 = 3 × 5 + 2 holds.
**Paragraph 1:** The remainder is 2. Correct.
**Paragraph 2:** The final answer is 2. Correct.

The solution is correct.

\boxed{-1}""", -1),
 Critique("gpt4o", "hexagon", r"""Let's examine the solution:

1. The first paragraph states the formula as (n − 1) × 180°, which is incorrect.
2. The second paragraph is correct.
3. The third paragraph applies the incorrect formula.

The earliest error is in the first paragraph (paragraph_0).

\(\boxed{0}\)""", 0),
 Critique("qwen", "linear", r"""Let's verify each paragraph.

**Paragraph 0:** Correct.

**Paragraph 1:** Correct.

**Paragraph 2:** Correct.

**Paragraph 3:** When we subtract 2x from both sides of 2x + 2 = 3x − 5, we obtain 2 = x − 5. However, the solution wrote 2 = x + 5. This is a sign error.

**Paragraph 4:** Based on the incorrect equation, x = −3.

**Paragraph 5:** The final answer \boxed{-3} is incorrect.

The earliest error occurs in paragraph 3.

\boxed{3}""", 3),

 Critique("qwen", "ones", r"""Let's verify each paragraph.

**Paragraph 0:** Correct.

**Paragraph 1:** 7 − 6 = 1, not 2. Incorrect.

So the answer is \boxed{1}.""", 1),
 Critique("gpt4o", "long", r"""Let's check the running sums.

- Paragraph 0: 1 + 2 = 3 ✔
- Paragraph 1: 3 + 3 = 6 ✔
- Paragraph 2: 6 + 4 = 10 ✔
- Paragraph 3: 10 + 5 = 15, not 14 ✘

The solution's final answer, \boxed{4}, is wrong too, but the earliest error is in paragraph 3.""", 3),
 Critique("qwen", "long", r"""Paragraph 0 to paragraph 2 are correct. Paragraph 3 computes 10 + 5 = 14, which should be 15.

The solution ends with 14 + 6 = 20 and then states \boxed{4}.

The first error occurs in paragraph 3.""", 3),
 Critique("llama", "long", r"""## Step 1: Check the sums
1 + 2 = 3, 3 + 3 = 6 and 6 + 4 = 10 are correct. 10 + 5 = 14 is incorrect.

## Step 2: Check the final answer
The answer \boxed{4} does not even match the last sum.

## Step 3: Conclusion
The earliest error is in paragraph_3.

The final answer is: $\boxed{3}$""", 3),
 Critique("gpt4o", "apples", r"""I initially flagged paragraph 0, because 3 boxes of 12 could be misread, but 3 × 12 = 36 is right.

On closer inspection, paragraph 0 is fine and the error is in paragraph 1: 36 − 7 = 29.

**Final Answer**

\boxed{1}""", 1),
 Critique("qwen", "long", r"""Let's verify each paragraph.

**Paragraph 0:** 1 + 2 = 3. Correct.
**Paragraph 1:** 3 + 3 = 6. Correct.
**Paragraph 2:** 6 + 4 = 10. Correct.
**Paragraph 3:** 10 + 5 = 14. This is incorrect; it should be 15.
**Paragraph 4:** 14 + 6 = 20 uses the wrong sum.
**Paragraph 5:** The answer \boxed{4} is unrelated to the computation.

\boxed{3}""", 3),
]


# Terse and unusual phrasings, number words, and a 'Step k' that two numberings read differently.
CRITIQUES += [

 Critique("gpt4o", "apples", "**Error:** Paragraph 1 — 36 − 7 is 29, not 28.", 1),
 Critique("qwen", "linear", "The error lies in the subtraction in paragraph 3, where 2 = x + 5 should be 2 = x − 5.", 3),
 Critique("llama", "shirts", "Paragraph 5 is where the error occurs: 20 + 15 = 35.", 5),
 Critique("gpt4o", "rectangle", "Every step checks out, so there is no incorrect paragraph.\n\n\\(\\boxed{-1}\\)", -1),
 Critique("qwen", "apples", "The error is in paragraph one: 36 − 7 = 29.", 1),
 Critique("gpt4o", "hexagon", "The incorrect paragraph is paragraph 0, since the formula is (n − 2) × 180°.", 0),
 Critique("llama", "remainder", "Everything is correct.\n\nThe final answer is: $\\boxed{-1}$", -1),
 Critique("llama", "pencils", """## Step 1: Check paragraph_0
Correct.

## Step 2: Check paragraph_1
Correct.

## Step 3: Check paragraph_2
3 × 1.50 = 4.50, so this is wrong.

## Step 4: Conclusion
Step 3 is incorrect.""", 2, "the solution's Step 3 and the critique's own Step 3 are both paragraph_2"),
 Critique("llama", "pencils", """## Step 1: Restate the problem
Pencils cost $0.25 and notebooks $1.50.

## Step 2: Check paragraph_0
Correct.

## Step 3: Check paragraph_1
8 × 0.25 = 2.00 is right, but then I see a problem with the total.

## Step 4: Conclusion
Step 3 is incorrect.""", None, "the solution's Step 3 is paragraph_2, the critique's own Step 3 checks paragraph_1"),
]


# Long walkthroughs as the three critics write them by default.
CRITIQUES += [

 Critique("qwen", "shirts", r"""To determine the correctness of the solution, let's analyze each paragraph step by step.

**Paragraph 0:**
- The problem states that the shop has 50 shirts and sells 40% of them on Monday.
- 40% of 50 is calculated as \(0.4 \times 50 = 20\).
- This calculation is correct.

**Paragraph 1:**
- After selling 20 shirts, the remaining number is \(50 - 20 = 30\).
- This calculation is correct.

**Paragraph 2:**
- The shop sells 10 more shirts on Tuesday.
- This is a correct restatement of the problem.

**Paragraph 3:**
- After Tuesday, \(30 - 10 = 20\).
- This calculation is correct.

**Paragraph 4:**
- The shop receives 15 shirts.
- This is correct.

**Paragraph 5:**
- The total is calculated as \(20 + 15 = 25\).
- This is incorrect. The correct total is \(20 + 15 = 35\).

Since the first error is in paragraph 5, the index of the paragraph where the earliest error occurs is:

\[
\boxed{5}
\]""", 5),
 Critique("gpt4o", "pages", r"""Let's go through the solution paragraph by paragraph to identify any errors.

**Paragraph 0:**
- "On Monday Sam reads 12 pages."
- This is correct as per the problem statement.

**Paragraph 1:**
- "On Tuesday he reads twice as many: 2 × 12 = 28 pages."
- This is incorrect. Twice 12 is 24, not 28.

**Paragraph 2:**
- "Together he has read 12 + 28 = 40 pages."
- This uses the incorrect value from Paragraph 1.

**Paragraph 3:**
- "Pages left: 44 − 40 = \boxed{4}."
- This follows from the previous errors.

The earliest error occurs in Paragraph 1.

\(\boxed{1}\)""", 1),
 Critique("llama", "hexagon", r"""## Step 1: Review the formula for the sum of interior angles
The formula for the sum of the interior angles of a polygon with n sides is (n-2) * 180 degrees.

## Step 2: Compare with paragraph_0
Paragraph_0 states the formula as (n-1) * 180 degrees, which is incorrect.

## Step 3: Determine the earliest error
Since paragraph_0 contains an incorrect formula, it is the earliest error.

The final answer is: $\boxed{0}$""", 0),
 Critique("qwen", "remainder", r"""To determine if there are any errors in the solution, let's go through each paragraph step by step.

**Paragraph 0:**
The equation \(17 = 3 \times 5 + 2\) is correct because \(3 \times 5 = 15\) and \(15 + 2 = 17\).

**Paragraph 1:**
The remainder when 17 is divided by 5 is 2. This is correct.

**Paragraph 2:**
The answer is \(\boxed{2}\). This is correct.

Since all paragraphs are correct, the index of the paragraph where the earliest error occurs is \(\boxed{-1}\).""", -1),
 Critique("gpt4o", "linear", r"""Let's carefully verify each step of the solution:

1. **Paragraph 0**: The expansion \(2(x + 3) - 4 = 2x + 6 - 4\) is correct.
2. **Paragraph 1**: Simplifying \(2x + 6 - 4\) gives \(2x + 2\), which is correct.
3. **Paragraph 2**: The equation \(2x + 2 = 3x - 5\) is correct.
4. **Paragraph 3**: Subtracting \(2x\) from both sides should yield \(2 = x - 5\), but the solution states \(2 = x + 5\). This is incorrect.

Therefore, the earliest error is found in Paragraph 3.

\[
\boxed{3}
\]""", 3),
 Critique("llama", "apples", r"""## Step 1: Verify the initial calculation in paragraph_0
Tom has 3 boxes with 12 apples each, so 3 * 12 = 36. This is correct.

## Step 2: Verify the subtraction in paragraph_1
Tom gives away 7 apples, so 36 - 7 should equal 29, not 28. This is incorrect.

## Step 3: Since we found an error in paragraph_1, we can stop here.
The earliest error is in paragraph_1.

The final answer is: $\boxed{1}$""", 1),
 Critique("gpt4o", "rectangle", r"""Let's verify each part of the solution:

### Paragraph 0:
The perimeter formula \(2(l + w) = 30\) gives \(l + w = 15\). This is correct.

### Paragraph 1:
Given \(l = 9\), \(w = 15 - 9 = 6\). This is correct.

### Paragraph 2 and 3:
The area is \(9 \times 6 = 54\). This is correct.

### Paragraph 4:
The final answer is \(\boxed{54}\). This is correct.

All paragraphs are correct. Therefore, there is no error in the solution.

\[
\boxed{-1}
\]""", -1),
 Critique("qwen", "pencils", r"""Let's verify each paragraph of the solution.

**Paragraph 0 (Step 1):** The prices are restated correctly.

**Paragraph 1 (Step 2):** 8 pencils cost \(8 \times 0.25 = 2.00\). Correct.

**Paragraph 2 (Step 3):** 3 notebooks cost \(3 \times 1.50 = 4.50\), not 4.00. This is incorrect.

Therefore, the earliest error is in paragraph 2 (Step 3 of the solution).

\boxed{2}""", 2),
 Critique("llama", "linear", r"""## Step 1: Analyze the given equation and the steps provided in the solution.
The equation is 2(x + 3) - 4 = 3x - 5.

## Step 2: Check the expansion in paragraph_0.
2(x + 3) - 4 = 2x + 6 - 4 is correct.

## Step 3: Check the simplification in paragraph_1.
2x + 6 - 4 = 2x + 2 is correct.

## Step 4: Check the equation in paragraph_2.
2x + 2 = 3x - 5 is correct.

## Step 5: Check the subtraction in paragraph_3.
Subtracting 2x from both sides gives 2 = x - 5, not 2 = x + 5. Therefore, paragraph_3 contains an error.

## Step 6: Identify the index of the paragraph with the earliest error.
The earliest error is in paragraph_3, so the index is 3.

The final answer is: $\boxed{3}$""", 3),
 Critique("gpt4o", "shirts", r"""To evaluate the solution, let's go through it paragraph by paragraph:

- **Paragraph 0:** Correct. 40% of 50 is 20.
- **Paragraph 1:** Correct. 50 − 20 = 30.
- **Paragraph 2:** Correct restatement.
- **Paragraph 3:** Correct. 30 − 10 = 20.
- **Paragraph 4:** Correct restatement.
- **Paragraph 5:** Incorrect. 20 + 15 equals 35, not 25.

The first incorrect paragraph is Paragraph 5, where the addition is wrong. The rest of the solution, including the final answer of \(\boxed{25}\), is affected by this error.

The earliest error is in paragraph **5**.""", 5),
]
